"""Alternative payment methods: virtual currency, online payment services and processors.

Catalogue rows A4, A5, F2 and F3:

- FT16 #8 (A4): frequent small virtual-currency purchases in multiples ($3, $12, $24), directly or
  through exchanges; F20 case study 2: prepaid Visa cards used to buy bitcoin on a P2P exchange
  (Paxful), which paid for Backpage ads.
- FT16 #9 (A5): a personal account with frequent deposits and payments through an online payment
  service, typically under CAD 100, the money then going to virtual currency or bills.
- F20 §II financial 8 (F2): funds sent to or received from virtual-currency services.
- F20 §II financial 9 and §I.4 (F3): frequent transactions through third-party payment processors
  that hide the originator or beneficiary, used for online escort services.

A *VASP row* is a transaction whose counterparty name matches ``vasp_descriptors`` or whose MCC is
in ``vasp_mccs`` (6051, where card networks route crypto purchases). Online payment services and
third-party payment processors are the ``online_payment_services`` and ``tppp_descriptors`` lists.
All lists live in ``reference/lists.yaml`` with their provenance; names are matched as whole words
(not inside longer words), case-insensitive.

Not computed: F2's exposure to darknet markets or other illicit services needs blockchain-analytics
categories (external data the canonical tables do not carry), and F3's "missing ultimate party"
needs wire remittance fields.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from fintrak.features._flows import hours_since_last
from fintrak.features._registry import FeatureSpec, features
from fintrak.features.context import FeatureContext

__all__ = [
    "CHAIN_HOURS",
    "alt_ops",
    "alt_tppp",
    "alt_vasp_exposure",
    "alt_vasp_small",
    "descriptor_hits",
    "in_code_list",
    "prepaid_loads",
    "vasp_rows",
]

#: A4 (inferred): a VASP buy within this many hours after a prepaid load forms a chain.
CHAIN_HOURS = 72.0
#: MCC of stored-value (prepaid) card purchases and loads (catalogue section 2).
_PREPAID_LOAD_MCC = 6540


@lru_cache(maxsize=64)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    body = "|".join(re.escape(w.lower()) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


def descriptor_hits(ctx: FeatureContext, name: str, text: pd.Series) -> np.ndarray:
    """Return a boolean mask: ``text`` contains a word or phrase of reference list ``name``.

    Matching is case-insensitive and on word boundaries (``"ebt"`` does not match ``"debt"``);
    each distinct text is matched once. Null text never matches.

    Parameters
    ----------
    ctx : FeatureContext
        Supplies the settings (``ctx.settings.values(name)``).
    name : str
        A list in ``reference/lists.yaml``.
    text : pandas.Series
        Text aligned with the rows to classify.

    Returns
    -------
    numpy.ndarray of bool
    """
    pattern = _pattern(tuple(str(v) for v in ctx.settings.values(name)))
    return ctx.distinct_matches(
        ("descriptor_hits", name),
        text,
        lambda uniques: uniques.str.lower().str.contains(pattern, regex=True).fillna(False),
    )


def in_code_list(ctx: FeatureContext, name: str, mcc: pd.Series) -> np.ndarray:
    """Return a boolean mask: the MCC is in reference list ``name`` (False where null)."""
    codes = mcc.to_numpy(dtype="float64", na_value=np.nan)
    return np.isin(codes, np.asarray(ctx.settings.values(name), dtype="float64"))


def vasp_rows(ctx: FeatureContext) -> np.ndarray:
    """Return a boolean mask of transactions with a virtual-asset service provider."""
    txn = ctx.transactions
    return descriptor_hits(ctx, "vasp_descriptors", txn["counterparty_name"]) | in_code_list(
        ctx, "vasp_mccs", txn["mcc"]
    )


def prepaid_loads(ctx: FeatureContext, vasp: np.ndarray | None = None) -> np.ndarray:
    """Return a boolean mask of prepaid-card purchases or loads (MCC 6540 debits, not VASPs).

    ``vasp`` is :func:`vasp_rows` when the caller has it already.
    """
    txn = ctx.transactions
    mcc = txn["mcc"].to_numpy(dtype="float64", na_value=np.nan)
    vasp = vasp_rows(ctx) if vasp is None else vasp
    return ~txn["is_credit"].to_numpy() & (mcc == _PREPAID_LOAD_MCC) & ~vasp


def _multiple_of_units(ctx: FeatureContext) -> np.ndarray:
    cents = np.round(ctx.transactions["amount"].to_numpy(dtype=np.float64) * 100).astype(np.int64)
    hit = np.zeros(len(cents), dtype=bool)
    for unit in ctx.settings.small_multiple_units():
        hit |= (cents % round(unit * 100)) == 0
    return hit


@features(
    vasp_small_buys_30d=FeatureSpec(
        description="Counts virtual-currency purchases (debits to a crypto exchange, broker or "
        "bitcoin ATM, or at MCC 6051) of at most the small-buy threshold (USD 50 or its "
        "equivalent) in the last 30 days.",
        reason="{value:.0f} small virtual-currency purchases in the last 30 days "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("A4", "FT16", "F20"),
        unit="purchases",
        window="30D",
        kind="count",
    ),
    vasp_multiple_share_30d=FeatureSpec(
        description="Share of the last 30 days' virtual-currency purchases whose amount is a "
        "whole multiple of 3, 12 or 24 in the purchase's currency (FT16's ad-price steps). NaN "
        "without a purchase.",
        reason="{value:.0%} of virtual-currency purchases in the last 30 days were multiples of "
        "3, 12 or 24 (peers: {peer:.0%})",
        typologies=("sex_trafficking",),
        refs=("A4", "FT16"),
        unit="share",
        window="30D",
        kind="share",
    ),
    prepaid_to_vasp_chains_30d=FeatureSpec(
        description="Counts virtual-currency purchases in the last 30 days made within 72 hours "
        "after a prepaid-card purchase or load (MCC 6540) by the same account.",
        reason="{value:.0f} virtual-currency purchases within 72 hours of a prepaid-card load in "
        "the last 30 days (peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("A4", "F2", "F20"),
        unit="purchases",
        window="30D",
        kind="count",
    ),
    requires=("amount", "currency", "counterparty_name"),
)
def alt_vasp_small(ctx: FeatureContext) -> pd.DataFrame:
    """Small and multiple-of-price-step crypto buys, and prepaid-to-crypto chains (A4).

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
    vasp = vasp_rows(ctx)
    buys = ~txn["is_credit"].to_numpy() & vasp & ctx.within(30)
    amount = txn["amount"].to_numpy(dtype=np.float64)
    small = amount <= ctx.threshold("small_vasp_buy")
    since_load = hours_since_last(ctx, prepaid_loads(ctx, vasp))
    with np.errstate(invalid="ignore"):
        chained = buys & (since_load <= CHAIN_HOURS)
    return ctx.frame(
        vasp_small_buys_30d=ctx.count(buys & small),
        vasp_multiple_share_30d=ctx.share(
            ctx.count(buys & _multiple_of_units(ctx)), ctx.count(buys)
        ),
        prepaid_to_vasp_chains_30d=ctx.count(chained),
    )


