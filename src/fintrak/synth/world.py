"""The simulated world: regions, cities, time zones, corridors, names and phone formats.

Everything here is static reference data plus vectorised helpers that turn integer draws into
strings (names, phones, addresses). No randomness is drawn in this module; callers pass the draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["City", "Region", "World", "build_world", "format_phones", "phone_digits"]


@dataclass(frozen=True)
class City:
    """A city where accounts live or transactions happen."""

    name: str
    state: str
    country: str
    tz: str | None
    area_codes: tuple[str, ...] = ()
    weight: float = 1.0
    border: bool = False


@dataclass(frozen=True)
class Region:
    """Reference data of one bank region."""

    code: str
    country: str
    cities: tuple[City, ...]
    #: smuggling beneficiaries' cities outside the home country (e.g. Ciudad Juarez for the US)
    foreign_border: tuple[City, ...]
    #: countries of origin or transit of smuggled migrants (H3, H4)
    corridor: tuple[str, ...]
    #: countries ordinary migrants remit to (hard negatives use these too, including corridor ones)
    remit: tuple[str, ...]
    phone_style: str  # "nanp", "gb" or "au"
    street_suffixes: tuple[str, ...]
    benefits_payer: str
    tax_payee: str


def _words(text: str) -> list[str]:
    return text.split()


def _c(
    name: str, state: str, country: str, tz: str, codes: str = "", w: float = 1.0, border=False
) -> City:
    return City(name, state, country, tz, tuple(_words(codes)) if codes else (), w, border)


_US = (
    _c("New York", "NY", "US", "America/New_York", "212 718 917 646", 8.0),
    _c("Los Angeles", "CA", "US", "America/Los_Angeles", "213 323 310 818", 4.0),
    _c("Chicago", "IL", "US", "America/Chicago", "312 773 872", 2.7),
    _c("Houston", "TX", "US", "America/Chicago", "713 281 832", 2.3),
    _c("Phoenix", "AZ", "US", "America/Phoenix", "602 480 623", 1.6),
    _c("Philadelphia", "PA", "US", "America/New_York", "215 267", 1.6),
    _c("San Antonio", "TX", "US", "America/Chicago", "210 726", 1.4),
    _c("San Diego", "CA", "US", "America/Los_Angeles", "619 858", 1.4, True),
    _c("Dallas", "TX", "US", "America/Chicago", "214 469 972", 1.3),
    _c("Atlanta", "GA", "US", "America/New_York", "404 470 678", 1.0),
    _c("Miami", "FL", "US", "America/New_York", "305 786", 1.0),
    _c("Seattle", "WA", "US", "America/Los_Angeles", "206 564", 0.9),
    _c("Denver", "CO", "US", "America/Denver", "303 720", 0.9),
    _c("Las Vegas", "NV", "US", "America/Los_Angeles", "702 725", 0.8),
    _c("Detroit", "MI", "US", "America/Detroit", "313", 0.8),
    _c("Minneapolis", "MN", "US", "America/Chicago", "612", 0.6),
    _c("Charlotte", "NC", "US", "America/New_York", "704 980", 0.9),
    _c("Orlando", "FL", "US", "America/New_York", "407 689", 0.6),
    _c("Nashville", "TN", "US", "America/Chicago", "615 629", 0.7),
    _c("Boston", "MA", "US", "America/New_York", "617 857", 0.8),
    _c("Portland", "OR", "US", "America/Los_Angeles", "503 971", 0.6),
    _c("Columbus", "OH", "US", "America/New_York", "614 380", 0.9),
    _c("Indianapolis", "IN", "US", "America/Indiana/Indianapolis", "317 463", 0.9),
    _c("Salt Lake City", "UT", "US", "America/Denver", "801 385", 0.4),
    _c("El Paso", "TX", "US", "America/Denver", "915", 0.7, True),
    _c("Laredo", "TX", "US", "America/Chicago", "956", 0.3, True),
    _c("McAllen", "TX", "US", "America/Chicago", "956", 0.3, True),
    _c("Brownsville", "TX", "US", "America/Chicago", "956", 0.2, True),
    _c("Nogales", "AZ", "US", "America/Phoenix", "520", 0.1, True),
)
_CA = (
    _c("Toronto", "ON", "CA", "America/Toronto", "416 647 437", 6.0),
    _c("Montreal", "QC", "CA", "America/Toronto", "514 438", 4.0),
    _c("Vancouver", "BC", "CA", "America/Vancouver", "604 778 236", 2.5),
    _c("Calgary", "AB", "CA", "America/Edmonton", "403 587 825", 1.5),
    _c("Edmonton", "AB", "CA", "America/Edmonton", "780 587", 1.4),
    _c("Ottawa", "ON", "CA", "America/Toronto", "613 343", 1.4),
    _c("Winnipeg", "MB", "CA", "America/Winnipeg", "204 431", 0.8),
    _c("Quebec City", "QC", "CA", "America/Toronto", "418 581", 0.8),
    _c("Hamilton", "ON", "CA", "America/Toronto", "905 289", 0.8),
    _c("Halifax", "NS", "CA", "America/Halifax", "902 782", 0.4),
    _c("Regina", "SK", "CA", "America/Regina", "306 639", 0.25),
    _c("Saskatoon", "SK", "CA", "America/Regina", "306 639", 0.3),
    _c("Victoria", "BC", "CA", "America/Vancouver", "250 778", 0.4),
    _c("St. John's", "NL", "CA", "America/St_Johns", "709", 0.2),
    _c("Kitchener", "ON", "CA", "America/Toronto", "519 226", 0.5),
    _c("Windsor", "ON", "CA", "America/Toronto", "519 226", 0.3, True),
    _c("Niagara Falls", "ON", "CA", "America/Toronto", "905 289", 0.15, True),
    _c("Surrey", "BC", "CA", "America/Vancouver", "604 778", 0.6, True),
    _c("Cornwall", "ON", "CA", "America/Toronto", "613 343", 0.05, True),
)
_AU = (
    _c("Sydney", "NSW", "AU", "Australia/Sydney", "02", 5.3),
    _c("Melbourne", "VIC", "AU", "Australia/Melbourne", "03", 5.0),
    _c("Brisbane", "QLD", "AU", "Australia/Brisbane", "07", 2.6),
    _c("Perth", "WA", "AU", "Australia/Perth", "08", 2.1),
    _c("Adelaide", "SA", "AU", "Australia/Adelaide", "08", 1.4),
    _c("Gold Coast", "QLD", "AU", "Australia/Brisbane", "07", 0.7),
    _c("Canberra", "ACT", "AU", "Australia/Sydney", "02", 0.45),
    _c("Newcastle", "NSW", "AU", "Australia/Sydney", "02", 0.5),
    _c("Hobart", "TAS", "AU", "Australia/Hobart", "03", 0.25),
    _c("Geelong", "VIC", "AU", "Australia/Melbourne", "03", 0.3),
    _c("Wollongong", "NSW", "AU", "Australia/Sydney", "02", 0.3),
    _c("Townsville", "QLD", "AU", "Australia/Brisbane", "07", 0.2),
    _c("Cairns", "QLD", "AU", "Australia/Brisbane", "07", 0.15, True),
    _c("Darwin", "NT", "AU", "Australia/Darwin", "08", 0.15, True),
    _c("Broome", "WA", "AU", "Australia/Perth", "08", 0.02, True),
)
_GB = (
    _c("London", "ENG", "GB", "Europe/London", "020", 9.0),
    _c("Birmingham", "ENG", "GB", "Europe/London", "0121", 1.2),
    _c("Manchester", "ENG", "GB", "Europe/London", "0161", 1.1),
    _c("Leeds", "ENG", "GB", "Europe/London", "0113", 0.8),
    _c("Glasgow", "SCT", "GB", "Europe/London", "0141", 0.6),
    _c("Liverpool", "ENG", "GB", "Europe/London", "0151", 0.5),
    _c("Bristol", "ENG", "GB", "Europe/London", "0117", 0.5),
    _c("Sheffield", "ENG", "GB", "Europe/London", "0114", 0.5),
    _c("Edinburgh", "SCT", "GB", "Europe/London", "0131", 0.5),
    _c("Leicester", "ENG", "GB", "Europe/London", "0116", 0.35),
    _c("Newcastle upon Tyne", "ENG", "GB", "Europe/London", "0191", 0.3),
    _c("Nottingham", "ENG", "GB", "Europe/London", "0115", 0.3),
    _c("Cardiff", "WLS", "GB", "Europe/London", "029", 0.35),
    _c("Belfast", "NIR", "GB", "Europe/London", "028", 0.35),
    _c("Southampton", "ENG", "GB", "Europe/London", "023", 0.25),
    _c("Coventry", "ENG", "GB", "Europe/London", "024", 0.3),
    _c("Dover", "ENG", "GB", "Europe/London", "01304", 0.03, True),
    _c("Folkestone", "ENG", "GB", "Europe/London", "01303", 0.05, True),
    _c("Hull", "ENG", "GB", "Europe/London", "01482", 0.25, True),
)


def _f(name: str, country: str) -> City:
    return City(name, "", country, None)


#: Cities abroad: other side of wires and remittances.
FOREIGN: tuple[City, ...] = (
    _f("Ciudad Juarez", "MX"),
    _f("Tijuana", "MX"),
    _f("Nuevo Laredo", "MX"),
    _f("Reynosa", "MX"),
    _f("Matamoros", "MX"),
    _f("Nogales", "MX"),
    _f("Guadalajara", "MX"),
    _f("Mexico City", "MX"),
    _f("Puebla", "MX"),
    _f("Oaxaca", "MX"),
    _f("Guatemala City", "GT"),
    _f("Quetzaltenango", "GT"),
    _f("Huehuetenango", "GT"),
    _f("San Salvador", "SV"),
    _f("San Miguel", "SV"),
    _f("Tegucigalpa", "HN"),
    _f("San Pedro Sula", "HN"),
    _f("Mumbai", "IN"),
    _f("Delhi", "IN"),
    _f("Chennai", "IN"),
    _f("Manila", "PH"),
    _f("Cebu", "PH"),
    _f("Hanoi", "VN"),
    _f("Ho Chi Minh City", "VN"),
    _f("Guangzhou", "CN"),
    _f("Lagos", "NG"),
    _f("Santo Domingo", "DO"),
    _f("Bogota", "CO"),
    _f("Jakarta", "ID"),
    _f("Kupang", "ID"),
    _f("Kuala Lumpur", "MY"),
    _f("Colombo", "LK"),
    _f("Tehran", "IR"),
    _f("Kabul", "AF"),
    _f("Tirana", "AL"),
    _f("Erbil", "IQ"),
    _f("Asmara", "ER"),
    _f("Calais", "FR"),
    _f("Dunkirk", "FR"),
    _f("Bucharest", "RO"),
    _f("Bangkok", "TH"),
    _f("Warsaw", "PL"),
    _f("Port-au-Prince", "HT"),
    _f("Lahore", "PK"),
    _f("Dhaka", "BD"),
    _f("Accra", "GH"),
)

REGIONS: dict[str, Region] = {
    "us": Region(
        "us",
        "US",
        _US,
        (
            _f("Ciudad Juarez", "MX"),
            _f("Tijuana", "MX"),
            _f("Nuevo Laredo", "MX"),
            _f("Reynosa", "MX"),
            _f("Matamoros", "MX"),
            _f("Nogales", "MX"),
        ),
        ("MX", "GT", "SV", "HN"),
        ("MX", "GT", "SV", "HN", "IN", "PH", "DO", "VN", "CN", "NG", "CO"),
        "nanp",
        ("St", "Ave", "Blvd", "Rd", "Dr", "Ln", "Way", "Ct"),
        "SSA TREAS 310",
        "IRS USATAXPYMT",
    ),
    "ca": Region(
        "ca",
        "CA",
        _CA,
        (),
        ("MX", "IN", "HT", "CO"),
        ("IN", "PH", "CN", "MX", "PK", "HT", "VN", "NG", "CO", "GT"),
        "nanp",
        ("St", "Ave", "Rd", "Dr", "Cres", "Blvd", "Way"),
        "CANADA FED BEN",
        "CRA-ARC TAX",
    ),
    "au": Region(
        "au",
        "AU",
        _AU,
        (_f("Kupang", "ID"), _f("Jakarta", "ID")),
        ("ID", "LK", "IR", "AF", "VN"),
        ("IN", "CN", "PH", "VN", "MY", "LK", "ID", "NG", "TH", "AF"),
        "au",
        ("St", "Rd", "Ave", "Pde", "Cres", "Ct", "Tce"),
        "CENTRELINK",
        "ATO PAYMENT",
    ),
    "gb": Region(
        "gb",
        "GB",
        _GB,
        (_f("Calais", "FR"), _f("Dunkirk", "FR")),
        ("AL", "VN", "IQ", "ER", "FR"),
        ("IN", "PK", "PL", "RO", "NG", "BD", "AL", "VN", "GH", "PH"),
        "gb",
        ("Road", "Street", "Lane", "Avenue", "Close", "Gardens", "Way", "Crescent"),
        "DWP UC",
        "HMRC VAT",
    ),
}

_FIRST_ANGLO = _words(
    "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Susan Richard "
    "Jessica Joseph Sarah Thomas Karen Chris Emily Daniel Ashley Matthew Amanda Anthony Megan Mark "
    "Rachel Steven Laura Andrew Hannah Paul Olivia Kevin Emma Brian Chloe Jason Sophie Ryan Grace "
    "Tyler Madison Kyle Brittany Ethan Amber Liam Kayla Noah Taylor"
)
_FIRST_HISP = _words(
    "Jose Maria Juan Guadalupe Luis Ana Carlos Rosa Jorge Carmen Miguel Sofia Jesus Lucia Pedro "
    "Daniela Francisco Alejandra Antonio Valeria Ricardo Gabriela Manuel Fernanda Oscar Karla "
    "Mario Yesenia Javier Brenda"
)
_FIRST_ASIAN = _words(
    "Wei Li Ming Mei Jun Hui Minh Linh Tuan Thi Nguyen Hao Jin Yan Akira Yuki Somchai Malee "
    "Jose Maricel Rodel Jocelyn"
)
_FIRST_SOUTH = _words(
    "Priya Rahul Amit Sunita Ravi Anjali Vikram Pooja Arjun Deepa Mohammed Fatima Ali Aisha "
    "Imran Ayesha Sanjay Neha Hassan Zainab"
)
_FIRST_OTHER = _words(
    "Chinedu Ngozi Kwame Ama Andrei Elena Ion Ioana Piotr Anna Agnieszka Marek Arben Elira "
    "Dawit Helen Ahmad Maryam Reza Zahra"
)
_LAST_ANGLO = _words(
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin "
    "Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Green "
    "Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Parker Collins "
    "Edwards Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey Bell Kelly "
    "Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray Hughes Price Sanders Myers Long "
    "Ross Foster"
)
_LAST_HISP = _words(
    "Garcia Rodriguez Martinez Hernandez Lopez Gonzalez Perez Sanchez Ramirez Torres Flores Rivera "
    "Gomez Diaz Cruz Morales Reyes Gutierrez Ortiz Chavez Ramos Ruiz Mendoza Castillo Vasquez "
    "Jimenez Moreno Alvarez Romero Herrera Medina Aguilar Vargas Castro Guzman Juarez"
)
_LAST_ASIAN = _words(
    "Nguyen Tran Le Pham Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Kim Lee Park Santos Reyes "
    "Cruz Bautista Ocampo Tanaka Sato Suzuki Srisuk Wongsa"
)
_LAST_SOUTH = _words(
    "Patel Singh Kumar Sharma Shah Gupta Khan Ahmed Hussain Ali Iqbal Rahman Chowdhury Reddy Rao "
    "Das Bose Mehta Joshi Desai"
)
_LAST_OTHER = _words(
    "Okafor Mensah Adeyemi Popescu Ionescu Kowalski Nowak Wisniewski Hoxha Berisha Tesfaye Haile "
    "Rahimi Hosseini Karimi Mohammadi Petrov Ivanova"
)

#: name group by nationality (others fall back to the home mix)
NAME_GROUP: dict[str, int] = {
    **dict.fromkeys(("MX", "GT", "SV", "HN", "CO", "DO", "PE", "EC", "HT"), 1),
    **dict.fromkeys(("CN", "VN", "PH", "TH", "KR", "JP", "ID", "MY"), 2),
    **dict.fromkeys(("IN", "PK", "BD", "LK", "AF", "IR", "IQ"), 3),
    **dict.fromkeys(("NG", "GH", "RO", "PL", "AL", "ER", "UA", "FR"), 4),
}
FIRST_NAMES = (_FIRST_ANGLO, _FIRST_HISP, _FIRST_ASIAN, _FIRST_SOUTH, _FIRST_OTHER)
LAST_NAMES = (_LAST_ANGLO, _LAST_HISP, _LAST_ASIAN, _LAST_SOUTH, _LAST_OTHER)
#: share of each name group among home nationals, per region
HOME_NAME_MIX: dict[str, tuple[float, ...]] = {
    "us": (0.62, 0.2, 0.07, 0.05, 0.06),
    "ca": (0.62, 0.06, 0.14, 0.12, 0.06),
    "au": (0.7, 0.03, 0.15, 0.07, 0.05),
    "gb": (0.74, 0.02, 0.05, 0.11, 0.08),
}

STREETS = _words(
    "Oak Maple Pine Cedar Elm Lake Hill Park Washington Lincoln Church Mill River Spring Station "
    "Victoria King Queen Market Bridge High George Main Chestnut Willow Sunset Ridge Forest Meadow "
    "Highland Valley Harbour Union Franklin Jefferson Madison Grove Garden Orchard Albert"
)
EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me")


@dataclass(frozen=True)
class World:
    """Resolved reference tables of one region, as arrays for vectorised lookups."""

    region: Region
    cities: tuple[City, ...]  # home cities first, then foreign cities
    n_home: int
    city_names: np.ndarray
    city_country: np.ndarray
    city_tz: np.ndarray  # tz index (-1 abroad)
    tz_names: tuple[str, ...]
    home_weights: np.ndarray
    border_idx: np.ndarray  # home border cities
    foreign_border_idx: np.ndarray
    country_cities: dict[str, np.ndarray]

    def city_index(self, name: str, country: str | None = None) -> int:
        """Index of a city by name (first match, optionally in one country)."""
        for i, c in enumerate(self.cities):
            if c.name == name and (country is None or c.country == country):
                return i
        raise KeyError(name)


def build_world(region: str) -> World:
    """Resolve the reference data of ``region`` into a :class:`World`."""
    reg = REGIONS[region]
    cities = reg.cities + FOREIGN
    tz_names = tuple(dict.fromkeys(c.tz for c in reg.cities if c.tz))
    tz_idx = np.array([tz_names.index(c.tz) if c.tz else -1 for c in cities], dtype=np.int16)
    weights = np.array([c.weight for c in reg.cities], dtype=float)
    border = np.array([i for i, c in enumerate(reg.cities) if c.border], dtype=np.int32)
    fb = np.array([len(reg.cities) + FOREIGN.index(c) for c in reg.foreign_border], dtype=np.int32)
    by_country: dict[str, list[int]] = {}
    for i, c in enumerate(cities):
        if i >= len(reg.cities):
            by_country.setdefault(c.country, []).append(i)
    return World(
        region=reg,
        cities=cities,
        n_home=len(reg.cities),
        city_names=np.array([c.name for c in cities], dtype=object),
        city_country=np.array([c.country for c in cities], dtype=object),
        city_tz=tz_idx,
        tz_names=tz_names,
        home_weights=weights / weights.sum(),
        border_idx=border,
        foreign_border_idx=fb,
        country_cities={k: np.array(v, dtype=np.int32) for k, v in by_country.items()},
    )


# ---------------------------------------------------------------------------------------------
# phones


def phone_digits(world: World, city: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw national phone numbers (digits only, no trunk prefix for NANP) for home ``city``.

    Returns an object array of digit strings: 10 digits for NANP (area code + 7), ``07`` + 9 digits
    for GB mobiles, ``04`` + 8 digits for AU mobiles.
    """
    n = len(city)
    style = world.region.phone_style
    if style == "nanp":
        width = max(len(c.area_codes) for c in world.cities[: world.n_home])
        table = np.array(
            [(c.area_codes * width)[:width] for c in world.cities[: world.n_home]], dtype=object
        )
        count = np.array([len(c.area_codes) for c in world.cities[: world.n_home]])
        pick = rng.integers(0, 1 << 30, n)
        area = table[city, pick % count[city]]
        exch = rng.integers(201, 999, n)
        exch = np.where(exch % 100 == 11, exch + 1, exch)  # no N11 exchanges
        line = rng.integers(0, 10_000, n)
        return (
            area
            + np.strings.zfill(exch.astype(str), 3).astype(object)
            + np.strings.zfill(line.astype(str), 4).astype(object)
        )
    if style == "gb":
        body = rng.integers(0, 1_000_000_000, n)
        first = rng.choice(np.array(["7", "7", "7", "4", "5", "8", "9"]), n)
        digits = np.strings.add(first, np.strings.zfill(body.astype(str), 8).astype(str))
        return np.strings.add("07", np.strings.slice(digits, 1, None)).astype(object)
    body = rng.integers(0, 100_000_000, n)
    first = rng.choice(np.array(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]), n)
    return np.strings.add(
        np.strings.add("04", first), np.strings.zfill(body.astype(str), 8).astype(str)
    ).astype(object)


