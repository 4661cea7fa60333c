"""Hand-written product catalog: departments, fictional brands and product categories.

Each category carries a one-sentence definition (the gold of category explanations),
attributes that only it has (so "which category may have attribute X" has one right
answer), complementary categories, and title fragments for building product titles.
Brands are invented so no row states anything about a real company.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    name: str  # lowercase, as it appears in queries
    dept: str
    definition: str
    attributes: tuple[str, ...]
    complements: tuple[str, ...]
    features: tuple[str, ...]  # title fragments placed before the display name

    @property
    def title(self) -> str:
        return " ".join(_TITLE_WORDS.get(w, w[:1].upper() + w[1:]) for w in self.name.split())


_TITLE_WORDS = {"usb": "USB", "t-shirt": "T-Shirt"}


# department -> (label used in "Which of the following products is a ...?", brands)
DEPARTMENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "kitchen_appliance": ("kitchen appliance", ("Kitchora", "Brewly", "Heatwell")),
    "kitchenware": ("piece of kitchenware", ("Cuisento", "Oakhaven", "Panmaster")),
    "electronics": ("consumer electronics product", ("Voltra", "Sonique", "Pixelon")),
    "outdoor": ("piece of outdoor gear", ("Northpeak", "Trailform", "Summitra")),
    "sports": ("piece of sports equipment", ("Fitcore", "Courtline", "Stridex")),
    "apparel": ("clothing item or accessory", ("Urbanwear", "Loomline", "Drizzlewear")),
    "home": ("home furnishing product", ("Cozyhome", "Linenly", "Nestwell")),
    "personal_care": ("personal care product", ("Purelia", "Glowen", "Dentiq")),
    "pet": ("pet supply", ("Pawsome", "Furrow", "Barkley")),
    "office": ("office supply", ("Inkwise", "Papyra", "Deskmate")),
    "toys": ("toy or game", ("Playnest", "Puzzlewood", "Gamebox")),
    "tools": ("hand or power tool", ("Ironclad", "Toolwright", "Forgeline")),
}

_C = Category
CATEGORIES: tuple[Category, ...] = (
    _C(
        "electric kettle",
        "kitchen_appliance",
        "An electric kettle is a small appliance with a built-in heating element that quickly boils water for tea, coffee or cooking.",
        ("boil-dry protection", "keep-warm function"),
        ("teapot", "tea infuser", "coffee mug"),
        ("1.7L Stainless Steel", "Glass 1.5L", "Gooseneck Pour-Over"),
    ),
    _C(
        "toaster",
        "kitchen_appliance",
        "A toaster is a small electric appliance that browns slices of bread by exposing them to radiant heat.",
        ("number of bread slots", "browning level settings"),
        (),
        ("2-Slice Wide Slot", "4-Slice Stainless", "Retro Compact"),
    ),
    _C(
        "blender",
        "kitchen_appliance",
        "A blender is a kitchen appliance with spinning blades inside a jar that chops, purees and mixes food and drinks.",
        ("blender jar capacity", "pulse function"),
        (),
        ("1200W Countertop", "Personal Smoothie", "High-Speed Glass Jar"),
    ),
    _C(
        "coffee maker",
        "kitchen_appliance",
        "A coffee maker is an appliance that brews coffee by passing hot water through ground coffee held in a filter.",
        ("brew strength control", "carafe capacity"),
        ("coffee mug",),
        ("12-Cup Programmable", "Single Serve", "Drip Thermal Carafe"),
    ),
    _C(
        "air fryer",
        "kitchen_appliance",
        "An air fryer is a countertop convection oven that circulates hot air at high speed to cook food crisply with little or no oil.",
        ("fryer basket capacity", "preset cooking programs"),
        (),
        ("5.5 Quart Digital", "Compact 2 Quart", "Dual Basket 8 Quart"),
    ),
    _C(
        "frying pan",
        "kitchenware",
        "A frying pan is a flat-bottomed pan with low, sloped sides used for frying, searing and browning food.",
        ("pan diameter", "induction compatibility"),
        (),
        ("Nonstick 28cm", "Cast Iron 10 Inch", "Tri-Ply Stainless 24cm"),
    ),
    _C(
        "cutting board",
        "kitchenware",
        "A cutting board is a durable flat board on which food is placed to be sliced or chopped with a knife.",
        ("juice groove",),
        ("kitchen knife",),
        ("Large Bamboo", "End Grain Walnut", "Reversible Plastic"),
    ),
    _C(
        "kitchen knife",
        "kitchenware",
        "A kitchen knife is a knife with a sharp blade and a handle, made for cutting and preparing food.",
        ("blade edge type", "blade hardness"),
        ("cutting board",),
        ("8 Inch Chef", "Japanese Santoku", "Serrated Bread"),
    ),
    _C(
        "coffee mug",
        "kitchenware",
        "A coffee mug is a sturdy cup with a handle used for drinking hot beverages such as coffee, tea or cocoa.",
        ("mug handle shape",),
        ("coffee maker", "electric kettle"),
        ("Ceramic 12 oz", "Insulated Travel", "Stoneware Set of 4"),
    ),
    _C(
        "tea infuser",
        "kitchenware",
        "A tea infuser is a small perforated container that holds loose tea leaves while they steep in hot water.",
        ("infuser mesh fineness",),
        ("teapot", "electric kettle"),
        ("Stainless Mesh Ball", "Silicone Handle Basket", "Extra Fine Mesh"),
    ),
    _C(
        "teapot",
        "kitchenware",
        "A teapot is a vessel with a spout, lid and handle used for steeping tea leaves in hot water and serving the tea.",
        ("spout strainer",),
        ("tea infuser", "electric kettle"),
        ("Glass 1L", "Cast Iron Tetsubin", "Porcelain 6 Cup"),
    ),
    _C(
        "wireless headphones",
        "electronics",
        "Wireless headphones are headphones that receive audio over Bluetooth instead of a cable, letting the listener move freely.",
        ("driver size", "active noise cancellation"),
        ("smartphone",),
        ("Over-Ear Noise Cancelling", "Foldable Bluetooth", "Sports Neckband"),
    ),
    _C(
        "smartphone",
        "electronics",
        "A smartphone is a mobile phone with a touchscreen, internet access and an operating system that runs apps.",
        ("rear camera resolution", "SIM card slots"),
        ("phone case", "power bank", "usb charging cable", "wireless headphones"),
        ("6.5 Inch 128GB", "5G Dual SIM 256GB", "Compact 64GB"),
    ),
    _C(
        "phone case",
        "electronics",
        "A phone case is a protective cover that wraps around a mobile phone to guard it against drops and scratches.",
        ("compatible phone model", "drop protection height"),
        ("smartphone",),
        ("Shockproof Clear", "Slim Silicone", "Leather Wallet"),
    ),
    _C(
        "power bank",
        "electronics",
        "A power bank is a portable rechargeable battery pack used to charge phones and other devices away from an outlet.",
        ("battery capacity in mAh", "number of output ports"),
        ("usb charging cable", "smartphone"),
        ("20000mAh Fast Charging", "Slim 10000mAh", "Solar 25000mAh"),
    ),
    _C(
        "usb charging cable",
        "electronics",
        "A USB charging cable connects a device to a charger or computer to charge its battery and transfer data.",
        ("connector type", "cable length"),
        ("power bank", "smartphone"),
        ("Braided 2m USB-C", "Fast Charge 1m", "3-in-1 Multi"),
    ),
    _C(
        "computer mouse",
        "electronics",
        "A computer mouse is a hand-held pointing device that moves a cursor on a screen and selects items with its buttons.",
        ("sensor DPI", "number of programmable buttons"),
        ("mouse pad", "keyboard"),
        ("Wireless Ergonomic", "RGB Gaming", "Silent Click"),
    ),
    _C(
        "keyboard",
        "electronics",
        "A keyboard is an input device with an arrangement of keys used to type text and enter commands into a computer.",
        ("key switch type", "keyboard layout"),
        ("computer mouse",),
        ("Mechanical Tenkeyless", "Wireless Slim", "Backlit Full-Size"),
    ),
    _C(
        "mouse pad",
        "electronics",
        "A mouse pad is a flat surface placed under a computer mouse to improve tracking and protect the desk.",
        ("mouse tracking surface",),
        ("computer mouse",),
        ("Extended XXL", "Gel Wrist Rest", "Hard Surface"),
    ),
    _C(
        "hiking backpack",
        "outdoor",
        "A hiking backpack is a bag carried on the back with shoulder straps, designed to hold gear and supplies on walks and hikes.",
        ("torso length", "hip belt"),
        ("water bottle", "tent", "rain jacket"),
        ("40L Waterproof", "Ultralight 25L", "Trekking 60L"),
    ),
    _C(
        "tent",
        "outdoor",
        "A tent is a portable shelter made of fabric stretched over poles and anchored to the ground, used for camping.",
        ("sleeping capacity", "rainfly"),
        ("sleeping bag", "hiking backpack"),
        ("2-Person Dome", "4-Person Instant", "Backpacking Ultralight"),
    ),
    _C(
        "sleeping bag",
        "outdoor",
        "A sleeping bag is an insulated, zippered bag that a person sleeps in outdoors to stay warm.",
        ("comfort temperature rating",),
        ("tent",),
        ("Mummy 3-Season", "Rectangular Cotton Lined", "Down 0 Degree"),
    ),
    _C(
        "water bottle",
        "outdoor",
        "A water bottle is a reusable container for carrying drinking water, usually with a leak-proof lid.",
        ("carry loop cap",),
        ("hiking backpack",),
        ("Insulated 750ml", "BPA-Free 1L", "Collapsible 600ml"),
    ),
    _C(
        "yoga mat",
        "sports",
        "A yoga mat is a thin cushioned mat that provides grip and padding during yoga and floor exercises.",
        ("mat thickness",),
        ("dumbbell",),
        ("Non-Slip 6mm", "Cork Natural", "Extra Thick 10mm"),
    ),
    _C(
        "dumbbell",
        "sports",
        "A dumbbell is a short bar with a weight at each end, lifted with one hand for strength training.",
        ("weight per dumbbell",),
        ("yoga mat",),
        ("Adjustable 25kg", "Neoprene 3kg Pair", "Hex Rubber 10kg"),
    ),
    _C(
        "tennis racket",
        "sports",
        "A tennis racket is a lightweight frame with a tightly strung net of strings, used to strike the ball in tennis.",
        ("string pattern", "head size"),
        ("tennis balls",),
        ("Graphite Pro", "Junior 25 Inch", "Oversize Comfort"),
    ),
    _C(
        "tennis balls",
        "sports",
        "Tennis balls are pressurized, felt-covered rubber balls used to play tennis.",
        ("felt type",),
        ("tennis racket",),
        ("Championship 3-Can", "Pressureless 12 Pack", "Practice Bucket"),
    ),
    _C(
        "running shoes",
        "sports",
        "Running shoes are lightweight athletic shoes with cushioned soles designed to absorb impact while running.",
        ("heel-to-toe drop",),
        ("socks",),
        ("Cushioned Road", "Trail Grip", "Lightweight Racing"),
    ),
    _C(
        "t-shirt",
        "apparel",
        "A t-shirt is a short-sleeved casual top with a round neckline and no collar, usually made of cotton jersey.",
        ("neckline style",),
        (),
        ("Cotton Crew Neck", "Slim Fit V-Neck", "Oversized Graphic"),
    ),
    _C(
        "rain jacket",
        "apparel",
        "A rain jacket is a lightweight waterproof coat, usually hooded, that keeps the wearer dry in wet weather.",
        ("seam sealing", "adjustable hood"),
        ("hiking backpack",),
        ("Packable Waterproof", "Breathable Shell", "Lined Hooded"),
    ),
    _C(
        "wallet",
        "apparel",
        "A wallet is a small, flat folding case for carrying cash, cards and identification.",
        ("coin pocket", "bill compartments"),
        (),
        ("Slim Bifold", "Trifold Leather", "Minimalist Card"),
    ),
    _C(
        "umbrella",
        "apparel",
        "An umbrella is a folding canopy on a central rod that shields a person from rain or sun.",
        ("canopy diameter", "auto open"),
        (),
        ("Windproof Travel", "Large Golf", "Compact Auto-Open"),
    ),
    _C(
        "socks",
        "apparel",
        "Socks are knitted garments worn on the feet inside shoes to provide warmth and cushioning.",
        ("cuff height",),
        ("running shoes",),
        ("Merino Hiking 3 Pairs", "Cotton Ankle 6 Pairs", "Compression Crew"),
    ),
    _C(
        "watch band",
        "apparel",
        "A watch band is the strap, made of leather, metal or silicone, that fastens a watch around the wrist.",
        ("lug width", "clasp type"),
        (),
        ("20mm Leather", "Stainless Mesh 22mm", "Silicone Sport"),
    ),
    _C(
        "bath towel",
        "home",
        "A bath towel is a large absorbent piece of cloth used to dry the body after bathing or showering.",
        ("terry loop pile",),
        (),
        ("Egyptian Cotton Set of 2", "Quick Dry Microfiber", "Oversized Bath Sheet"),
    ),
    _C(
        "pillow",
        "home",
        "A pillow is a soft cushion that supports the head and neck while sleeping or resting.",
        ("pillow loft",),
        ("bed sheet",),
        ("Memory Foam Contour", "Down Alternative 2 Pack", "Cooling Gel"),
    ),
    _C(
        "bed sheet",
        "home",
        "A bed sheet is a large rectangular piece of cloth laid over a mattress to sleep on.",
        ("thread count", "pocket depth"),
        ("pillow",),
        ("Queen 400 Thread Count", "Linen Fitted", "Microfiber 4-Piece"),
    ),
    _C(
        "storage box",
        "home",
        "A storage box is a lidded container used to organize household items and keep them out of sight.",
        ("stackability",),
        (),
        ("Clear Plastic 30L", "Fabric Foldable Set of 3", "Wooden Lidded"),
    ),
    _C(
        "laundry basket",
        "home",
        "A laundry basket is a container used to collect dirty clothes and carry washed laundry.",
        ("sorting compartments",),
        (),
        ("Collapsible 60L", "Woven Bamboo", "Double Hamper"),
    ),
    _C(
        "scented candle",
        "home",
        "A scented candle is a wax candle blended with fragrance oils that releases a pleasant smell as it burns.",
        ("burn time", "wick count"),
        (),
        ("Soy Wax Lavender", "3-Wick Vanilla", "Travel Tin Set"),
    ),
    _C(
        "desk lamp",
        "home",
        "A desk lamp is a small adjustable lamp that lights up the work area on a desk or table.",
        ("color temperature", "adjustable arm"),
        (),
        ("LED Dimmable", "Architect Swing Arm", "USB Rechargeable"),
    ),
    _C(
        "electric toothbrush",
        "personal_care",
        "An electric toothbrush is a toothbrush with a motor that moves the brush head rapidly to clean teeth.",
        ("brushing modes", "pressure sensor"),
        (),
        ("Sonic Rechargeable", "Rotating Oscillating", "Travel Slim"),
    ),
    _C(
        "hair dryer",
        "personal_care",
        "A hair dryer is a hand-held electric device that blows warm air to dry and style wet hair.",
        ("ionic technology", "concentrator nozzle"),
        ("shampoo",),
        ("Ionic 1875W", "Travel Foldable", "Diffuser Salon"),
    ),
    _C(
        "shampoo",
        "personal_care",
        "Shampoo is a liquid hair-care product used to remove oil, dirt and dandruff from the hair and scalp.",
        ("suitable hair type",),
        ("hair dryer",),
        ("Sulfate-Free 500ml", "Anti-Dandruff", "Volumizing Argan Oil"),
    ),
    _C(
        "sunscreen",
        "personal_care",
        "Sunscreen is a lotion, spray or gel that absorbs or reflects the sun's ultraviolet rays to protect the skin from sunburn.",
        ("SPF", "water resistance duration"),
        (),
        ("SPF 50 Lotion", "Mineral SPF 30", "Sport Spray SPF 50+"),
    ),
    _C(
        "dog leash",
        "pet",
        "A dog leash is a rope or strap attached to a dog's collar or harness to lead and control the dog on walks.",
        ("leash length",),
        (),
        ("Retractable 5m", "Reflective Nylon 1.8m", "Hands-Free Bungee"),
    ),
    _C(
        "dog bed",
        "pet",
        "A dog bed is a cushioned bed that gives a dog a comfortable, dedicated place to sleep.",
        ("bolster sides",),
        (),
        ("Orthopedic Large", "Calming Donut", "Elevated Cooling"),
    ),
    _C(
        "litter box",
        "pet",
        "A litter box is a container filled with absorbent litter that an indoor cat uses as a toilet.",
        ("litter tray depth",),
        (),
        ("Hooded Large", "Self-Cleaning", "Top Entry"),
    ),
    _C(
        "notebook",
        "office",
        "A notebook is a bound book of blank or lined paper pages used for writing notes.",
        ("page ruling", "paper weight"),
        ("ballpoint pen",),
        ("A5 Dotted Hardcover", "Spiral College Ruled", "Pocket Kraft 3 Pack"),
    ),
    _C(
        "ballpoint pen",
        "office",
        "A ballpoint pen is a pen that dispenses ink over a small rotating metal ball at its tip.",
        ("tip size", "ink color"),
        ("notebook",),
        ("Retractable 12 Pack", "Fine Point 0.5mm", "Metal Executive"),
    ),
    _C(
        "stapler",
        "office",
        "A stapler is a device that joins sheets of paper by driving a thin metal staple through them.",
        ("sheet capacity",),
        (),
        ("Heavy Duty 100 Sheet", "Desktop Classic", "Mini Pocket"),
    ),
    _C(
        "board game",
        "toys",
        "A board game is a tabletop game played by moving pieces on a marked board according to a set of rules.",
        ("number of players", "playing time"),
        (),
        ("Family Strategy", "Cooperative Adventure", "Classic Trivia"),
    ),
    _C(
        "jigsaw puzzle",
        "toys",
        "A jigsaw puzzle is a picture printed on cardboard or wood and cut into interlocking pieces to be put back together.",
        ("finished puzzle dimensions",),
        (),
        ("1000 Piece Landscape", "500 Piece Family", "Wooden 200 Piece"),
    ),
    _C(
        "cordless drill",
        "tools",
        "A cordless drill is a battery-powered tool that drills holes and drives screws with a rotating bit.",
        ("chuck size", "torque settings"),
        ("screwdriver set", "tape measure"),
        ("20V Brushless", "12V Compact", "Hammer Drill 18V"),
    ),
    _C(
        "tape measure",
        "tools",
        "A tape measure is a flexible ruler wound on a spring reel, used to measure lengths and distances.",
        ("tape length",),
        ("cordless drill",),
        ("25ft Magnetic Tip", "Compact 5m", "Fiberglass 30m"),
    ),
    _C(
        "screwdriver set",
        "tools",
        "A screwdriver set is a collection of screwdrivers with different tip shapes and sizes for turning screws.",
        ("number of bits",),
        ("cordless drill",),
        ("Precision 32-Piece", "Magnetic 10-Piece", "Ratcheting Multi-Bit"),
    ),
)

BY_NAME: dict[str, Category] = {c.name: c for c in CATEGORIES}

COLORS: tuple[str, ...] = ("black", "white", "red", "navy blue", "green", "grey", "pink", "beige")
AUDIENCES: tuple[str, ...] = ("women", "men", "kids", "travel", "beginners", "small spaces")

# Pantry items for "total quantity" questions: (display name, noun, unit kind)
PANTRY_BRANDS: tuple[str, ...] = ("Pantryfield", "Harvest Lane", "Goldgrain")
PANTRY_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("Roasted Almonds", "almonds", "ounce"),
    ("Basmati Rice", "rice", "ounce"),
    ("Dark Chocolate Bar", "chocolate", "ounce"),
    ("Rolled Oats", "oats", "ounce"),
    ("Instant Noodles", "noodles", "ounce"),
    ("Ground Coffee", "coffee", "ounce"),
    ("Green Tea Bags", "tea bags", "count"),
    ("Paper Napkins", "napkins", "count"),
    ("Granola Bars", "granola bars", "count"),
    ("Facial Tissues", "tissues", "count"),
)


# Departments whose products a shopper could reasonably file under the given one: never used
# as wrong choices for it, so "which of these is a kitchen appliance" has one right answer.
CONFUSABLE: dict[str, frozenset[str]] = {
    "kitchen_appliance": frozenset({"kitchenware", "electronics", "personal_care", "tools"}),
    "kitchenware": frozenset({"kitchen_appliance", "home"}),
    "electronics": frozenset({"kitchen_appliance", "personal_care", "tools", "home", "office"}),
    "outdoor": frozenset({"sports", "apparel", "home"}),
    "sports": frozenset({"outdoor", "apparel"}),
    "apparel": frozenset({"outdoor", "sports"}),
    "home": frozenset({"pet", "office", "kitchenware", "electronics", "outdoor"}),
    "personal_care": frozenset({"kitchen_appliance", "electronics"}),
    "pet": frozenset({"home"}),
    "office": frozenset({"home", "electronics", "toys"}),
    "toys": frozenset({"office"}),
    "tools": frozenset({"kitchen_appliance", "electronics"}),
}


def far_categories(*cats: Category) -> list[Category]:
    """Categories in departments that none of ``cats`` could be confused with, and that are
    not a complement of any of them (safe wrong answers)."""
    depts = {c.dept for c in cats}
    blocked = set(depts)
    for d in depts:
        blocked |= CONFUSABLE[d]
    near = {name for c in cats for name in c.complements} | {c.name for c in cats}
    return [
        c
        for c in CATEGORIES
        if c.dept not in blocked and c.name not in near and not (set(c.complements) & near)
    ]


def brands_of(category: Category) -> tuple[str, ...]:
    return DEPARTMENTS[category.dept][1]


def check_catalog() -> None:
    """Invariants the generators rely on for correct gold answers."""
    seen: dict[str, str] = {}
    for cat in CATEGORIES:
        for attr in cat.attributes:
            if attr in seen:
                raise AssertionError(f"attribute {attr!r} on both {seen[attr]} and {cat.name}")
            seen[attr] = cat.name
        for comp in cat.complements:
            if comp not in BY_NAME:
                raise AssertionError(f"{cat.name}: unknown complement {comp!r}")
        if cat.dept not in DEPARTMENTS or cat.dept not in CONFUSABLE:
            raise AssertionError(f"{cat.name}: unknown department {cat.dept!r}")
