"""Establishments: where does it happen? Merchants and payees ranked by suspicious customers.

Every payment out of a customer's account to a business is counted towards that business (the
*establishment*): card payments to merchants, and payments by any channel to payees whose name is
an ad site's or a landlord's. Payments to the bank's own accounts, P2P payments and wires to
people, cash and ATM rows are left out: those counterparties are people, not businesses.

An establishment is keyed by ``counterparty_id`` when the bank gives one (a merchant id) and by
its name otherwise (case and spacing ignored); ``establishment`` is its most frequent name as the
bank's data has it. Its ``category`` comes from the MCC groups and reference lists shipped in
``fintrak/reference`` (the first that applies, by the payment count):

============== ==================================================================================
category       payments that count
============== ==================================================================================
ad_site        name in the ``ad_site_descriptors`` list, or MCC in the ``ad_classified`` group
lodging        MCC in the ``lodging`` group (hotels, motels, short-term rentals)
personal_care  MCC in the ``personal_care`` group (beauty and barber shops, spas, drug stores)
adult_venue    MCC in the ``adult_venue`` group (massage parlours, escort services, bars)
rent           MCC in the ``rent`` group, or a name with a word of the ``rent_descriptors`` list
other          any other card merchant
============== ==================================================================================

A paying account is *suspicious* when it is alerted or its score reaches ``min_score``. The
ranking statistic, ``exposure``, is the Wilson lower bound (one-sided, 95%, z = 1.645) of the
share of an establishment's distinct paying accounts that are suspicious. It counts accounts,
not money, so one big spender does not make a merchant exposed, and it grows with the evidence:
5 suspicious payers out of 5 give 0.65, 3 out of 3 give 0.53, 6 out of 506 give 0.006. An
establishment is listed only when at least ``min_accounts`` distinct suspicious accounts paid it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from fintrak.features.context import resolve_as_of
from fintrak.features.settings import FeatureSettings

__all__ = [
    "CATEGORIES",
    "ESTABLISHMENT_COLUMNS",
    "WILSON_Z",
    "categorise",
    "rank_establishments",
    "wilson_lower_bound",
]

#: Categories, in the order they are tried: (category, MCC group or None).
CATEGORIES: tuple[tuple[str, str | None], ...] = (
    ("ad_site", "ad_classified"),
    ("lodging", "lodging"),
    ("personal_care", "personal_care"),
    ("adult_venue", "adult_venue"),
    ("rent", "rent"),
    ("other", None),
)
#: Columns of the establishments table.
ESTABLISHMENT_COLUMNS: tuple[str, ...] = (
    "establishment",
    "category",
    "accounts",
    "suspicious_accounts",
    "suspicious_share",
    "suspicious_amount",
    "amount",
    "exposure",
)
#: One-sided 95% normal quantile of the Wilson lower bound.
WILSON_Z = 1.645
#: Score from which a paying account is suspicious without an alert (as for cases).
DEFAULT_MIN_SCORE = 0.5
_PEOPLE_CHANNELS = ("atm", "cash")
_MERCHANT_CHANNEL = "card"


def wilson_lower_bound(
    successes: np.ndarray | pd.Series, trials: np.ndarray | pd.Series, z: float = WILSON_Z
) -> np.ndarray:
    """Return the Wilson score lower bound of the share ``successes / trials``.

    Parameters
    ----------
    successes, trials : array-like
        Counts (``0 <= successes <= trials``); a bound with no trials is 0.
    z : float
        Normal quantile (1.645: one-sided 95%).

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> wilson_lower_bound(np.array([5, 6, 0]), np.array([5, 506, 0])).round(3).tolist()
    [0.649, 0.006, 0.0]
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        z2 = z * z
        centre = p + z2 / (2 * n)
        spread = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
        bound = (centre - spread) / (1 + z2 / n)
    return np.where(n > 0, np.clip(bound, 0.0, 1.0), 0.0)


