"""Hand-written material of the instruction-following prompts and their answers: audience
phrases, everyday tasks with correct steps, gift themes, e-mail purposes and people, care tips
and buying points (:mod:`tools.samplegen.instruct_prompts`,
:mod:`tools.samplegen.instruct_answers`)."""

from __future__ import annotations

# audience as it reads after "for"/"aimed at"
AUDIENCE_PHRASE = {
    "women": "women",
    "men": "men",
    "kids": "kids",
    "travel": "frequent travellers",
    "beginners": "beginners",
    "small spaces": "people living in small spaces",
}

# Hand-written everyday tasks with correct steps (how-to prompts).
TASKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "descale an electric kettle",
        (
            "Fill the kettle halfway with equal parts water and white vinegar.",
            "Bring the mixture to a boil, switch the kettle off and let it sit for 20 minutes.",
            "Pour the mixture out and wipe away loose scale with a soft cloth.",
            "Rinse the kettle and boil fresh water twice before using it again.",
        ),
    ),
    (
        "season a cast iron frying pan",
        (
            "Wash the pan with warm water and dry it completely on the stove.",
            "Rub a thin layer of vegetable oil over every surface, inside and out.",
            "Wipe off the excess oil so that the pan looks almost dry.",
            "Bake the pan upside down at 230 degrees Celsius for one hour and let it cool.",
        ),
    ),
    (
        "set up a two-person dome tent",
        (
            "Clear a flat spot of stones and sticks and lay down the groundsheet.",
            "Spread the tent body over the groundsheet with the door facing away from the wind.",
            "Slide the poles through the sleeves and bend them into the corner grommets.",
            "Stake out the corners, add the rainfly and tighten the guy lines.",
        ),
    ),
    (
        "pack a hiking backpack",
        (
            "Put light, bulky items such as the sleeping bag at the bottom.",
            "Place the heaviest gear in the middle, close to your back.",
            "Keep rain gear and snacks near the top where you can reach them.",
            "Use the hip belt pockets for small essentials and adjust the straps before you leave.",
        ),
    ),
    (
        "clean a yoga mat",
        (
            "Mix a few drops of mild dish soap into a bowl of warm water.",
            "Wipe both sides of the mat with a soft cloth dipped in the mixture.",
            "Rinse the cloth and wipe the mat again with clean water.",
            "Hang the mat to air dry out of direct sunlight before rolling it up.",
        ),
    ),
    (
        "charge a power bank for the first time",
        (
            "Read the manual to find the input port and the recommended charger.",
            "Connect the power bank to a wall charger with a suitable USB cable.",
            "Leave it plugged in until all the indicator lights stay on.",
            "Unplug it and check the charge level before taking it on a trip.",
        ),
    ),
    (
        "wash a down sleeping bag",
        (
            "Use a front-loading washing machine on a gentle, cold cycle.",
            "Add a small amount of detergent made for down.",
            "Run an extra rinse cycle so that no soap is left in the filling.",
            "Tumble dry on low heat with two clean tennis balls to break up the clumps.",
        ),
    ),
    (
        "change the strings on a tennis racket",
        (
            "Cut out the old strings, starting from the centre of the racket.",
            "Mount the frame on a stringing machine and clamp it firmly.",
            "String the main strings first, pulling each one to the right tension.",
            "Weave in the cross strings, tie off the knots and trim the loose ends.",
        ),
    ),
    (
        "make pour-over coffee",
        (
            "Heat water to about 94 degrees Celsius and rinse the paper filter.",
            "Add 15 grams of medium-fine ground coffee to the filter.",
            "Pour a little water to let the coffee bloom for 30 seconds.",
            "Slowly pour the rest of the water in circles until you have about 250 millilitres.",
        ),
    ),
    (
        "brew loose leaf tea with a tea infuser",
        (
            "Fill the infuser about one third full with loose leaf tea.",
            "Heat fresh water to the temperature recommended for the tea.",
            "Place the infuser in the cup and pour the water over it.",
            "Steep for three to five minutes, then lift the infuser out.",
        ),
    ),
    (
        "care for a kitchen knife",
        (
            "Wash the knife by hand right after use and dry it at once.",
            "Cut on a wooden or plastic cutting board, never on glass or stone.",
            "Hone the edge with a honing steel every few uses.",
            "Store the knife in a block or on a magnetic strip, not loose in a drawer.",
        ),
    ),
    (
        "train a puppy to walk on a leash",
        (
            "Let the puppy wear its collar and leash indoors for short periods first.",
            "Reward the puppy with a treat whenever it walks beside you.",
            "Stop walking as soon as the leash gets tight and start again when it relaxes.",
            "Keep sessions short and practise a little every day.",
        ),
    ),
    (
        "start a morning running habit",
        (
            "Lay out your running shoes and clothes the night before.",
            "Begin with 20 minutes of easy running or walking three times a week.",
            "Warm up for five minutes and cool down with gentle stretches.",
            "Add a few minutes each week and keep a simple log of your runs.",
        ),
    ),
    (
        "organise a small home office desk",
        (
            "Clear everything off the desk and wipe it clean.",
            "Put back only the things you use every day, such as the lamp and notebook.",
            "Store cables, pens and paper in boxes or drawers.",
            "Spend two minutes tidying the desk at the end of each working day.",
        ),
    ),
    (
        "assemble a storage box shelf unit",
        (
            "Unpack all parts and check them against the list in the manual.",
            "Lay the side panels flat and fix the shelves to them with the screws provided.",
            "Attach the back panel to keep the frame square.",
            "Stand the unit up, secure it to the wall and slide the storage boxes in.",
        ),
    ),
)