def format_phones(world: World, digits: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Write digit strings the way people and scrapers write them; ``style`` picks the layout.

    Styles (modulo the number available): national spaced, dashed/dotted, international, compact.
    """
    d = np.asarray(digits).astype(str)
    s = np.asarray(style)
    sl = np.strings.slice
    add = np.strings.add
    if world.region.phone_style == "nanp":
        a, e, li = sl(d, 0, 3), sl(d, 3, 6), sl(d, 6, 10)
        opts = [
            add(add(add(add("(", a), ") "), add(e, "-")), li),
            add(add(add(a, "-"), add(e, "-")), li),
            add(add(add(a, "."), add(e, ".")), li),
            add(add(add("+1 ", a), add(" ", e)), add(" ", li)),
            d,
            add("+1", d),
            add(add(add("1-", a), add("-", e)), add("-", li)),
            add(add(add(a, " "), add(e, " ")), li),
        ]
    elif world.region.phone_style == "gb":
        a, b = sl(d, 0, 5), sl(d, 5, 11)
        rest = sl(d, 1, 11)
        opts = [
            add(add(a, " "), b),
            d,
            add("+44 ", add(add(sl(d, 1, 5), " "), b)),
            add("+44", rest),
            add(add(add(a, "-"), add(sl(d, 5, 8), "-")), sl(d, 8, 11)),
            add("+44 (0)", add(add(sl(d, 1, 5), " "), b)),
        ]
    else:
        a, b, c = sl(d, 0, 4), sl(d, 4, 7), sl(d, 7, 10)
        opts = [
            add(add(add(a, " "), add(b, " ")), c),
            d,
            add("+61 ", add(add(add(sl(d, 1, 4), " "), add(b, " ")), c)),
            add("+61", sl(d, 1, 10)),
            add(add(add(a, "-"), add(b, "-")), c),
        ]
    stacked = np.stack([np.asarray(o, dtype=object) for o in opts])
    return stacked[s % len(opts), np.arange(len(d))]


def names_for(nat_group: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw first and last names for people of the given name groups."""
    n = len(nat_group)
    first = np.empty(n, dtype=object)
    last = np.empty(n, dtype=object)
    u1 = rng.random(n)
    u2 = rng.random(n)
    for g in range(len(FIRST_NAMES)):
        m = nat_group == g
        fa = np.array(FIRST_NAMES[g], dtype=object)
        la = np.array(LAST_NAMES[g], dtype=object)
        # Zipf-like popularity: a few names are common
        first[m] = fa[(len(fa) * u1[m] ** 1.6).astype(int)]
        last[m] = la[(len(la) * u2[m] ** 1.4).astype(int)]
    return first, last
