"""Population features: accounts compared with each other and with outside intelligence.

These run after the account-level features, over the whole bank:

- the holder's phone appears in outside intelligence, e.g. commercial-sex ads (A3; F20 financial
  indicator 6, F26 flag 10, ABA19);
- apparently unrelated customers share a phone number or an address (J1; F14, F20);
- cash deposits far above those of peers in the same occupation (H7; F23 flags 6-7);
- sustenance spending far above peers (B8; F26 flag 3);
- many customers wiring one beneficiary (H5, H1; F14, F23).

The phone rule here is deliberately small (:func:`phone_digits`); it will be replaced by
``phonenumbers`` parsing in the network module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from fintrak.features._registry import FeatureSpec, features
from fintrak.features.context import FeatureContext

__all__ = ["normalise_address", "peer_z", "phone_digits"]

#: Robust z-scores are clipped to this magnitude.
Z_CLIP = 20.0
#: Smallest peer group compared with (smaller groups fall back to a coarser one).
MIN_PEERS = 20

_PHONE_TOKEN = re.compile(r"[0-9OoIl|]+")
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})
_NON_DIGIT = re.compile(r"\D+")

_UNIT = re.compile(
    r"(?:\b(?:apt|apartment|unit|suite|ste|flat|room|rm|bldg|building|floor|lot|space|spc)\b"
    r"\.?|#)\s*#?\s*(?=[a-z]?\d|[a-z]\b)[a-z0-9]+(?:-[a-z0-9]+)?\b"
)
_LEADING_UNIT = re.compile(r"^\s*[a-z0-9]+\s*/\s*(?=\d)")  # "4/12 smith st" (unit 4)
_PUNCT = re.compile(r"[^a-z0-9]+")
_STREET_WORDS = {
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "drive": "dr",
    "boulevard": "blvd",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "terrace": "ter",
    "highway": "hwy",
    "parkway": "pkwy",
    "circle": "cir",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}


def _per_unique(values: pd.Series, func: Callable[[str], str | None]) -> pd.Series:
    """Apply ``func`` once per distinct non-null value; null stays null (object dtype)."""
    codes, uniques = pd.factorize(values)
    mapped = np.array([func(str(u)) for u in uniques] + [None], dtype=object)
    return pd.Series(
        mapped[np.where(codes >= 0, codes, len(uniques))], index=values.index, dtype=object
    )


def _phone_digits_one(text: str) -> str | None:
    def digits(match: re.Match[str]) -> str:
        token = match.group(0)
        return token.translate(_DIGIT_LOOKALIKES) if any(c.isdigit() for c in token) else ""

    cleaned = _NON_DIGIT.sub("", _PHONE_TOKEN.sub(digits, text))
    return cleaned[-10:] if len(cleaned) >= 10 else None


def phone_digits(phones: pd.Series) -> pd.Series:
    """Return the last 10 digits of each phone number, or null when it has fewer than 10.

    Letters written for look-alike digits (``O``/``o`` for 0; ``I``, ``l`` or ``|`` for 1) are read
    as digits when they sit in a run of characters that holds a real digit, so ``"2I3"`` is 213
    while the letters of words such as ``"call"`` are ignored.

    Parameters
    ----------
    phones : pandas.Series
        Phone numbers as written.

    Returns
    -------
    pandas.Series
        Object dtype; ten-digit strings or None.

    Examples
    --------
    >>> phone_digits(pd.Series(["(213) 555-0147", "call 2I3 555 O147", "555-0147", None])).tolist()
    ['2135550147', '2135550147', None, None]
    """
    return _per_unique(phones, _phone_digits_one)


def _address_one(text: str) -> str | None:
    text = _LEADING_UNIT.sub("", text.lower())
    text = _UNIT.sub(" ", text)
    words = [_STREET_WORDS.get(w, w) for w in _PUNCT.sub(" ", text).split()]
    return " ".join(words) or None


def normalise_address(addresses: pd.Series) -> pd.Series:
    """Return comparable addresses: lower case, no punctuation, no apartment or unit.

    Unit designators (apt, apartment, unit, suite, ste, flat, room, #, ...) and the number after
    them are removed, so flat-mates and the units of one building share an address; common street
    words are abbreviated (street -> st).

    Parameters
    ----------
    addresses : pandas.Series
        Street addresses as written.

    Returns
    -------
    pandas.Series
        Object dtype; normalised text or None.

    Examples
    --------
    >>> normalise_address(pd.Series(["12 Main St., Apt 4B", "12 main street #7", None])).tolist()
    ['12 main st', '12 main st', None]
    """
    return _per_unique(addresses, _address_one)


def _others_sharing(key: pd.Series, customer: pd.Series) -> np.ndarray:
    """Count, per row, the rows with the same non-null ``key`` and a different customer."""
    known = key.notna().to_numpy()
    out = np.zeros(len(key))
    if known.any():
        frame = pd.DataFrame({"k": key[known].to_numpy(), "c": customer[known].to_numpy()})
        same_key = frame.groupby("k")["k"].transform("size").to_numpy()
        same_customer = frame.groupby(["k", "c"])["k"].transform("size").to_numpy()
        out[known] = same_key - same_customer
    return out


def _customers(ctx: FeatureContext) -> pd.Series:
    """Return the holder of each account: ``customer_id``, else the account itself."""
    kyc = ctx.accounts.reindex(ctx.account_ids)
    own = pd.Series(ctx.account_ids.astype(str), index=kyc.index, dtype=object)
    return kyc["customer_id"].astype(object).where(kyc["customer_id"].notna(), own)


def peer_z(
    values: pd.Series,
    groups: Sequence[pd.Series] | pd.DataFrame,
    min_size: int = MIN_PEERS,
    *,
    clip: float = Z_CLIP,
) -> pd.Series:
    """Robust z-score of each value against its peer group, falling back to coarser groups.

    ``z = (value - peer median) / (1.4826 * MAD)``. Where the MAD is 0 (more than half the peers
    share one value) the scale is ``1.2533 * mean absolute deviation`` instead (Iglewicz and
    Hoaglin's modified z-score); where that is 0 too, every peer has the same value and z is 0.

    Parameters
    ----------
    values : pandas.Series
        One value per account (NaN values are neither scored nor used as peers).
    groups : sequence of pandas.Series, or pandas.DataFrame
        Peer-group keys aligned with ``values``, finest first (DataFrame: one column per level).
        Each account is compared within the first level whose group has at least ``min_size``
        accounts with a value (a null key skips the level); otherwise with everyone.
    min_size : int
        Smallest peer group used.
    clip : float
        Bound on ``abs(z)``.

    Returns
    -------
    pandas.Series
        Same index as ``values``.

    Examples
    --------
    >>> v = pd.Series([1.0, 2.0, 3.0, 4.0, 100.0])
    >>> peer_z(v, [pd.Series(["a"] * 5)], min_size=5).round(2).tolist()
    [-1.35, -0.67, 0.0, 0.67, 20.0]
    """
    values = pd.Series(values, dtype="float64")
    levels = [groups[c] for c in groups.columns] if isinstance(groups, pd.DataFrame) else groups
    everyone = pd.Series("all", index=values.index, dtype=object)
    scored = values.notna().to_numpy()
    z = np.full(len(values), np.nan)
    todo = scored.copy()
    for level in [*levels, everyone]:
        if not todo.any():
            break
        key = pd.Series(np.asarray(level, dtype=object), index=values.index)
        valid = scored & key.notna().to_numpy()
        peers = values[valid]
        grouped = peers.groupby(key[valid])
        size = grouped.transform("size").to_numpy()
        median = grouped.transform("median").to_numpy()
        deviation = pd.Series(np.abs(peers.to_numpy() - median), index=peers.index)
        by_dev = deviation.groupby(key[valid])
        scale = 1.4826 * by_dev.transform("median").to_numpy()
        fallback = 1.2533 * by_dev.transform("mean").to_numpy()
        scale = np.where(scale > 0, scale, fallback)
        with np.errstate(divide="ignore", invalid="ignore"):
            level_z = np.where(scale > 0, (peers.to_numpy() - median) / scale, 0.0)
        is_last = level is everyone
        use = (size >= min_size) | is_last
        rows = np.flatnonzero(valid)[use]
        take = todo[rows]
        z[rows[take]] = level_z[use][take]
        todo[rows[take]] = False
    return pd.Series(np.clip(z, -clip, clip), index=values.index)


def _peer_levels(ctx: FeatureContext) -> list[pd.Series]:
    """Return the peer levels: occupation x account type, then account type (null if unknown)."""
    kyc = ctx.accounts.reindex(ctx.account_ids)
    kind = kyc["account_type"].astype(object).str.strip().str.lower()
    job = kyc["occupation"].astype(object).str.strip().str.lower()
    return [job + " | " + kind, kind]


@features(
    intel_phone_matches=FeatureSpec(
        description="Counts intelligence records of kind phone (e.g. numbers in commercial-sex "
        "ads) whose last 10 digits equal the holder's KYC phone's, counting only records first "
        "seen by the as-of date.",
        reason="the holder's phone appears in {value:.0f} outside intelligence records "
        "(e.g. online ads)",
        typologies=("sex_trafficking",),
        refs=("A3", "F20", "F26", "ABA19"),
        unit="records",
        window=None,
        kind="count",
    ),
    level="population",
    requires=("accounts.phone", "intel.value"),
)
def intel_phones(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Count the records of outside intelligence holding the holder's phone (A3).

    Parameters
    ----------
    ctx : FeatureContext
        The context (``ctx.intel`` holds the records).
    account_features : pandas.DataFrame
        Account-level features (unused).

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    intel = ctx.intel
    kind = intel["kind"].astype(object).str.strip().str.lower()
    keep = (kind == "phone").to_numpy(dtype=bool, na_value=False)
    if "first_seen" in intel.columns:
        seen = intel["first_seen"]
        keep = keep & (seen.isna() | (seen <= ctx.as_of)).to_numpy(dtype=bool, na_value=True)
    counts = phone_digits(intel.loc[keep, "value"]).value_counts()
    own = phone_digits(ctx.accounts["phone"].reindex(ctx.account_ids))
    matches = own.map(counts).fillna(0.0).to_numpy(dtype=np.float64)
    return ctx.frame(intel_phone_matches=matches)


@features(
    shared_phone_accounts=FeatureSpec(
        description="Counts other customers' accounts whose KYC phone has the same last 10 digits "
        "as this holder's (the holder's own other accounts are not counted).",
        reason="the holder's phone number is also on {value:.0f} other customers' accounts "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking", "human_smuggling", "funnel"),
        refs=("J1", "F14", "F20"),
        unit="accounts",
        window=None,
        kind="count",
    ),
    level="population",
    requires=("accounts.phone",),
)
def shared_phones(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Count other customers sharing the holder's phone number (J1).

    Parameters
    ----------
    ctx : FeatureContext
        The context.
    account_features : pandas.DataFrame
        Account-level features (unused).

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    phone = phone_digits(ctx.accounts["phone"].reindex(ctx.account_ids))
    return ctx.frame(shared_phone_accounts=_others_sharing(phone, _customers(ctx)))


@features(
    shared_address_accounts=FeatureSpec(
        description="Counts other customers' accounts with the same KYC street address "
        "(normalised: case, punctuation and apartment or unit numbers ignored; same city where "
        "known). The holder's own other accounts are not counted.",
        reason="the holder's address is also on {value:.0f} other customers' accounts "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking", "human_smuggling", "funnel"),
        refs=("J1", "F14"),
        unit="accounts",
        window=None,
        kind="count",
    ),
    level="population",
    requires=("accounts.address",),
)
def shared_addresses(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Count other customers sharing the holder's address (J1).

    Parameters
    ----------
    ctx : FeatureContext
        The context.
    account_features : pandas.DataFrame
        Account-level features (unused).

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    kyc = ctx.accounts.reindex(ctx.account_ids)
    street = normalise_address(kyc["address"])
    city = normalise_address(kyc["city"]).fillna("")
    key = (street + " | " + city).where(street.notna())
    return ctx.frame(shared_address_accounts=_others_sharing(key, _customers(ctx)))


@features(
    cash_deposit_peer_z_90d=FeatureSpec(
        description="Robust z-score of the 90-day cash-deposit total against peers of the same "
        "occupation and account type (at least 20; else same account type; else everyone), "
        "clipped to +-20.",
        reason="cash deposits in the last 90 days were {value:+.1f} robust standard deviations "
        "from those of peers in the same line of work",
        typologies=("human_smuggling", "funnel"),
        refs=("H7", "F23"),
        unit="robust z",
        window="90D",
        kind="score",
    ),
    sustenance_peer_z_30d=FeatureSpec(
        description="Robust z-score of the 30-day share of spending on lodging, travel, transport, "
        "food and personal care against peers of the same occupation and account type (same "
        "fallbacks), clipped to +-20. NaN when that share was not computed.",
        reason="spending on living costs in the last 30 days was {value:+.1f} robust standard "
        "deviations from that of peers in the same line of work",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("B8", "F26"),
        unit="robust z",
        window="30D",
        kind="score",
    ),
    level="population",
    requires=("channel", "direction", "amount"),
)
def peer_scores(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Compare cash deposits and sustenance spending with occupational peers (H7, B8).

    Reads ``cash_deposit_total_90d`` and ``sustenance_spend_share_30d`` from the account-level
    features; a score is NaN where its input column is absent.

    Parameters
    ----------
    ctx : FeatureContext
        The context.
    account_features : pandas.DataFrame
        Account-level features, indexed by ``account_id``.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    index = ctx.account_ids.rename("account_id")
    levels = [level.set_axis(index) for level in _peer_levels(ctx)]
    out = {}
    for name, source in (
        ("cash_deposit_peer_z_90d", "cash_deposit_total_90d"),
        ("sustenance_peer_z_30d", "sustenance_spend_share_30d"),
    ):
        if source in account_features.columns:
            values = account_features[source].reindex(index)
            out[name] = peer_z(values, levels).to_numpy()
        else:
            out[name] = np.full(ctx.n_accounts, np.nan)
    return ctx.frame(**out)


#: Look-back of the shared-beneficiary feature (a population feature sees one window only).
BENEFICIARY_DAYS = 180
_NAME_NOISE = re.compile(r"[^a-z0-9]+")


@features(
    shared_beneficiary_senders_180d=FeatureSpec(
        description="Among the account's outgoing wires in the last 180 days, the largest number "
        "of OTHER customers of the bank who wired the same beneficiary (same normalised name and "
        "city) in that time. Many apparently unrelated "
        "senders paying one beneficiary, often in a border city, is the F14 smuggling pattern.",
        reason="{value:.0f} other customers of the bank wired money to the same beneficiary in the "
        "last 180 days (peers: {peer:.0f})",
        typologies=("human_smuggling",),
        refs=("H5", "H1", "F14", "F23"),
        unit="customers",
        window="180D",
        kind="count",
    ),
    level="population",
    requires=("channel", "direction", "counterparty_name"),
)
def shared_beneficiaries(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Count other customers paying the same wire beneficiary (H5: many senders, one payee).

    A beneficiary is identified by its normalised name and city (the bank rarely holds it). A
    customer's several accounts count once, so a household paying its own relative from two
    accounts is not "many senders".

    Parameters
    ----------
    ctx : FeatureContext
        Transactions of every account up to ``as_of``.
    account_features : pandas.DataFrame
        Unused.

    Returns
    -------
    pandas.DataFrame
        ``shared_beneficiary_senders_180d``, one row per account.
    """
    txn = ctx.transactions
    # Card payments to a money-transfer business (MCC 4829) name the business, not the
    # beneficiary, so only wires identify who was paid.
    is_transfer = txn["channel"].eq("wire").to_numpy(dtype=bool, na_value=False)
    rows = is_transfer & ~txn["is_credit"].to_numpy() & ctx.within(BENEFICIARY_DAYS)
    name = txn.loc[rows, "counterparty_name"].astype(object).str.lower()
    name = name.str.replace(_NAME_NOISE, " ", regex=True).str.strip()
    city = txn.loc[rows, "city"].astype(object).str.lower().str.strip() if "city" in txn else ""
    key = (name + "|" + pd.Series(city, index=name.index).fillna("")).where(name.str.len() > 0)
    customer = _customers(ctx).to_numpy()[txn.loc[rows, "acct"].to_numpy()]
    pairs = pd.DataFrame(
        {"acct": txn.loc[rows, "acct"].to_numpy(), "key": key.to_numpy(), "customer": customer}
    ).dropna(subset=["key"])
    out = np.zeros(ctx.n_accounts)
    if len(pairs):
        senders = pairs.drop_duplicates(["key", "customer"]).groupby("key")["customer"].size()
        pairs["others"] = pairs["key"].map(senders).to_numpy() - 1
        best = pairs.groupby("acct")["others"].max()
        out[best.index.to_numpy()] = best.to_numpy()
    return ctx.frame(shared_beneficiary_senders_180d=out)
