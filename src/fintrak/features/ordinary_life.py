"""An ordinary life: the shares of spending on rent, utilities, groceries and insurance (G1).

Catalogue row G1 (F26 flag 2; practitioners, PRAC): a victim's account shows few or no payments
for essential needs, and lacks the ordinary "has a life" spending of rent, groceries and bills.
:func:`fintrak.features.spending.essential_spending` measures all of it as one share; the four
features here split it, each as a share of the account's debits (by amount) over the last 60
days, so that an alert can say which part of an ordinary life is missing. LOW values are the red
flag (``higher_is_riskier=False``); each share is NaN when the account made no debit.

Each debit falls in at most one category, tried in this order:

utilities
    MCC 4900 (``mcc_groups.yaml`` group ``utilities``), or a debit without an MCC whose
    counterparty name matches ``utility_descriptors`` (``lists.yaml``).
insurance
    MCC 6300 or 5960 (group ``insurance``), or a debit without an MCC matching
    ``insurance_descriptors``.
groceries
    MCC 5411, 5422, 5441, 5451, 5462 or 5499 (group ``groceries``).
rent
    Housing: MCC 6513 (rentals through a property manager, group ``rent``); a debit without an
    MCC whose counterparty name matches ``housing_descriptors`` (rent, landlords, property managers,
    mortgage servicers); or a *recurring* ACH, cheque or P2P debit - the account paid the same
    counterparty a similar amount (within :data:`SIMILAR_AMOUNT`) 20-40 days before or after
    (:data:`fintrak.features.spending.MONTHLY_GAP_DAYS`). The recurrence is looked for over the
    whole history up to ``as_of``, so a rent paid inside the window whose previous instalment fell
    before it still counts.

Descriptor lists are matched as whole words on the counterparty name and only where the row has no
MCC: a card payment's MCC says what the merchant is (``ENTERPRISE RENT-A-CAR`` is MCC 7512, not
rent). Limitations: a recurring monthly transfer of a similar amount to one person is read as rent,
although it may be a loan or a debt-bondage repayment (C7); the share is then too high and the
account looks more ordinary than it is. Homeowners pay a mortgage, which counts as rent here.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from fintrak.features._registry import FeatureSpec, features
from fintrak.features.context import FeatureContext
from fintrak.features.geography import column_codes
from fintrak.features.spending import MONTHLY_GAP_DAYS

__all__ = [
    "RENT_CHANNELS",
    "SIMILAR_AMOUNT",
    "WINDOW_DAYS",
    "descriptor_mask",
    "ordinary_life",
    "recurring_similar_debits",
]

#: Window of every share, in days.
WINDOW_DAYS = 60
#: Channels a rent or mortgage is paid through when it is not a card payment.
RENT_CHANNELS: tuple[str, ...] = ("ach", "check", "p2p")
#: Two instalments are "similar" when they differ by at most this share of the larger (inferred).
SIMILAR_AMOUNT = 0.10

_REFS = ("G1", "F26", "PRAC")
_TYPOLOGIES = ("sex_trafficking", "labour_trafficking")


@lru_cache(maxsize=16)
def _word_pattern(words: tuple[str, ...]) -> str:
    cleaned = sorted({w.strip().lower() for w in words}, key=len, reverse=True)
    return r"\b(?:" + "|".join(re.escape(w) for w in cleaned) + r")\b"


def descriptor_mask(ctx: FeatureContext, list_name: str) -> np.ndarray:
    """Return a boolean mask: the row's counterparty name matches reference list ``list_name``.

    Words are matched whole and case-insensitively; each distinct name is tested once, so this is
    cheap on millions of rows. Rows without a counterparty name never match.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.
    list_name : str
        A list in ``lists.yaml`` (e.g. ``"housing_descriptors"``).

    Returns
    -------
    numpy.ndarray of bool
        One value per row of ``ctx.transactions``.
    """
    txn = ctx.transactions
    if "counterparty_name" not in txn.columns:
        return np.zeros(len(txn), dtype=bool)
    pattern = _word_pattern(tuple(ctx.settings.values(list_name)))
    return ctx.distinct_matches(
        ("descriptor_mask", list_name),
        txn["counterparty_name"],
        lambda names: names.str.lower().str.contains(pattern, regex=True).fillna(False),
    )


def recurring_similar_debits(
    ctx: FeatureContext, channels: tuple[str, ...] = RENT_CHANNELS
) -> np.ndarray:
    """Return a mask of debits repeated about monthly to one payee for a similar amount.

    A debit through one of ``channels`` qualifies when the account paid the same counterparty
    (``cp_key``) through one of them 20-40 days before or after it, for an amount within
    :data:`SIMILAR_AMOUNT` of it. Rows without a counterparty never qualify.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.
    channels : tuple of str
        Channels considered.

    Returns
    -------
    numpy.ndarray of bool
        One value per row of ``ctx.transactions``.
    """
    txn = ctx.transactions
    codes = column_codes(ctx, "cp_key")
    candidate = (
        ~txn["is_credit"].to_numpy()
        & txn["channel"].isin(channels).to_numpy(dtype=bool, na_value=False)
        & (codes >= 0)
    )
    rows = np.flatnonzero(candidate)
    out = np.zeros(len(txn), dtype=bool)
    if len(rows) < 2:
        return out
    acct = txn["acct"].to_numpy()[rows]
    order = np.lexsort((rows, codes[rows], acct))  # rows are in time order within an account
    rows, acct, code = rows[order], acct[order], codes[rows][order]
    age = txn["age_days"].to_numpy()[rows]
    amount = txn["amount"].to_numpy(dtype=np.float64)[rows]
    same = (acct[1:] == acct[:-1]) & (code[1:] == code[:-1])
    gap = age[:-1] - age[1:]
    low, high = MONTHLY_GAP_DAYS
    larger = np.maximum(amount[1:], amount[:-1])
    similar = np.abs(amount[1:] - amount[:-1]) <= SIMILAR_AMOUNT * larger
    pair = same & (gap >= low) & (gap <= high) & similar
    out[rows[1:][pair]] = True
    out[rows[:-1][pair]] = True
    return out


def _spec(what: str, measured: str, name: str) -> FeatureSpec:
    return FeatureSpec(
        description=f"Share of the last 60 days' debits (by amount) spent on {what}: {measured}. "
        "LOW values are the red flag (an account without the ordinary spending of a life of its "
        "own). NaN when there is no debit.",
        reason=f"only {{value:.0%}} of money spent in the last 60 days went on {name} "
        "(peers: {peer:.0%})",
        typologies=_TYPOLOGIES,
        refs=_REFS,
        unit="share",
        window="60D",
        kind="share",
        higher_is_riskier=False,
    )


@features(
    rent_share_60d=_spec(
        "housing",
        "rent or mortgage - MCC 6513, a landlord, property-manager or mortgage descriptor on a "
        "debit without an MCC, or an ACH, cheque or P2P debit repeated monthly to one payee for a "
        "similar amount (not a utility or insurer)",
        "rent or a mortgage",
    ),
    utilities_share_60d=_spec(
        "utilities",
        "electricity, gas, water and refuse - MCC 4900, or a utility descriptor on a debit "
        "without an MCC",
        "utilities",
    ),
    groceries_share_60d=_spec(
        "groceries",
        "grocery stores, supermarkets, food and convenience stores (MCC 5411, 5422, 5441, 5451, "
        "5462, 5499)",
        "groceries",
    ),
    insurance_share_60d=_spec(
        "insurance",
        "premiums - MCC 6300 or 5960, or an insurance descriptor on a debit without an MCC",
        "insurance",
    ),
    requires=("timestamp", "amount", "channel", "mcc"),
)
def ordinary_life(ctx: FeatureContext) -> pd.DataFrame:
    """Shares of the last 60 days' debits on rent, utilities, groceries and insurance (G1).

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    txn = ctx.transactions
    mcc = txn["mcc"]
    no_mcc = mcc.isna().to_numpy()
    utilities = ctx.mcc_in("utilities") | (no_mcc & descriptor_mask(ctx, "utility_descriptors"))
    insurance = ~utilities & (
        ctx.mcc_in("insurance") | (no_mcc & descriptor_mask(ctx, "insurance_descriptors"))
    )
    groceries = ~utilities & ~insurance & ctx.mcc_in("groceries")
    housing = (
        ctx.mcc_in("rent")
        | (no_mcc & descriptor_mask(ctx, "housing_descriptors"))
        | (no_mcc & recurring_similar_debits(ctx))
    )
    rent = housing & ~utilities & ~insurance & ~groceries
    amount = txn["amount"].to_numpy(dtype=np.float64)
    window = ~txn["is_credit"].to_numpy() & ctx.within(WINDOW_DAYS)
    spent = ctx.total(amount, window)
    return ctx.frame(
        rent_share_60d=ctx.share(ctx.total(amount, window & rent), spent),
        utilities_share_60d=ctx.share(ctx.total(amount, window & utilities), spent),
        groceries_share_60d=ctx.share(ctx.total(amount, window & groceries), spent),
        insurance_share_60d=ctx.share(ctx.total(amount, window & insurance), spent),
    )