@features(
    vasp_out_amount_90d=FeatureSpec(
        description="Sum of debits to virtual-asset service providers (crypto exchanges, brokers, "
        "bitcoin ATMs, MCC 6051) in the last 90 days, in the transactions' currency.",
        reason="{value:,.0f} sent to crypto exchanges or bitcoin ATMs in the last 90 days "
        "(peers: {peer:,.0f})",
        typologies=("sex_trafficking", "funnel"),
        refs=("F2", "F20"),
        unit="currency units",
        window="90D",
        kind="amount",
    ),
    vasp_in_amount_90d=FeatureSpec(
        description="Sum of credits from virtual-asset service providers (crypto sold or "
        "withdrawn to the account) in the last 90 days, in the transactions' currency.",
        reason="{value:,.0f} received from crypto exchanges in the last 90 days "
        "(peers: {peer:,.0f})",
        typologies=("sex_trafficking", "funnel"),
        refs=("F2", "F20"),
        unit="currency units",
        window="90D",
        kind="amount",
    ),
    vasp_counterparties_90d=FeatureSpec(
        description="Counts distinct virtual-asset service providers the account dealt with "
        "(either direction) in the last 90 days.",
        reason="dealt with {value:.0f} different crypto exchanges or ATMs in the last 90 days "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking", "funnel"),
        refs=("F2", "F20"),
        unit="providers",
        window="90D",
        kind="count",
    ),
    requires=("amount", "counterparty_name"),
)
def alt_vasp_exposure(ctx: FeatureContext) -> pd.DataFrame:
    """Money to and from virtual-currency services over 90 days (F2).

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
    rows = vasp_rows(ctx) & ctx.within(90)
    credit = txn["is_credit"].to_numpy()
    amount = txn["amount"].to_numpy(dtype=np.float64)
    return ctx.frame(
        vasp_out_amount_90d=ctx.total(amount, rows & ~credit),
        vasp_in_amount_90d=ctx.total(amount, rows & credit),
        vasp_counterparties_90d=ctx.nunique(txn["cp_key"], rows),
    )


@features(
    ops_small_tx_30d=FeatureSpec(
        description="Counts credits and debits with an online payment service (PayPal, Venmo, "
        "Cash App, Wise, Skrill, ...) under CAD 100 or its equivalent in the last 30 days.",
        reason="{value:.0f} online-payment-service transactions under CAD 100 (or equivalent) in "
        "the last 30 days (peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("A5", "FT16"),
        unit="transactions",
        window="30D",
        kind="count",
    ),
    ops_small_share_30d=FeatureSpec(
        description="Share of the last 30 days' online-payment-service transactions that are "
        "under CAD 100 or its equivalent. NaN without such a transaction.",
        reason="{value:.0%} of online-payment-service transactions in the last 30 days were "
        "under CAD 100 (or equivalent) (peers: {peer:.0%})",
        typologies=("sex_trafficking",),
        refs=("A5", "FT16"),
        unit="share",
        window="30D",
        kind="share",
    ),
    ops_to_vasp_ratio_30d=FeatureSpec(
        description="Virtual-currency purchases made within 72 hours after an online-payment-"
        "service credit, divided by those credits' total, in the last 30 days; capped at 1. NaN "
        "without such a credit.",
        reason="{value:.0%} of online-payment-service money received in the last 30 days went to "
        "virtual currency within 72 hours (peers: {peer:.0%})",
        typologies=("sex_trafficking",),
        refs=("A5", "FT16"),
        unit="share of credits",
        window="30D",
        kind="ratio",
    ),
    requires=("amount", "currency", "counterparty_name"),
)
def alt_ops(ctx: FeatureContext) -> pd.DataFrame:
    """Small online-payment-service activity and its onward move to virtual currency (A5).

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
    window = ctx.within(30)
    ops = descriptor_hits(ctx, "online_payment_services", txn["counterparty_name"]) & window
    amount = txn["amount"].to_numpy(dtype=np.float64)
    small = amount < ctx.threshold("small_online_payment")
    credit = txn["is_credit"].to_numpy()
    ops_credits = ops & credit
    since = hours_since_last(ctx, ops_credits)
    with np.errstate(invalid="ignore"):
        onward = ~credit & vasp_rows(ctx) & window & (since <= CHAIN_HOURS)
    ratio = ctx.share(ctx.total(amount, onward), ctx.total(amount, ops_credits))
    return ctx.frame(
        ops_small_tx_30d=ctx.count(ops & small),
        ops_small_share_30d=ctx.share(ctx.count(ops & small), ctx.count(ops)),
        ops_to_vasp_ratio_30d=np.minimum(ratio, 1.0),
    )


