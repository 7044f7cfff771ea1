"""Identity and network features: phones, openings, landlords and storefronts (I4, G2, J4, J5).

- ABA19 (I4): around the Super Bowl, out-of-market area codes in adult-service ads rose about
  40%. Here: the holder's KYC phone number is not local to where the holder lives - a foreign
  number, or a North American area code whose state or province (from the ``phonenumbers``
  geocoder) is not the state or province of the holder's city.
- F20 §I.3 and case study 1 (G2): traffickers escort victims to open accounts. Here: other
  customers' accounts opened within one day of this one sharing its phone, e-mail or address.
- F20 case study 1 (J4, inferred): facilitators rented houses, apartments and hotels for victims.
  Here: a lodging or rent payee paid by many other customers within 60 days, and the share of
  them who reach a typology's review threshold on their other features.
- F20 §I.1 (J5): a front business that looks like one storefront but belongs to a larger network.
  Here: other business accounts linked to this one through a shared holder, phone or address,
  directly or through other businesses.

Not computed: G2's contact changes soon after opening need a KYC change history, and I4's
sequence of ad cities needs scraped ad data (see the intel table and A3).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import phonenumbers
import pycountry
from phonenumbers.geodata import GEOCODE_DATA
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fintrak.features._registry import FeatureSpec, features
from fintrak.features.alt_payments import descriptor_hits
from fintrak.features.business import business_accounts
from fintrak.features.cash import normalise_place
from fintrak.features.context import FeatureContext
from fintrak.features.geography import column_codes, text_codes
from fintrak.features.population import normalise_address, phone_digits

__all__ = [
    "LANDLORD_WINDOW_DAYS",
    "OPENING_DAYS",
    "area_code_regions",
    "city_regions",
    "kyc_phone_locality",
    "landlord_network",
    "opened_together",
    "storefront_network",
]

#: G2 (catalogue): openings within one day of each other.
OPENING_DAYS = 1.0
#: J4 (catalogue): payers of one landlord within 60 days.
LANDLORD_WINDOW_DAYS = 60.0
_NANP = ("US", "CA")


@cache
def _geocode_index() -> tuple[dict[str, frozenset[str]], dict[tuple[str, str], frozenset[str]]]:
    """Area code -> regions, and (country, city) -> regions, from the phonenumbers geocoder."""
    names: dict[tuple[str, str], str] = {}
    for country in _NANP:
        for sub in pycountry.subdivisions.get(country_code=country) or []:
            names[(country, sub.name.lower())] = sub.code.split("-")[1]
    by_area: dict[str, set[str]] = {}
    by_city: dict[tuple[str, str], set[str]] = {}
    # tens of thousands of prefixes share a few hundred area codes and city names: look each
    # up once (the geocoder's own lookups dominate the cost of a scoring run's first call)
    area_country: dict[str, str | None] = {}
    places: dict[str, str | None] = {}
    for prefix, descriptions in GEOCODE_DATA.items():
        if not prefix.startswith("1") or len(prefix) < 4:
            continue
        text = descriptions.get("en")
        if not text:
            continue
        area = prefix[1:4]
        if area not in area_country:
            area_country[area] = phonenumbers.region_code_for_number(
                phonenumbers.PhoneNumber(country_code=1, national_number=int(area + "2000000"))
            )
        country = area_country[area]
        if "," in text:
            city, _, region = text.rpartition(",")
            region = region.strip().upper()
            by_area.setdefault(area, set()).add(region)
            if city not in places:
                places[city] = normalise_place(city)
            place = places[city]
            if place:
                by_city.setdefault((country or "", place), set()).add(region)
        else:
            region = names.get((country or "", text.strip().lower()))
            if region:
                by_area.setdefault(area, set()).add(region)
    return (
        {k: frozenset(v) for k, v in by_area.items()},
        {k: frozenset(v) for k, v in by_city.items()},
    )


def area_code_regions(area_code: str) -> frozenset[str]:
    """Return the states or provinces a North American area code serves (empty if unknown).

    Examples
    --------
    >>> sorted(area_code_regions("213"))
    ['CA']
    >>> sorted(area_code_regions("416"))
    ['ON']
    """
    return _geocode_index()[0].get(area_code, frozenset())


def city_regions(country: str, city: str) -> frozenset[str]:
    """Return the states or provinces with a place named ``city`` (empty if unknown).

    Examples
    --------
    >>> sorted(city_regions("US", "Miami"))
    ['FL', 'OK']
    """
    place = normalise_place(city)
    return _geocode_index()[1].get((country.upper(), place or ""), frozenset())


def _phone_country(text: str, default: str | None) -> str | None:
    try:
        number = phonenumbers.parse(text, default)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(number) if number.country_code else None


@features(
    kyc_phone_non_local=FeatureSpec(
        description="1 when the holder's KYC phone number is not local to where the holder "
        "lives: a number of another country than the holder's, or a US or Canadian area code "
        "serving no state or province that has a place named like the holder's city "
        "(phonenumbers geocoder); 0 when local or when it cannot be told.",
        reason="the holder's phone has an out-of-area code for where they live (flag {value:.0f})",
        typologies=("sex_trafficking",),
        refs=("I4", "ABA19"),
        unit="flag",
        window=None,
        kind="flag",
    ),
    requires=("accounts.phone",),
)
def kyc_phone_locality(ctx: FeatureContext) -> pd.DataFrame:
    """Flag KYC phone numbers whose area code is not local to the holder's city (I4).

    North American numbers are read without parsing (the area code is the first three of the
    last ten digits); other numbers are parsed once per distinct number.

    Parameters
    ----------
    ctx : FeatureContext
        KYC of each account (no transactions are read).

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    # KYC only: the same in every look-back window, so computed once
    return ctx.once("kyc_phone_locality", _kyc_phone_locality).copy()


