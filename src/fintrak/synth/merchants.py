"""Merchant catalogue: spending categories with MCCs, statement descriptors and amount scales.

Merchants are built once per bank: every home city gets its own shops of each local category
(descriptor, MCC, city), and online or national merchants are shared by all cities. Transactions
pick merchants by index, so no descriptor string is formatted per transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fintrak.synth.world import World

__all__ = ["CATEGORIES", "HOURS", "Catalogue", "Category", "build_catalogue"]


def _hours(*pairs: tuple[int, float]) -> np.ndarray:
    w = np.full(24, 0.02)
    for h, v in pairs:
        w[h] = v
    return w / w.sum()


#: Hour-of-day profiles (local clock), 24 weights each.
HOURS: dict[str, np.ndarray] = {
    "day": _hours(*[(h, 1.0) for h in range(9, 20)], (8, 0.5), (20, 0.6), (21, 0.35), (7, 0.25)),
    "meal": _hours(
        (7, 0.3),
        (8, 0.4),
        (11, 0.8),
        (12, 1.4),
        (13, 1.0),
        (17, 0.6),
        (18, 1.1),
        (19, 1.2),
        (20, 0.8),
        (21, 0.4),
        (22, 0.2),
        (14, 0.4),
        (15, 0.3),
        (16, 0.3),
        (23, 0.08),
    ),
    "morning": _hours((6, 0.6), (7, 1.2), (8, 1.3), (9, 0.9), (10, 0.6), (11, 0.3), (14, 0.3)),
    "evening": _hours(
        (17, 0.6), (18, 0.9), (19, 1.0), (20, 1.0), (21, 0.8), (22, 0.6), (23, 0.35), (0, 0.15)
    ),
    "night": _hours(
        (21, 0.4),
        (22, 0.9),
        (23, 1.1),
        (0, 1.2),
        (1, 1.1),
        (2, 0.9),
        (3, 0.6),
        (4, 0.35),
        (5, 0.2),
        (20, 0.2),
    ),
    "batch": _hours((1, 0.6), (2, 1.0), (3, 1.0), (4, 0.9), (5, 0.8), (6, 0.6), (7, 0.3)),
    "business": _hours(*[(h, 1.0) for h in range(9, 17)], (8, 0.4), (17, 0.4)),
    "any": np.full(24, 1 / 24),
    "shift_night": _hours(
        (6, 0.6),
        (7, 1.0),
        (8, 0.9),
        (9, 0.5),
        (17, 0.4),
        (18, 0.6),
        (19, 0.6),
        (20, 0.4),
        (22, 0.5),
        (23, 0.6),
        (0, 0.6),
        (1, 0.6),
        (2, 0.6),
        (3, 0.5),
        (4, 0.4),
        (5, 0.4),
    ),
}


@dataclass(frozen=True)
class Category:
    """A spending category.

    ``per_city`` merchants are created in every home city (0 = national/online merchants, city
    left empty); ``median`` and ``sigma`` give a log-normal amount in USD-equivalent units.
    """

    key: str
    mccs: tuple[int, ...]
    chains: tuple[str, ...]
    per_city: int
    median: float
    sigma: float
    hours: str = "day"
    store_numbers: bool = True


_GROCERY = {
    "us": ("KROGER", "SAFEWAY", "WHOLEFDS", "TRADER JOE S", "ALDI", "PUBLIX", "H-E-B", "WALMART"),
    "ca": ("LOBLAWS", "SOBEYS", "METRO", "NO FRILLS", "FOOD BASICS", "SAVE ON FOODS", "IGA"),
    "au": ("WOOLWORTHS", "COLES", "ALDI STORES", "IGA", "HARRIS FARM", "FOODWORKS"),
    "gb": ("TESCO STORES", "SAINSBURYS", "ASDA", "MORRISONS", "ALDI", "LIDL GB", "CO-OP GROUP"),
}
_FUEL = {
    "us": ("SHELL OIL", "CHEVRON", "EXXONMOBIL", "BP", "SPEEDWAY", "CIRCLE K", "MARATHON"),
    "ca": ("PETRO-CANADA", "ESSO", "SHELL", "HUSKY", "PIONEER", "ULTRAMAR"),
    "au": ("AMPOL", "BP", "SHELL COLES EXPRESS", "7-ELEVEN FUEL", "UNITED PETROLEUM"),
    "gb": ("SHELL", "BP", "ESSO", "TEXACO", "JET", "GULF"),
}
_TELECOM = {
    "us": ("VERIZON WRLS", "AT&T*BILL PAYMENT", "T-MOBILE", "CRICKET WIRELESS"),
    "ca": ("ROGERS", "BELL CANADA", "TELUS MOBILITY", "FREEDOM MOBILE"),
    "au": ("TELSTRA", "OPTUS", "VODAFONE AU", "BOOST MOBILE"),
    "gb": ("EE LIMITED", "VODAFONE UK", "O2 UK", "THREE UK"),
}
_UTILITY = {
    "us": ("CON EDISON", "PG&E", "DUKE ENERGY", "XCEL ENERGY", "CITY WATER DEPT", "COMCAST"),
    "ca": ("HYDRO ONE", "ENBRIDGE GAS", "BC HYDRO", "TORONTO HYDRO", "CITY WATER"),
    "au": ("AGL", "ORIGIN ENERGY", "ENERGYAUSTRALIA", "SYDNEY WATER", "TPG INTERNET"),
    "gb": (
        "BRITISH GAS",
        "OCTOPUS ENERGY",
        "EDF ENERGY",
        "THAMES WATER",
        "BT GROUP",
        "COUNCIL TAX",
    ),
}


def categories_for(region: str) -> tuple[Category, ...]:
    """Return the spending categories of ``region`` (chains vary by region)."""
    r = region
    return (
        Category("grocery", (5411,), _GROCERY[r], 10, 48.0, 0.75),
        Category(
            "restaurant",
            (5812,),
            (
                "BISTRO",
                "GRILL",
                "TAQUERIA",
                "PHO",
                "TRATTORIA",
                "SUSHI",
                "DINER",
                "KITCHEN",
                "THAI HOUSE",
                "CURRY HOUSE",
            ),
            24,
            38.0,
            0.6,
            "meal",
        ),
        Category(
            "fast_food",
            (5814,),
            (
                "MCDONALD S",
                "SUBWAY",
                "TACO BELL",
                "KFC",
                "DOMINO S",
                "WENDYS",
                "BURGER KING",
                "CHIPOTLE",
                "PIZZA HUT",
            ),
            16,
            13.0,
            0.5,
            "meal",
        ),
        Category(
            "coffee",
            (5814,),
            (
                "STARBUCKS",
                "TIM HORTONS" if r == "ca" else "DUNKIN",
                "COSTA COFFEE" if r == "gb" else "PEETS",
                "LOCAL CAFE",
            ),
            8,
            6.5,
            0.4,
            "morning",
        ),
        Category(
            "convenience",
            (5499,),
            ("7-ELEVEN", "CIRCLE K", "CORNER MART", "QUICK STOP"),
            10,
            11.0,
            0.6,
            "any",
        ),
        Category("fuel", (5541, 5542), _FUEL[r], 8, 42.0, 0.45, "day"),
        Category(
            "pharmacy",
            (5912,),
            (
                "CVS/PHARMACY",
                "WALGREENS",
                "SHOPPERS DRUG MART"
                if r == "ca"
                else "BOOTS"
                if r == "gb"
                else "CHEMIST WAREHOUSE"
                if r == "au"
                else "RITE AID",
            ),
            5,
            22.0,
            0.7,
        ),
        Category(
            "clothing",
            (5651, 5621, 5691, 5661),
            (
                "H&M",
                "ZARA",
                "GAP",
                "UNIQLO",
                "OLD NAVY",
                "PRIMARK" if r == "gb" else "TJ MAXX",
                "NIKE",
                "FOOT LOCKER",
            ),
            8,
            55.0,
            0.75,
        ),
        Category(
            "lingerie",
            (5631,),
            (
                "VICTORIAS SECRET",
                "LA SENZA",
                "AGENT PROVOCATEUR",
                "HONEY BIRDETTE",
                "SAVAGE X FENTY",
            ),
            2,
            48.0,
            0.55,
        ),
        Category(
            "cosmetics",
            (5977,),
            ("SEPHORA", "ULTA BEAUTY", "MAC COSMETICS", "SALLY BEAUTY"),
            3,
            32.0,
            0.6,
        ),
        Category(
            "beauty_salon",
            (7230,),
            ("NAIL SPA", "HAIR STUDIO", "BARBER CO", "LASH BAR", "BEAUTY LOUNGE"),
            6,
            45.0,
            0.6,
        ),
        Category(
            "department",
            (5311,),
            ("TARGET", "COSTCO WHSE", "KOHLS", "MARSHALLS", "KMART" if r == "au" else "MACYS"),
            4,
            62.0,
            0.8,
        ),
        Category(
            "home", (5200, 5251), ("HOME DEPOT", "LOWES", "IKEA", "ACE HARDWARE"), 3, 58.0, 0.9
        ),
        Category(
            "electronics", (5732,), ("BEST BUY", "APPLE STORE", "MICRO CENTER"), 2, 140.0, 0.9
        ),
        Category(
            "bar",
            (5813,),
            ("TAVERN", "PUB", "LOUNGE", "BREWING CO", "COCKTAIL BAR"),
            8,
            34.0,
            0.65,
            "evening",
        ),
        Category("cinema", (7832,), ("AMC", "REGAL", "CINEPLEX"), 2, 24.0, 0.4, "evening"),
        Category(
            "gym",
            (7997,),
            ("PLANET FITNESS", "ANYTIME FITNESS", "LA FITNESS", "PURE GYM"),
            3,
            32.0,
            0.5,
        ),
        Category(
            "medical",
            (8011, 8021, 8062, 8099),
            ("MEDICAL GROUP", "DENTAL CARE", "URGENT CARE", "COMMUNITY HOSPITAL"),
            4,
            95.0,
            1.0,
            "business",
        ),
        Category(
            "hotel",
            (7011,),
            ("MARRIOTT", "HILTON", "HYATT", "HOLIDAY INN", "BEST WESTERN", "HAMPTON INN"),
            6,
            165.0,
            0.45,
        ),
        Category(
            "motel",
            (7011,),
            (
                "MOTEL 6",
                "SUPER 8",
                "RED ROOF INN",
                "DAYS INN",
                "ECONO LODGE",
                "AMERICAS BEST VALUE INN",
            ),
            6,
            72.0,
            0.3,
            "any",
        ),
        Category(
            "car_rental",
            (7512,),
            ("HERTZ", "ENTERPRISE RENT-A-CAR", "AVIS", "BUDGET"),
            3,
            210.0,
            0.5,
        ),
        Category("parking", (7523,), ("PARKING", "IMPARK", "SP PLUS"), 3, 14.0, 0.6),
        Category(
            "transit",
            (4111,),
            ("METRO TRANSIT", "TRANSIT AUTHORITY"),
            1,
            11.0,
            0.6,
            "morning",
            False,
        ),
        Category(
            "atm", (6011,), ("ATM", "ATM", "ATM CARDTRONICS", "ATM ALLPOINT"), 10, 100.0, 0.5, "day"
        ),
        Category(
            "gas_atm",
            (6011,),
            ("ATM SHELL", "ATM 7-ELEVEN", "ATM CIRCLE K"),
            4,
            100.0,
            0.5,
            "night",
        ),
        Category("branch", (), ("BRANCH",), 3, 300.0, 0.9, "business"),
        Category(
            "truck_stop",
            (5541, 5542),
            ("PILOT TRAVEL CTR", "LOVES TRAVEL STOP", "TA TRAVEL CENTER", "FLYING J"),
            3,
            180.0,
            0.5,
            "any",
        ),
        Category("beauty_supply", (5977,), ("SALLY BEAUTY", "BEAUTY SUPPLY"), 2, 58.0, 0.7),
        Category("jewelry", (5944,), ("JEWELERS", "JEWELRY EXCHANGE", "PANDORA"), 2, 420.0, 0.9),
        Category("casino", (7995,), ("CASINO", "CARD ROOM", "GAMING"), 1, 180.0, 0.9, "night"),
        Category(
            "massage",
            (7297,),
            ("MASSAGE", "SPA", "REFLEXOLOGY", "WELLNESS SPA"),
            3,
            75.0,
            0.4,
            "evening",
        ),
        Category("spa", (7298,), ("DAY SPA", "SKIN CLINIC", "WAX CENTER"), 2, 80.0, 0.5),
        # national or online merchants (per_city = 0)
        Category(
            "online",
            (5999, 5942, 5964, 5311),
            ("AMZN MKTP", "EBAY O", "ETSY.COM", "WALMART.COM", "SHEIN", "TEMU.COM"),
            0,
            36.0,
            0.9,
            "any",
        ),
        Category(
            "rideshare", (4121,), ("UBER *TRIP", "LYFT *RIDE", "DIDI RIDE"), 0, 19.0, 0.55, "any"
        ),
        Category(
            "food_delivery",
            (5814,),
            (
                "DOORDASH",
                "UBER *EATS",
                "MENULOG" if r == "au" else "DELIVEROO" if r == "gb" else "GRUBHUB",
            ),
            0,
            31.0,
            0.45,
            "evening",
        ),
        Category(
            "airline",
            (4511,),
            (
                "UNITED AIRLINES",
                "DELTA AIR",
                "AMERICAN AIR",
                "SOUTHWEST",
                "AIR CANADA",
                "QANTAS",
                "BRITISH AIRWAYS",
                "RYANAIR",
                "EASYJET",
                "JETBLUE",
                "VIRGIN AUSTRALIA",
                "WESTJET",
            ),
            0,
            260.0,
            0.55,
        ),
        Category(
            "bus_rail",
            (4112, 4131),
            ("GREYHOUND", "AMTRAK", "VIA RAIL", "NATIONAL EXPRESS", "FLIXBUS", "NSW TRAINLINK"),
            0,
            48.0,
            0.6,
            "any",
        ),
        Category(
            "lodging_online",
            (7011,),
            ("AIRBNB * HM", "BOOKING.COM", "EXPEDIA HOTEL", "VRBO"),
            0,
            190.0,
            0.6,
            "any",
        ),
        Category(
            "streaming",
            (4899,),
            ("NETFLIX.COM", "SPOTIFY", "DISNEY PLUS", "HULU", "YOUTUBEPREMIUM", "APPLE.COM/BILL"),
            0,
            13.0,
            0.35,
            "batch",
        ),
        Category(
            "software",
            (5818, 5815),
            ("GOOGLE *STORAGE", "MICROSOFT*365", "ADOBE", "DROPBOX"),
            0,
            10.0,
            0.5,
            "batch",
        ),
        Category("telecom", (4814,), _TELECOM[r], 0, 72.0, 0.35, "batch"),
        Category(
            "prepaid_topup",
            (4814,),
            (
                "PREPAID WIRELESS TOPUP",
                "BOOST TOPUP",
                "LYCAMOBILE",
                "H2O WIRELESS",
                "ULTRA MOBILE PAYG",
            ),
            0,
            26.0,
            0.45,
            "any",
        ),
        Category(
            "prepaid_card",
            (6540,),
            ("VANILLA PREPAID", "GREEN DOT LOAD", "NETSPEND RELOAD", "PREPAID CARD LOAD"),
            0,
            90.0,
            0.6,
            "any",
        ),
        Category("utilities", (4900,), _UTILITY[r], 0, 95.0, 0.45, "batch"),
        Category(
            "insurance",
            (6300,),
            ("STATE FARM", "GEICO", "PROGRESSIVE", "ALLSTATE", "AVIVA", "NRMA", "INTACT"),
            0,
            130.0,
            0.4,
            "batch",
        ),
        Category(
            "msb",
            (4829,),
            ("WESTERN UNION", "MONEYGRAM", "REMITLY", "XOOM", "RIA MONEY TRANSFER", "WISE"),
            0,
            260.0,
            0.6,
            "day",
        ),
        Category(
            "gambling_online",
            (7995,),
            ("DRAFTKINGS", "FANDUEL", "BET365", "SPORTSBET"),
            0,
            60.0,
            0.9,
            "night",
        ),
        Category(
            "ads_mainstream",
            (7311,),
            ("FACEBK *ADS", "GOOGLE *ADS", "TIKTOK ADS", "INSTAGRAM ADS", "X CORP ADS"),
            0,
            40.0,
            0.9,
            "any",
        ),
        Category(
            "ads_adult",
            (7311, 5967, 4816),
            (
                "NIGHTLISTR.COM",
                "VIPDATEADS*CREDITS",
                "BUMPMYAD",
                "ESCORTBOARD*POST",
                "ADHOSTPRO*RENEW",
                "SWEETCLASSIFIEDS",
                "CITYNIGHTS GUIDE",
                "PRVTLISTINGS",
            ),
            0,
            24.0,
            0.8,
            "any",
        ),
        Category(
            "visa_fees",
            (9399, 9311),
            ("DEPT OF STATE MRV FEE", "IRCC FEES", "HOME OFFICE VISA", "IMMI ACCOUNT FEE"),
            0,
            190.0,
            0.3,
            "business",
        ),
        Category(
            "employment_agency",
            (7361,),
            (
                "GLOBAL STAFFING",
                "WORKFORCE PLACEMENT",
                "OVERSEAS RECRUITMENT",
                "TALENT BRIDGE AGENCY",
            ),
            0,
            450.0,
            0.8,
            "business",
        ),
        Category(
            "luxury",
            (5944, 5511, 5681),
            ("ROLEX BOUTIQUE", "LOUIS VUITTON", "GUCCI", "LUXURY MOTORS", "FUR SALON"),
            0,
            1200.0,
            0.8,
        ),
    )


CATEGORIES = {c.key: c for c in categories_for("us")}


@dataclass
class Catalogue:
    """All merchants of one bank, as arrays indexed by merchant number."""

    categories: dict[str, int]  # key -> category number
    cats: tuple[Category, ...]
    name: np.ndarray  # pool codes
    mcc: np.ndarray  # int16, -1 for none
    city: np.ndarray  # city index, -1 for online
    offset: np.ndarray  # [n_cities, n_cats] first merchant
    size: np.ndarray  # [n_cities, n_cats] number of merchants

    def pick(
        self,
        cat: str,
        city: np.ndarray,
        u: np.ndarray,
        favourite: np.ndarray | None = None,
        loyalty: float = 0.0,
    ) -> np.ndarray:
        """Pick a merchant of ``cat`` in each ``city`` (``u`` uniform draws in [0, 1)).

        With probability ``loyalty`` (decided by ``u`` itself) the account's ``favourite``
        (any integer) picks the merchant instead, so people keep going to the same shops.
        """
        k = self.categories[cat]
        off = self.offset[city, k]
        size = self.size[city, k]
        j = (u * size).astype(np.int64)
        if favourite is not None and loyalty > 0:
            fav = favourite % size
            rest = (u - loyalty) / max(1 - loyalty, 1e-9) * size
            j = np.where(u < loyalty, fav, np.clip(rest, 0, size - 1).astype(np.int64))
        return off + np.minimum(j, size - 1)


def build_catalogue(world: World, pool, region: str) -> Catalogue:  # noqa: ANN001
    """Create every merchant of the bank and register its descriptor in ``pool``."""
    cats = categories_for(region)
    n_city = len(world.cities)
    names: list[str] = []
    mcc: list[int] = []
    city: list[int] = []
    offset = np.zeros((n_city, len(cats)), dtype=np.int64)
    size = np.zeros((n_city, len(cats)), dtype=np.int64)
    us_style = region in ("us", "ca")
    store = 1000
    for k, cat in enumerate(cats):
        if cat.per_city == 0:
            start = len(names)
            for i, chain in enumerate(cat.chains):
                names.append(chain)
                mcc.append(cat.mccs[i % len(cat.mccs)] if cat.mccs else -1)
                city.append(-1)
            offset[:, k] = start
            size[:, k] = len(cat.chains)
            continue
        for c in range(world.n_home):
            start = len(names)
            cty = world.cities[c]
            for i in range(cat.per_city):
                chain = cat.chains[i % len(cat.chains)]
                store = (store * 7919 + 17 * (i + 1) + c) % 9000 + 1000
                if cat.key in ("restaurant", "bar", "beauty_salon", "massage", "spa", "jewelry"):
                    prefix = _LOCAL_PREFIX[(c * 7 + i * 3 + k) % len(_LOCAL_PREFIX)]
                    label = f"{prefix} {chain}"
                elif cat.key == "branch":
                    label = f"BRANCH DEPOSIT {store:04d}"
                elif cat.store_numbers:
                    label = f"{chain} #{store:04d}" if us_style else f"{chain} {store:04d}"
                else:
                    label = chain
                if cat.key != "branch":
                    label = f"{label} {cty.name.upper()}"
                    if us_style:
                        label = f"{label} {cty.state}"
                names.append(label)
                mcc.append(cat.mccs[i % len(cat.mccs)] if cat.mccs else -1)
                city.append(c)
            offset[c, k] = start
            size[c, k] = cat.per_city
        # foreign cities borrow the first home city's shops (never used for local spending)
        offset[world.n_home :, k] = offset[0, k]
        size[world.n_home :, k] = size[0, k]
    codes = pool.add(np.array(names, dtype=object))
    return Catalogue(
        categories={c.key: k for k, c in enumerate(cats)},
        cats=cats,
        name=codes,
        mcc=np.array(mcc, dtype=np.int16),
        city=np.array(city, dtype=np.int32),
        offset=offset,
        size=size,
    )


_LOCAL_PREFIX = (
    "GOLDEN",
    "BLUE",
    "RED",
    "LUCKY",
    "SUNSET",
    "ROYAL",
    "LOTUS",
    "URBAN",
    "OLD TOWN",
    "CORNER",
    "HAPPY",
    "JADE",
    "SILVER",
    "MAIN ST",
    "PARK",
    "RIVER",
    "BELLA",
    "PACIFIC",
    "EMPIRE",
    "STAR",
)