@features(
    tppp_tx_90d=FeatureSpec(
        description="Counts transactions (either direction, any channel) through third-party "
        "payment processors of the online adult and escort trade (CCBill, Epoch, Segpay, Paxum, "
        "Payoneer, ...) in the last 90 days.",
        reason="{value:.0f} transactions through third-party payment processors in the last 90 "
        "days (peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("F3", "F20"),
        unit="transactions",
        window="90D",
        kind="count",
    ),
    tppp_amount_90d=FeatureSpec(
        description="Sum of transactions (either direction) through third-party payment "
        "processors in the last 90 days, in the transactions' currency.",
        reason="{value:,.0f} moved through third-party payment processors in the last 90 days "
        "(peers: {peer:,.0f})",
        typologies=("sex_trafficking",),
        refs=("F3", "F20"),
        unit="currency units",
        window="90D",
        kind="amount",
    ),
    tppp_transfer_share_90d=FeatureSpec(
        description="Share of the last 90 days' wires and ACH transfers (either direction) whose "
        "counterparty is a third-party payment processor. NaN without a wire or ACH transfer.",
        reason="{value:.0%} of wires and ACH transfers in the last 90 days went through "
        "third-party payment processors (peers: {peer:.0%})",
        typologies=("sex_trafficking",),
        refs=("F3", "F20"),
        unit="share",
        window="90D",
        kind="share",
    ),
    requires=("amount", "channel", "counterparty_name"),
)
def alt_tppp(ctx: FeatureContext) -> pd.DataFrame:
    """Transactions through third-party payment processors over 90 days (F3).

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
    window = ctx.within(90)
    tppp = descriptor_hits(ctx, "tppp_descriptors", txn["counterparty_name"]) & window
    transfers = txn["channel"].isin(("wire", "ach")).to_numpy(dtype=bool) & window
    amount = txn["amount"].to_numpy(dtype=np.float64)
    return ctx.frame(
        tppp_tx_90d=ctx.count(tppp),
        tppp_amount_90d=ctx.total(amount, tppp),
        tppp_transfer_share_90d=ctx.share(ctx.count(tppp & transfers), ctx.count(transfers)),
    )