def _kyc_phone_locality(ctx: FeatureContext) -> pd.DataFrame:
    kyc = ctx.accounts.reindex(ctx.account_ids)
    phone = kyc["phone"].astype(object)
    country = kyc["country"].astype(object).str.strip().str.upper()
    raw = phone.fillna("").astype(str).str.strip()
    digits = raw.str.replace(r"\D+", "", regex=True)
    plus = raw.str.startswith("+") | raw.str.startswith("00")
    nanp = (digits.str.len() == 10) & ~plus & country.isin(_NANP).to_numpy()
    nanp |= (
        (digits.str.len() == 11) & digits.str.startswith("1") & (~plus | raw.str.startswith("+1"))
    )
    # phone country: NANP numbers from their area code, the rest parsed per distinct value
    area = digits.str[-10:].str[:3].where(nanp)
    phone_country = pd.Series(None, index=kyc.index, dtype=object)
    known_area = area.dropna().unique()
    area_country = {
        a: phonenumbers.region_code_for_number(
            phonenumbers.PhoneNumber(country_code=1, national_number=int(a + "2000000"))
        )
        for a in known_area
    }
    phone_country[nanp] = area[nanp].map(area_country)
    other = phone.notna() & ~nanp
    if other.any():
        pairs = pd.DataFrame({"p": raw[other], "c": country[other]}).drop_duplicates()
        parsed = {
            (p, c): _phone_country(p, c if isinstance(c, str) else None)
            for p, c in zip(pairs["p"], pairs["c"], strict=True)
        }
        keys = list(zip(raw[other], country[other], strict=True))
        phone_country[other] = [parsed[k] for k in keys]
    foreign = (phone_country.notna() & country.notna() & (phone_country != country)).to_numpy(
        dtype=bool
    )
    # region: area code's states vs the states having a place named like the holder's city
    city = kyc["city"].astype(object)
    check = nanp & ~foreign & city.notna().to_numpy() & country.isin(_NANP).to_numpy()
    away = np.zeros(len(kyc), dtype=bool)
    if check.any():
        frame = pd.DataFrame({"a": area[check], "c": country[check], "t": city[check]})
        unique = frame.drop_duplicates()
        verdict = {
            (a, c, t): bool(area_code_regions(a))
            and bool(city_regions(c, t))
            and not (area_code_regions(a) & city_regions(c, t))
            for a, c, t in zip(unique["a"], unique["c"], unique["t"], strict=True)
        }
        away[np.flatnonzero(check)] = [
            verdict[k] for k in zip(frame["a"], frame["c"], frame["t"], strict=True)
        ]
    return ctx.frame(kyc_phone_non_local=(foreign | away).astype(np.float64))


def _customers(ctx: FeatureContext) -> np.ndarray:
    kyc = ctx.accounts.reindex(ctx.account_ids)
    own = pd.Series(ctx.account_ids.astype(str), index=kyc.index, dtype=object)
    return kyc["customer_id"].astype(object).where(kyc["customer_id"].notna(), own).to_numpy()


def _identifiers(ctx: FeatureContext) -> dict[str, pd.Series]:
    """Return normalised phone, e-mail and address keys per account (null where unknown)."""
    kyc = ctx.accounts.reindex(ctx.account_ids)
    street = normalise_address(kyc["address"])
    city = normalise_address(kyc["city"]).fillna("")
    return {
        "phone": phone_digits(kyc["phone"]),
        "email": kyc["email"].astype(object).str.strip().str.lower(),
        "address": (street + " | " + city).where(street.notna()),
    }