# gift themes for list prompts: hobby -> catalog items that fit it
HOBBIES: dict[str, tuple[str, ...]] = {
    "hiking": ("hiking backpack", "water bottle", "rain jacket", "socks", "tent", "sleeping bag"),
    "tea": ("teapot", "tea infuser", "electric kettle", "coffee mug"),
    "coffee": ("coffee maker", "coffee mug", "electric kettle"),
    "cooking": ("frying pan", "kitchen knife", "cutting board", "air fryer", "blender"),
    "fitness": ("yoga mat", "dumbbell", "running shoes", "water bottle", "socks"),
    "tennis": ("tennis racket", "tennis balls", "socks", "water bottle"),
    "reading and writing": ("notebook", "ballpoint pen", "desk lamp", "scented candle"),
    "board games and puzzles": ("board game", "jigsaw puzzle", "storage box"),
    "DIY projects": ("cordless drill", "tape measure", "screwdriver set", "storage box"),
    "their dog": ("dog leash", "dog bed", "water bottle"),
}

SENDERS = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Riley")
NAMES = ("Laura", "David", "Sofia", "Marco", "Elena", "Omar", "Priya", "Jonas", "Clara", "Chen")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")

EMAIL_PURPOSES = (
    (
        "delay",
        "a customer named {r}",
        "to apologise that their {n} order will arrive {d} days late",
    ),
    ("quote", "a supplier", "asking for a price quote for {k} {ns}"),
    ("demo", "your team", "inviting them to a short demo of the new {p} on {day}"),
    ("refund", "a customer named {r}", "confirming that the refund for their {n} was approved"),
    ("thanks", "a customer named {r}", "thanking them for their five-star review of the {n}"),
)

CARE_TIPS = (
    "Read the care instructions that came with the {n} before first use.",
    "Clean the {n} regularly so that dirt does not build up.",
    "Store the {n} in a dry place away from direct sunlight.",
    "Check the {a} from time to time and fix small problems early.",
    "Do not push the {n} beyond what it is designed for.",
    "Keep the receipt and register the warranty in case something goes wrong.",
)
BUYING_POINTS = (
    "Your budget and how often you will use the {n}.",
    "The {a} and whether it fits your needs.",
    "The size and weight, and where you will store it.",
    "Recent customer reviews of the brand.",
    "The warranty and the return policy.",
)