def _words(values: list[str]) -> re.Pattern[str]:
    words = sorted({str(v).lower() for v in values}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")


def _per_row(codes: np.ndarray, distinct: np.ndarray) -> np.ndarray:
    """Spread a mask over distinct values back to the rows (False where the value is null)."""
    return np.append(distinct, False)[np.where(codes >= 0, codes, len(distinct))]


def categorise(payments: pd.DataFrame, settings: FeatureSettings | None = None) -> pd.Series:
    """Return the category of every payment (null when the counterparty is not a business).

    Parameters
    ----------
    payments : pandas.DataFrame
        Debit rows with ``channel``, ``mcc`` and ``counterparty_name``.
    settings : FeatureSettings, optional
        MCC groups and reference lists; default the shipped ones.

    Returns
    -------
    pandas.Series
        One of the :data:`CATEGORIES` names or null, indexed like ``payments``.

    Examples
    --------
    >>> rows = pd.DataFrame({"channel": ["card", "card", "check", "p2p", "card"],
    ...     "mcc": pd.array([7011, 5411, None, None, 7311], dtype="Int16"),
    ...     "counterparty_name": ["MOTEL 6", "FOOD MART", "ACME PROPERTY MGMT", "Jane Roe",
    ...                           "CITY GUIDE"]})
    >>> categorise(rows).tolist()
    ['lodging', 'other', 'rent', None, 'ad_site']
    """
    cfg = settings or FeatureSettings.default()
    names = payments["counterparty_name"].astype("string")
    mcc = payments["mcc"] if "mcc" in payments else pd.Series(pd.NA, index=payments.index)
    channel = payments["channel"].astype("string")
    card = channel.eq(_MERCHANT_CHANNEL).fillna(False).to_numpy(dtype=bool)
    people = channel.isin(_PEOPLE_CHANNELS).fillna(False).to_numpy(dtype=bool)
    named = names.notna().to_numpy(dtype=bool)
    # names repeat a lot: match each distinct name once
    codes, distinct = pd.factorize(names)
    distinct = pd.Series(distinct, dtype="string")
    rent_words = _words(cfg.values("rent_descriptors"))
    ad_name = _per_row(codes, cfg.matches("ad_site_descriptors", distinct))
    rent_hit = distinct.str.lower().str.contains(rent_words, regex=True)
    rent_name = _per_row(codes, rent_hit.fillna(False).to_numpy(dtype=bool))
    out = np.full(len(payments), None, dtype=object)
    for category, group in CATEGORIES:
        if group is None:
            hit = card
        else:
            hit = cfg.mcc_in(group, mcc.astype("Float64")) & card
            if category == "ad_site":
                hit |= ad_name
            elif category == "rent":
                hit |= rent_name
        fill = hit & named & ~people & pd.isna(out)
        out[fill] = category
    return pd.Series(out, index=payments.index, dtype="object")


def _suspicious(scores: pd.DataFrame, min_score: float) -> pd.Index:
    score = pd.to_numeric(scores["score"], errors="coerce")
    flag = score.ge(min_score).fillna(False)
    if "alert" in scores:
        flag |= scores["alert"].fillna(False).astype(bool)
    return pd.Index(scores.loc[flag.to_numpy(dtype=bool), "account_id"].astype(str).unique())


def _payments(
    transactions: pd.DataFrame, as_of: str | pd.Timestamp | None, own: pd.Index
) -> pd.DataFrame:
    """Debit rows up to ``as_of`` paid to counterparties outside the bank's own accounts."""
    rows = transactions
    if as_of is not None:
        cutoff = resolve_as_of(as_of, rows["timestamp"])
        rows = rows[rows["timestamp"] <= cutoff]
    rows = rows[rows["direction"].astype("string").eq("debit").fillna(False)]
    if "counterparty_id" in rows:
        internal = rows["counterparty_id"].astype("string").isin(own).fillna(False)
        rows = rows[~internal.to_numpy(dtype=bool)]
    keep = ["account_id", "amount", "channel", "mcc", "counterparty_id", "counterparty_name"]
    return rows[[c for c in keep if c in rows]]


def _keys(payments: pd.DataFrame) -> pd.Series:
    codes, distinct = pd.factorize(payments["counterparty_name"].astype("string"))
    clean = pd.Series(distinct, dtype="string").str.upper()
    clean = "name:" + clean.str.replace(r"\s+", " ", regex=True).str.strip()
    values = np.append(clean.to_numpy(dtype=object), pd.NA)[np.where(codes >= 0, codes, -1)]
    name = pd.Series(pd.array(values, dtype="string"), index=payments.index)
    if "counterparty_id" not in payments:
        return name
    given = payments["counterparty_id"].astype("string")
    return ("id:" + given).where(given.notna(), name)


def _mode(frame: pd.DataFrame, column: str, tie: dict[str, int] | None = None) -> pd.Series:
    """Most frequent value of ``column`` per ``key`` (ties: ``tie`` order, then text order)."""
    counts = frame.groupby(["key", column], sort=False).size().rename("n").reset_index()
    counts["tie"] = counts[column].map(tie) if tie else 0
    counts = counts.sort_values(
        ["key", "n", "tie", column], ascending=[True, False, True, True], kind="stable"
    )
    return counts.drop_duplicates("key").set_index("key")[column]


def rank_establishments(
    transactions: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp | None = None,
    min_accounts: int = 3,
    min_score: float | None = None,
    settings: FeatureSettings | None = None,
) -> pd.DataFrame:
    """Rank merchants and payees by their exposure to suspicious accounts.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Canonical transactions (``account_id``, ``timestamp``, ``amount``, ``direction``,
        ``channel``, ``mcc``, ``counterparty_id``, ``counterparty_name``).
    scores : pandas.DataFrame
        ``account_id``, ``score`` and ``alert`` (as ``score_tables(...).scores``).
    as_of : str or Timestamp, optional
        Count payments up to this moment (``YYYY-MM-DD`` means the end of that day, UTC);
        default every row.
    min_accounts : int
        Distinct suspicious accounts an establishment needs to be listed (so that one
        customer's payments never single out a merchant).
    min_score : float, optional
        Score from which a paying account is suspicious without an alert; default
        :data:`DEFAULT_MIN_SCORE`.
    settings : FeatureSettings, optional
        MCC groups and reference lists; default the shipped ones.

    Returns
    -------
    pandas.DataFrame
        :data:`ESTABLISHMENT_COLUMNS`, one row per listed establishment, sorted by ``exposure``
        (highest first), then ``suspicious_accounts``, then ``establishment``. Amounts are sums
        in the transactions' own currency units.

    Examples
    --------
    >>> txn = pd.DataFrame({
    ...     "account_id": [f"a{i}" for i in range(6)] + ["a0"] * 3,
    ...     "timestamp": pd.Timestamp("2025-01-01", tz="UTC"),
    ...     "amount": 50.0, "direction": "debit", "channel": "card",
    ...     "mcc": pd.array([7011] * 6 + [5411] * 3, dtype="Int16"), "counterparty_id": None,
    ...     "counterparty_name": ["MOTEL 9"] * 6 + ["FOOD MART"] * 3})
    >>> scores = pd.DataFrame({"account_id": [f"a{i}" for i in range(6)],
    ...     "score": [0.9, 0.9, 0.9, 0.1, 0.1, 0.1], "alert": [True] * 3 + [False] * 3})
    >>> rank_establishments(txn, scores)[["establishment", "category", "accounts",
    ...                                   "suspicious_accounts"]]
      establishment category  accounts  suspicious_accounts
    0       MOTEL 9  lodging         6                    3
    """
    if min_accounts < 1:
        raise ValueError(f"min_accounts must be >= 1. Got {min_accounts!r} instead.")
    floor = DEFAULT_MIN_SCORE if min_score is None else float(min_score)
    own = pd.Index(
        pd.concat([transactions["account_id"], scores["account_id"]]).astype(str).unique()
    )
    pay = _payments(transactions, as_of, own)
    category = categorise(pay, settings)
    pay = pay.assign(category=category)[category.notna()]
    if pay.empty:
        return _empty()
    pay = pay.assign(
        key=_keys(pay),
        account_id=pay["account_id"].astype(str),
        amount=pay["amount"].astype("float64"),
    )
    pay = pay.assign(suspicious=pay["account_id"].isin(_suspicious(scores, floor)))
    grouped = pay.groupby("key", sort=True)
    table = pd.DataFrame(
        {
            "accounts": grouped["account_id"].nunique(),
            "suspicious_accounts": pay[pay["suspicious"]].groupby("key")["account_id"].nunique(),
            "suspicious_amount": pay[pay["suspicious"]].groupby("key")["amount"].sum(),
            "amount": grouped["amount"].sum(),
        }
    )
    table = table.fillna({"suspicious_accounts": 0, "suspicious_amount": 0.0})
    table = table[table["suspicious_accounts"] >= min_accounts]
    if table.empty:
        return _empty()
    listed = pay[pay["key"].isin(table.index)]
    order = {name: i for i, (name, _) in enumerate(CATEGORIES)}
    table["establishment"] = _mode(listed, "counterparty_name")
    table["category"] = _mode(listed, "category", order)
    table["suspicious_accounts"] = table["suspicious_accounts"].astype("int64")
    table["accounts"] = table["accounts"].astype("int64")
    table["suspicious_share"] = table["suspicious_accounts"] / table["accounts"]
    table["exposure"] = wilson_lower_bound(table["suspicious_accounts"], table["accounts"])
    table = table.sort_values(
        ["exposure", "suspicious_accounts", "establishment", "amount"],
        ascending=[False, False, True, False],
        kind="stable",
    )
    out = table[list(ESTABLISHMENT_COLUMNS)].reset_index(drop=True)
    return out.astype({"establishment": "string", "category": "string"})


def _empty() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype="float64") for c in ESTABLISHMENT_COLUMNS})
    return out.astype(
        {
            "establishment": "string",
            "category": "string",
            "accounts": "int64",
            "suspicious_accounts": "int64",
        }
    )
