"""Hand-written ELI5-style explanations of everyday products, each backed by two short
documents; every claim is a paraphrase of one sentence of the document it cites."""

from __future__ import annotations

# (question, [(title, text), (title, text)], [(claim, index of the supporting doc)])
ELI5_TOPICS: tuple[tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, int], ...]], ...] = (
    (
        "Why do noise-cancelling headphones need a battery?",
        (
            (
                "Active noise control",
                "Active noise cancelling headphones use small microphones to pick up ambient sound around the listener. A built-in processor then produces a sound wave that is the inverse of the incoming noise, so the two waves cancel each other out.",
            ),
            (
                "Headphone power",
                "Because the microphones, the processor and the extra amplifier all need electricity, noise-cancelling headphones require a battery or another power source. Passive headphones, which only block sound physically with their ear cups, work without any power.",
            ),
        ),
        (
            ("Noise-cancelling headphones use microphones to pick up surrounding sound.", 0),
            ("A processor creates an inverted sound wave that cancels the noise.", 0),
            (
                "The microphones and processor need electricity, so the headphones require a battery.",
                1,
            ),
        ),
    ),
    (
        "How does an induction cooktop heat a pan?",
        (
            (
                "Induction cooking",
                "An induction cooktop has a copper coil beneath its glass surface. When alternating current flows through the coil it creates a rapidly changing magnetic field, which induces electric currents in the base of a pan and heats the pan directly.",
            ),
            (
                "Cookware for induction",
                "Induction only works with cookware made of a magnetic material such as cast iron or most stainless steel; aluminium, copper and glass pans do not heat unless they have a magnetic base. Because the heat is generated in the pan itself, the glass surface stays cooler than on a gas or radiant electric stove.",
            ),
        ),
        (
            ("An induction cooktop has a coil that creates a changing magnetic field.", 0),
            ("The magnetic field induces currents that heat the pan directly.", 0),
            ("Induction only works with pans made of a magnetic material such as cast iron.", 1),
        ),
    ),
    (
        "Why do non-stick pans stop being non-stick?",
        (
            (
                "Non-stick coating",
                "Most non-stick pans are coated with polytetrafluoroethylene (PTFE), a slippery plastic that food does not easily bond to. The coating is only a thin layer on top of the metal pan.",
            ),
            (
                "Caring for non-stick cookware",
                "Metal utensils and abrasive scrubbers scratch the thin coating, and very high heat breaks it down over time. Manufacturers recommend wooden or silicone utensils, medium heat and hand washing to make the coating last longer.",
            ),
        ),
        (
            ("Non-stick pans are coated with a thin layer of PTFE.", 0),
            ("Metal utensils and abrasive scrubbers scratch the coating.", 1),
            ("Very high heat breaks the coating down over time.", 1),
        ),
    ),
    (
        "How does a microwave oven heat food?",
        (
            (
                "Microwave oven",
                "A microwave oven produces microwaves with a magnetron, usually at a frequency of about 2.45 gigahertz. The microwaves make water molecules in the food rotate back and forth rapidly, and this motion is turned into heat.",
            ),
            (
                "Microwave safety",
                "Metal reflects microwaves rather than absorbing them, which is why the oven's metal walls keep the waves inside. Thin or pointed metal objects placed inside can cause sparks.",
            ),
        ),
        (
            ("A microwave oven produces microwaves with a magnetron.", 0),
            ("The microwaves make water molecules in food move rapidly, which produces heat.", 0),
            ("Metal reflects microwaves, so the oven's metal walls keep them inside.", 1),
        ),
    ),
    (
        "Why do phone batteries hold less charge as they get older?",
        (
            (
                "Lithium-ion battery aging",
                "Every charge and discharge cycle causes small side reactions inside a lithium-ion battery. These reactions build up a layer on the electrode and trap lithium that can no longer carry charge, so capacity slowly falls.",
            ),
            (
                "Battery care",
                "Heat speeds up the chemical reactions that wear a battery out, so batteries age faster in hot conditions. Keeping a battery at a full charge for long periods also stresses it.",
            ),
        ),
        (
            ("Each charge cycle causes side reactions inside a lithium-ion battery.", 0),
            (
                "These reactions trap lithium so that it can no longer carry charge, reducing capacity.",
                0,
            ),
            ("High temperatures make batteries age faster.", 1),
        ),
    ),
    (
        "How does a memory foam mattress work?",
        (
            (
                "Memory foam",
                "Memory foam is a viscoelastic polyurethane foam first developed under a NASA contract in the 1960s. It softens in response to body heat and pressure, so it molds to the shape of the body lying on it.",
            ),
            (
                "Memory foam mattresses",
                "Because the foam conforms to the body, it spreads weight over a larger area and reduces pressure points. When the weight is removed, the foam slowly returns to its original shape.",
            ),
        ),
        (
            ("Memory foam softens in response to body heat and pressure.", 0),
            ("It molds to the body and spreads weight over a larger area.", 1),
            ("The foam slowly returns to its original shape when the weight is removed.", 1),
        ),
    ),
    (
        "Why does a cast iron pan need to be seasoned?",
        (
            (
                "Seasoning (cookware)",
                "Seasoning is a layer of oil that has been heated until it polymerizes into a hard coating bonded to the surface of a cast iron pan. The coating gives the pan a naturally non-stick surface.",
            ),
            (
                "Cast iron care",
                "Bare cast iron rusts quickly when it is exposed to water and air. The seasoning layer protects the iron from moisture, which is why cast iron should be dried promptly and lightly oiled after washing.",
            ),
        ),
        (
            ("Seasoning is oil heated until it forms a hard polymerized coating on the pan.", 0),
            ("The seasoning gives cast iron a non-stick surface.", 0),
            ("Seasoning protects the iron from moisture, which would otherwise make it rust.", 1),
        ),
    ),
    (
        "Why do LED bulbs use less electricity than old light bulbs?",
        (
            (
                "Incandescent light bulb",
                "An incandescent bulb makes light by heating a tungsten filament until it glows. Most of the electricity it uses, around 90 percent, is given off as heat rather than visible light.",
            ),
            (
                "LED lamp",
                "LED bulbs produce light with semiconductors and turn a much larger share of their electricity into light. An LED bulb typically uses about 75 to 80 percent less energy than an incandescent bulb of similar brightness and lasts many times longer.",
            ),
        ),
        (
            ("Incandescent bulbs turn most of their electricity into heat rather than light.", 0),
            ("LED bulbs convert a much larger share of electricity into light.", 1),
            (
                "LED bulbs use about 75 to 80 percent less energy than comparable incandescent bulbs.",
                1,
            ),
        ),
    ),
    (
        "Why are down jackets so warm?",
        (
            (
                "Down feather",
                "Down is the soft layer of fine feathers found under the tougher outer feathers of ducks and geese. Down clusters trap many small pockets of air, and still air is a poor conductor of heat.",
            ),
            (
                "Down jacket",
                "The warmth of a down jacket depends on its loft, meaning how much the down fluffs up and how much air it can hold. When down gets wet its clusters collapse and it loses much of its insulating ability.",
            ),
        ),
        (
            ("Down clusters trap small pockets of air.", 0),
            ("Still air is a poor conductor of heat, so it insulates the body.", 0),
            ("Wet down collapses and loses much of its insulation.", 1),
        ),
    ),
    (
        "How does a dehumidifier take water out of the air?",
        (
            (
                "Dehumidifier",
                "A refrigerative dehumidifier uses a fan to draw humid air over cold coils. Water vapor in the air condenses on the coils and drips into a collection tank or drain.",
            ),
            (
                "Dehumidifier operation",
                "After passing over the cold coils, the dried air flows over warm condenser coils and is released back into the room slightly warmer than before. Many units switch off automatically when their water tank is full.",
            ),
        ),
        (
            ("A dehumidifier draws humid air over cold coils with a fan.", 0),
            ("Water vapor condenses on the coils and is collected in a tank.", 0),
            ("The dried air is warmed and released back into the room.", 1),
        ),
    ),
    (
        "How can a rain jacket be waterproof and breathable at the same time?",
        (
            (
                "Waterproof breathable fabric",
                "Breathable waterproof fabrics use a membrane full of tiny pores. The pores are too small for liquid water droplets to pass through but large enough for water vapor molecules from sweat to escape.",
            ),
            (
                "Durable water repellent",
                "The outer fabric of most rain jackets is treated with a durable water repellent (DWR) finish that makes water bead up and roll off. When the finish wears off, the outer fabric soaks up water and the jacket feels less breathable.",
            ),
        ),
        (
            ("Breathable rain jackets use a membrane with tiny pores.", 0),
            ("The pores block liquid water but let water vapor from sweat escape.", 0),
            ("A water-repellent finish makes rain bead up and roll off the outer fabric.", 1),
        ),
    ),
    (
        "How do robot vacuums find their way around a house?",
        (
            (
                "Robotic vacuum cleaner",
                "Robot vacuums use sensors to move around a home: bump sensors detect furniture, and cliff sensors pointing downward stop them from falling down stairs. More advanced models map rooms with lidar or cameras.",
            ),
            (
                "Robot vacuum docking",
                "When its battery runs low, a robot vacuum returns to its charging dock by following a signal from the dock. Some models then resume cleaning where they left off.",
            ),
        ),
        (
            ("Robot vacuums use bump sensors to detect furniture.", 0),
            ("Cliff sensors stop them from falling down stairs.", 0),
            ("When the battery runs low, they return to their charging dock.", 1),
        ),
    ),
    (
        "Why does a pressure cooker cook food faster?",
        (
            (
                "Pressure cooking",
                "A pressure cooker is a sealed pot that traps the steam produced as its contents heat up. The trapped steam raises the pressure inside the pot.",
            ),
            (
                "Boiling point and pressure",
                "At higher pressure, water boils at a higher temperature; in a pressure cooker it can reach about 120 °C instead of 100 °C. Food cooks faster at this higher temperature.",
            ),
        ),
        (
            ("A pressure cooker is a sealed pot that traps steam.", 0),
            ("The higher pressure raises the boiling point of water to about 120 °C.", 1),
            ("Food cooks faster at the higher temperature.", 1),
        ),
    ),
    (
        "How does an air fryer make food crispy without deep frying?",
        (
            (
                "Air fryer",
                "An air fryer is a small countertop convection oven. A heating element near the top heats the air, and a powerful fan circulates it rapidly around the food in a basket.",
            ),
            (
                "Browning in air fryers",
                "The fast-moving hot air dries the surface of the food and browns it through the Maillard reaction, giving a crisp texture similar to frying. Only a little oil, or none, is needed.",
            ),
        ),
        (
            ("An air fryer is a countertop convection oven with a heating element and a fan.", 0),
            ("The fan circulates hot air rapidly around the food.", 0),
            ("The hot air browns and crisps the surface of the food with little or no oil.", 1),
        ),
    ),
    (
        "Why does bread go stale?",
        (
            (
                "Staling",
                "Bread goes stale mainly because of starch retrogradation: after baking, the starch molecules slowly recrystallize and push water out, making the crumb firm and dry.",
            ),
            (
                "Storing bread",
                "Staling happens fastest at refrigerator temperatures, so bread kept in the fridge goes stale sooner than bread kept at room temperature. Reheating stale bread temporarily reverses the process and softens it.",
            ),
        ),
        (
            ("Bread goes stale because its starch molecules recrystallize.", 0),
            ("Bread stales faster in the refrigerator than at room temperature.", 1),
            ("Reheating stale bread temporarily softens it again.", 1),
        ),
    ),
    (
        "How does a refrigerator keep food cold?",
        (
            (
                "Refrigerator",
                "A refrigerator moves heat from inside its cabinet to the outside. A refrigerant absorbs heat as it evaporates in coils inside the fridge.",
            ),
            (
                "Vapor-compression refrigeration",
                "A compressor then squeezes the refrigerant vapor, raising its temperature, and the hot refrigerant releases its heat through condenser coils, usually at the back or bottom of the fridge.",
            ),
        ),
        (
            ("A refrigerant absorbs heat as it evaporates inside the fridge.", 0),
            ("A compressor raises the pressure and temperature of the refrigerant vapor.", 1),
            ("The heat is released through condenser coils outside the cabinet.", 1),
        ),
    ),
    (
        "Why do running shoes need so much cushioning?",
        (
            (
                "Running shoe",
                "When running, each footstrike produces impact forces of about two to three times body weight. Running shoes have foam midsoles that absorb and spread out these forces.",
            ),
            (
                "Running shoe lifespan",
                "The foam in a running shoe's midsole gradually compresses and loses its cushioning. Many experts suggest replacing running shoes every 500 to 800 kilometres.",
            ),
        ),
        (
            ("Each footstrike produces forces of about two to three times body weight.", 0),
            ("Foam midsoles absorb and spread out these forces.", 0),
            (
                "Midsole foam compresses over time, so shoes should be replaced every 500 to 800 km.",
                1,
            ),
        ),
    ),
    (
        "How do water filter pitchers clean tap water?",
        (
            (
                "Activated carbon",
                "Most pitcher filters contain activated carbon, which has a huge internal surface area that traps chlorine and many compounds that affect taste and odor.",
            ),
            (
                "Ion-exchange resin",
                "Many cartridges also contain ion-exchange resin that swaps ions such as calcium, lead or copper for less problematic ones. Over time the carbon and resin become saturated, which is why cartridges must be replaced regularly.",
            ),
        ),
        (
            (
                "Pitcher filters use activated carbon to trap chlorine and taste-affecting compounds.",
                0,
            ),
            ("Ion-exchange resin removes ions such as lead and calcium.", 1),
            ("The cartridges become saturated and need regular replacement.", 1),
        ),
    ),
    (
        "Why do smartphones seem to get slower as they age?",
        (
            (
                "Software updates",
                "Newer versions of apps and operating systems are written for newer hardware and often demand more memory and processing power, which can make older phones feel slower.",
            ),
            (
                "Battery aging in phones",
                "As a phone's battery ages, it may not deliver peak power reliably, and some manufacturers slow the processor to prevent unexpected shutdowns. Nearly full storage can also slow a phone down.",
            ),
        ),
        (
            ("Newer apps and operating systems demand more memory and processing power.", 0),
            ("Some phones slow the processor when the battery is worn to prevent shutdowns.", 1),
            ("Nearly full storage can also make a phone slower.", 1),
        ),
    ),
    (
        "How do wireless phone chargers work?",
        (
            (
                "Inductive charging",
                "Wireless phone chargers use inductive charging: a coil in the charging pad carries an alternating current that creates a changing magnetic field. A receiving coil in the phone turns that field back into electric current to charge the battery.",
            ),
            (
                "Qi standard",
                "Most phones and pads follow the Qi standard. Charging works best when the two coils are lined up, and it is generally less efficient than charging with a cable, wasting more energy as heat.",
            ),
        ),
        (
            ("A coil in the charging pad creates a changing magnetic field.", 0),
            ("A coil in the phone turns the magnetic field back into electric current.", 0),
            ("Wireless charging is less efficient than charging with a cable.", 1),
        ),
    ),
    (
        "Why do wool socks keep feet warm even when they are damp?",
        (
            (
                "Wool",
                "Wool fibers can absorb a large amount of water vapor, around 30 percent of their own weight, without feeling wet to the touch.",
            ),
            (
                "Wool insulation",
                "The natural crimp of wool fibers creates small air pockets that insulate. Because wool keeps much of its loft when damp, wool socks stay warm better than cotton socks, which lose their insulation when wet.",
            ),
        ),
        (
            ("Wool can absorb about 30 percent of its weight in moisture without feeling wet.", 0),
            ("The crimp of wool fibers creates insulating air pockets.", 1),
            ("Wool stays warmer than cotton when damp.", 1),
        ),
    ),
    (
        "How does sunscreen protect skin from the sun?",
        (
            (
                "Mineral sunscreen",
                "Mineral sunscreens use zinc oxide or titanium dioxide, which sit on the skin and block ultraviolet radiation, mostly by absorbing it and partly by scattering it.",
            ),
            (
                "Chemical sunscreen and SPF",
                "Chemical sunscreens contain organic compounds that absorb ultraviolet light and release the energy as a small amount of heat. The SPF number measures protection against UVB rays, the main cause of sunburn.",
            ),
        ),
        (
            ("Mineral sunscreens use zinc oxide or titanium dioxide to block UV radiation.", 0),
            ("Chemical sunscreens absorb UV light and release the energy as heat.", 1),
            ("SPF measures protection against UVB rays, which cause sunburn.", 1),
        ),
    ),
    (
        "Why does coffee taste bitter when it brews too long?",
        (
            (
                "Coffee extraction",
                "When hot water meets ground coffee it dissolves different compounds at different rates: acids come out first, then sugars, and bitter compounds come out last.",
            ),
            (
                "Over-extraction",
                "If the grind is too fine or the coffee brews for too long, too many of the slowly dissolving bitter compounds end up in the cup. This over-extracted coffee tastes bitter and harsh.",
            ),
        ),
        (
            ("Acids dissolve from coffee grounds first and bitter compounds last.", 0),
            (
                "A grind that is too fine or a brew that is too long extracts too many bitter compounds.",
                1,
            ),
            ("Over-extracted coffee tastes bitter.", 1),
        ),
    ),
    (
        "How does a thermos keep drinks hot for hours?",
        (
            (
                "Vacuum flask",
                "A vacuum flask has two walls with the air pumped out of the space between them. Without air in the gap, heat cannot travel through it by conduction or convection.",
            ),
            (
                "Vacuum flask coatings",
                "The inner surfaces are often silvered or polished so that they reflect heat radiation back toward the drink. Most remaining heat escapes through the stopper.",
            ),
        ),
        (
            ("A vacuum flask has two walls with a vacuum between them.", 0),
            ("The vacuum stops heat from moving by conduction and convection.", 0),
            ("Reflective inner surfaces reduce heat lost by radiation.", 1),
        ),
    ),
    (
        "How does an electric kettle know when to switch itself off?",
        (
            (
                "Kettle",
                "Many electric kettles switch off using a bimetallic strip made of two metals that expand at different rates. When the water boils, steam is channeled onto the strip, which bends and trips the switch.",
            ),
            (
                "Kettle safety",
                "Electric kettles usually also have boil-dry protection: a second thermostat cuts the power if the kettle is switched on with no water in it.",
            ),
        ),
        (
            ("Kettles use a bimetallic strip that bends when heated.", 0),
            ("Steam from the boiling water is directed onto the strip, which trips the switch.", 0),
            ("Boil-dry protection cuts power if the kettle has no water in it.", 1),
        ),
    ),
    (
        "How does a barcode scanner at the checkout know the price?",
        (
            (
                "Barcode",
                "A retail barcode such as a UPC or EAN code encodes a product number in a pattern of dark bars and light spaces of different widths.",
            ),
            (
                "Point of sale",
                "A scanner reads the pattern with a laser or a camera and sends the number to the store's computer system, which looks up the product's name and current price in a database.",
            ),
        ),
        (
            ("A barcode encodes a product number in bars and spaces of different widths.", 0),
            ("The scanner reads the pattern with a laser or camera.", 1),
            ("The store's system looks up the price for that number in a database.", 1),
        ),
    ),
    (
        "Why are only some plastic containers microwave safe?",
        (
            (
                "Plastics and heat",
                "Some plastics soften, warp or melt at the temperatures food can reach in a microwave oven.",
            ),
            (
                "Microwave-safe labels",
                "Chemicals from some plastics can migrate into food when heated. Containers labeled microwave safe have been made from plastics that withstand the heat and limit such migration.",
            ),
        ),
        (
            ("Some plastics soften or warp at microwave temperatures.", 0),
            ("Chemicals from some plastics can migrate into hot food.", 1),
            ("Microwave-safe containers are made from plastics that withstand the heat.", 1),
        ),
    ),
    (
        "How does a smoke detector sense smoke?",
        (
            (
                "Ionization smoke detector",
                "An ionization smoke detector contains a tiny amount of radioactive material that ionizes the air between two plates, letting a small current flow. Smoke particles disrupt the current and trigger the alarm.",
            ),
            (
                "Photoelectric smoke detector",
                "A photoelectric detector shines a light beam inside a chamber away from its sensor. Smoke entering the chamber scatters the light onto the sensor, which sets off the alarm.",
            ),
        ),
        (
            (
                "Ionization detectors use a small radioactive source to let a current flow through the air.",
                0,
            ),
            ("Smoke disrupts the current and triggers the alarm.", 0),
            ("Photoelectric detectors sound when smoke scatters light onto a sensor.", 1),
        ),
    ),
    (
        "Why do cotton t-shirts shrink in the dryer?",
        (
            (
                "Cotton shrinkage",
                "During spinning and weaving, cotton fibers are stretched and held under tension. Heat, moisture and tumbling in a dryer let the fibers relax and contract, so the garment shrinks.",
            ),
            (
                "Preshrunk fabric",
                "Preshrunk cotton has been washed or treated before being sewn, so it shrinks much less. Washing in cold water and air drying also reduce shrinkage.",
            ),
        ),
        (
            ("Cotton fibers are stretched under tension during manufacturing.", 0),
            ("Heat, moisture and tumbling let the fibers contract, shrinking the garment.", 0),
            ("Preshrunk cotton shrinks much less.", 1),
        ),
    ),
    (
        "How does a dishwasher clean dishes without scrubbing?",
        (
            (
                "Dishwasher",
                "A dishwasher sprays hot water onto the dishes through rotating spray arms. The force of the spray loosens food from the surfaces.",
            ),
            (
                "Dishwasher detergent",
                "Dishwasher detergents contain enzymes that break down proteins and starches, so stuck-on food dissolves without scrubbing. Rinse aid helps water run off the dishes so they dry without spots.",
            ),
        ),
        (
            ("A dishwasher sprays hot water through rotating arms.", 0),
            ("Enzymes in the detergent break down proteins and starches.", 1),
            ("Rinse aid helps water run off so dishes dry without spots.", 1),
        ),
    ),
)