def _count_in_window(keys: np.ndarray, seconds: np.ndarray, half_width: float) -> np.ndarray:
    """Per row, rows with the same integer key whose time is within ``half_width`` (itself too)."""
    order = np.lexsort((seconds, keys))
    k, s = keys[order].astype(np.float64), seconds[order]
    span = float(s.max() - s.min()) + 4 * half_width + 1.0
    line = k * span + (s - s.min())
    low = np.searchsorted(line, line - half_width, side="left")
    high = np.searchsorted(line, line + half_width, side="right")
    out = np.empty(len(keys), dtype=np.float64)
    out[order] = high - low
    return out


@features(
    opened_with_shared_contact_1d=FeatureSpec(
        description="The largest number, over phone, e-mail and address, of other customers' "
        "accounts opened within one day of this account that share that identifier with it "
        "(victims escorted to open accounts given the same contact details).",
        reason="{value:.0f} other customers' accounts with the same phone, e-mail or address "
        "were opened within a day of this one",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("G2", "F20"),
        unit="accounts",
        window=None,
        kind="count",
    ),
    level="population",
    requires=("accounts.opened_at",),
)
def opened_together(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Count accounts of other customers opened within a day sharing a contact detail (G2).

    Phone (last ten digits), e-mail (case-folded) and address (normalised, with city) are each
    used where known; the largest count over the three is kept, so one shared account is never
    counted twice.

    Parameters
    ----------
    ctx : FeatureContext
        KYC of each account.
    account_features : pandas.DataFrame
        Account-level features (unused).

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    kyc = ctx.accounts.reindex(ctx.account_ids)
    opened = kyc["opened_at"]
    known_open = opened.notna().to_numpy()
    seconds = np.zeros(len(kyc))
    if known_open.any():
        seconds[known_open] = (
            (opened[known_open] - opened[known_open].min()).dt.total_seconds().to_numpy()
        )
    customer, _ = pd.factorize(_customers(ctx))
    best = np.zeros(len(kyc))
    for key in _identifiers(ctx).values():
        codes = text_codes(key.astype("string"))
        rows = np.flatnonzero(known_open & (codes >= 0))
        if rows.size < 2:
            continue
        width = np.int64(customer.max()) + 1
        same_key = _count_in_window(codes[rows], seconds[rows], OPENING_DAYS * 86400.0)
        same_holder = _count_in_window(
            codes[rows].astype(np.int64) * width + customer[rows],
            seconds[rows],
            OPENING_DAYS * 86400.0,
        )
        best[rows] = np.maximum(best[rows], same_key - same_holder)
    return ctx.frame(opened_with_shared_contact_1d=best)


def _flagged_accounts(ctx: FeatureContext, account_features: pd.DataFrame) -> np.ndarray:
    """Accounts at or above a shipped typology's review threshold on their account features."""
    from fintrak.scoring.rules import RuleScorer

    scorer = RuleScorer().fit()
    frame = account_features.reindex(ctx.account_ids.rename("account_id"))
    frame = frame.reindex(columns=list(dict.fromkeys([*frame.columns, *scorer.features_in_])))
    result = scorer.score(frame)
    level = result.accounts["rule_level"].astype(object)
    return level.isin(["review", "alert"]).to_numpy(dtype=bool)


@features(
    landlord_other_payers_60d=FeatureSpec(
        description="For the lodging and rent payees the account paid in the last 60 days "
        "(lodging MCCs or rent, landlord and short-term-rental descriptors), the largest number "
        "of other customers who paid the same payee in that time.",
        reason="a landlord or lodging payee of this account was paid by {value:.0f} other "
        "customers in the last 60 days (peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("J4", "F20"),
        unit="customers",
        window="60D",
        kind="count",
    ),
    landlord_flagged_payer_share_60d=FeatureSpec(
        description="Among the other customers paying the account's lodging and rent payees in "
        "the last 60 days, the share whose own account-level features reach the review threshold "
        "of a shipped typology. NaN when no other customer paid them.",
        reason="{value:.0%} of the other customers paying this account's landlord or lodging in "
        "the last 60 days show trafficking red flags themselves (peers: {peer:.0%})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("J4", "F20"),
        unit="share",
        window="60D",
        kind="share",
    ),
    level="population",
    requires=("cp_key", "direction", "counterparty_name"),
)
def landlord_network(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Landlords and lodging payees shared by many customers, and how flagged they are (J4).

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of`` (all accounts).
    account_features : pandas.DataFrame
        Account-level features, scored with the shipped typologies to tell which payers are
        flagged.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    txn = ctx.transactions
    lodging = ctx.mcc_in("lodging") | descriptor_hits(
        ctx, "rent_descriptors", txn["counterparty_name"]
    )
    codes = column_codes(ctx, "cp_key")
    rows = ~txn["is_credit"].to_numpy() & lodging & ctx.within(LANDLORD_WINDOW_DAYS) & (codes >= 0)
    others = np.zeros(ctx.n_accounts)
    share = np.full(ctx.n_accounts, np.nan)
    if rows.any():
        customer, _ = pd.factorize(_customers(ctx))
        flagged = _flagged_accounts(ctx, account_features).astype(np.int64)
        acct = txn["acct"].to_numpy()[rows]
        payers = pd.DataFrame(
            {"k": codes[rows], "c": customer[acct], "f": flagged[acct]}
        ).drop_duplicates(["k", "c"])
        per_payee = payers.groupby("k").agg(n=("c", "size"), f=("f", "sum"))
        mine = pd.DataFrame({"a": acct, "k": codes[rows]}).drop_duplicates()
        mine["c"] = customer[mine["a"].to_numpy()]
        mine = mine.merge(per_payee, left_on="k", right_index=True)
        own_flag = payers.set_index(["k", "c"])["f"]
        mine["self_f"] = own_flag.reindex(
            pd.MultiIndex.from_arrays([mine["k"], mine["c"]])
        ).to_numpy()
        mine["o"] = mine["n"] - 1
        mine["of"] = mine["f"] - mine["self_f"]
        top = mine.groupby("a")["o"].max()
        others[top.index.to_numpy()] = top.to_numpy()
        sums = mine.groupby("a")[["o", "of"]].sum()
        share[sums.index.to_numpy()] = np.where(
            sums["o"] > 0, sums["of"] / sums["o"].where(sums["o"] > 0, 1), np.nan
        )
    return ctx.frame(landlord_other_payers_60d=others, landlord_flagged_payer_share_60d=share)


@features(
    linked_businesses=FeatureSpec(
        description="For business accounts: other business accounts linked to this one through "
        "a shared holder (customer id), phone or address, directly or through other businesses "
        "(size of its connected group minus one); 0 for personal accounts.",
        reason="the business shares an owner, phone or address with {value:.0f} other businesses "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("J5", "F20"),
        unit="businesses",
        window=None,
        kind="count",
    ),
    linked_risk_sector_businesses=FeatureSpec(
        description="For business accounts: how many of the linked businesses (see "
        "linked_businesses) are in a front-company sector (biz_risk_sector); 0 for personal "
        "accounts.",
        reason="the business is linked to {value:.0f} other massage, bar, salon, restaurant or "
        "escort businesses (peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("J5", "D2", "F20"),
        unit="businesses",
        window=None,
        kind="count",
    ),
    level="population",
    requires=("accounts.account_type",),
)
def storefront_network(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Businesses linked through shared owners, phones or addresses (J5).

    Parameters
    ----------
    ctx : FeatureContext
        KYC of each account.
    account_features : pandas.DataFrame
        Account-level features (``biz_risk_sector`` is read where present).

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    business = business_accounts(ctx)
    n = ctx.n_accounts
    linked = np.zeros(n)
    risky_linked = np.zeros(n)
    rows = np.flatnonzero(business)
    if rows.size:
        keys = {"holder": pd.Series(_customers(ctx), dtype=object), **_identifiers(ctx)}
        edges_a, edges_b, offset = [], [], rows.size
        for key in keys.values():
            codes = text_codes(key.iloc[rows].reset_index(drop=True).astype("string"))
            known = codes >= 0
            edges_a.append(np.flatnonzero(known))
            edges_b.append(offset + codes[known])
            offset += int(codes.max(initial=-1)) + 1
        a, b = np.concatenate(edges_a), np.concatenate(edges_b)
        graph = coo_matrix((np.ones(a.size), (a, b)), shape=(offset, offset))
        _, label = connected_components(graph, directed=False)
        label = label[: rows.size]
        size = np.bincount(label)[label]
        linked[rows] = size - 1
        sector = account_features.reindex(ctx.account_ids).get(
            "biz_risk_sector", pd.Series(0.0, index=ctx.account_ids)
        )
        risky = (sector.fillna(0.0).to_numpy()[rows] > 0).astype(np.float64)
        risky_size = np.bincount(label, weights=risky)[label]
        risky_linked[rows] = risky_size - risky
    return ctx.frame(linked_businesses=linked, linked_risk_sector_businesses=risky_linked)
