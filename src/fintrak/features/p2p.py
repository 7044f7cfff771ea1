"""Peer-to-peer inflows and where the money goes next (catalogue rows A6, A7, G1, J2).

F26 (flags 7 and 8) describes regular P2P receipts from payers with no prior relationship, memos
with vague words that hide payment for commercial sex, funds then sent on in whole or part, and
accounts consolidating P2P transfers from many payers. AU22 gives the coordinator's domestic
transfers as about AUD 100-800 each; FT16 flags deposits and withdrawals between 10 p.m. and 6 a.m.
F20 (§I.2-3) and F26 (flag 2) describe earnings or paychecks moved on at once to one individual.

A *counterparty* is ``cp_key`` (the counterparty id where given, else the lower-cased name).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features._flows import hours_since_last
from fintrak.features._registry import FeatureSpec, features
from fintrak.features.ads import list_hits
from fintrak.features.context import FeatureContext
from fintrak.features.geography import column_codes

__all__ = [
    "FORWARD_CHANNELS",
    "NEW_PAYER_LOOKBACK_DAYS",
    "SOURCE_CHANNELS",
    "outflow_concentration",
    "p2p_forwarding",
    "p2p_memo_keywords",
    "p2p_payers",
    "p2p_service_band",
]

#: Credits whose onward movement A6 and AU22 describe: P2P receipts and cash or ATM deposits.
SOURCE_CHANNELS: tuple[str, ...] = ("p2p", "cash", "atm")
#: Debits that send money on rather than spend it: transfers to a person and cash taken out.
FORWARD_CHANNELS: tuple[str, ...] = ("p2p", "wire", "atm", "cash")
#: A payer is new when not seen as a payer in this many days before the window (A6, inferred).
NEW_PAYER_LOOKBACK_DAYS = 180
#: Hours within which money received counts as passed on (A6 ``forward_ratio_48h``, inferred).
FORWARD_HOURS = 48.0


def _channel_in(ctx: FeatureContext, channels: tuple[str, ...]) -> np.ndarray:
    return ctx.channel_in(channels)


def _p2p_credits(ctx: FeatureContext) -> np.ndarray:
    return ctx.transactions["is_credit"].to_numpy() & _channel_in(ctx, ("p2p",))


def _account_keys(ctx: FeatureContext, codes: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Return distinct ``acct * width + code`` keys of rows in ``mask`` with a known code."""
    keep = mask & (codes >= 0)
    width = np.int64(codes.max(initial=0)) + 1
    return np.unique(
        ctx.transactions["acct"].to_numpy()[keep].astype(np.int64) * width + codes[keep]
    )


def _top_counterparty_total(
    ctx: FeatureContext, codes: np.ndarray, amounts: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """Per account, the largest total of ``amounts`` going to one known counterparty."""
    keep = mask & (codes >= 0)
    width = np.int64(codes.max(initial=0)) + 1
    acct = ctx.transactions["acct"].to_numpy()[keep].astype(np.int64)
    keys, inverse = np.unique(acct * width + codes[keep], return_inverse=True)
    per_pair = np.bincount(inverse, weights=amounts[keep], minlength=len(keys))
    top = np.zeros(ctx.n_accounts)
    np.maximum.at(top, keys // width, per_pair)
    return top


@features(
    p2p_payers_30d=FeatureSpec(
        description="Counts distinct counterparties who sent the account P2P credits in the last "
        "30 days.",
        reason="P2P money from {value:.0f} different payers in the last 30 days "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("A7", "A6", "F26"),
        unit="payers",
        window="30D",
        kind="count",
    ),
    p2p_new_payers_30d=FeatureSpec(
        description="Counts P2P payers in the last 30 days who had not paid the account by P2P "
        "in the 180 days before the window (payers with no prior relationship).",
        reason="{value:.0f} new P2P payers in the last 30 days, none seen in the 180 days before "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("A6", "F26"),
        unit="payers",
        window="30D",
        kind="count",
    ),
    requires=("timestamp", "channel", "cp_key"),
)
def p2p_payers(ctx: FeatureContext) -> pd.DataFrame:
    """Distinct P2P payers in 30 days, and those not seen as payers in the 180 days before.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    codes = column_codes(ctx, "cp_key")
    credits = _p2p_credits(ctx)
    age = ctx.transactions["age_days"].to_numpy()
    recent = credits & (age < 30)
    before = credits & (age >= 30) & (age < 30 + NEW_PAYER_LOOKBACK_DAYS)
    width = np.int64(codes.max(initial=0)) + 1
    payers = _account_keys(ctx, codes, recent)
    new = np.setdiff1d(payers, _account_keys(ctx, codes, before), assume_unique=True)
    return ctx.frame(
        p2p_payers_30d=np.bincount(payers // width, minlength=ctx.n_accounts).astype(float),
        p2p_new_payers_30d=np.bincount(new // width, minlength=ctx.n_accounts).astype(float),
    )


@features(
    p2p_memo_keyword_share_30d=FeatureSpec(
        description="Share of the last 30 days' P2P credits whose memo contains a vague word "
        "that can hide payment for commercial sex ('link', 'services', 'donation', 'personal "
        "care', 'wellness', 'advertisements'). NaN when there is no P2P credit.",
        reason="{value:.0%} of P2P credits in the last 30 days had memos such as 'services' or "
        "'donation' (peers: {peer:.0%})",
        typologies=("sex_trafficking",),
        refs=("A6", "F26"),
        unit="share",
        window="30D",
        kind="share",
    ),
    requires=("timestamp", "channel", "memo"),
)
def p2p_memo_keywords(ctx: FeatureContext) -> pd.DataFrame:
    """Share of P2P credits in 30 days whose memo matches the ``memo_keywords`` list.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``p2p_memo_keyword_share_30d``, one row per account.
    """
    credits = _p2p_credits(ctx) & ctx.within(30)
    hits = list_hits(ctx, "memo_keywords", ctx.transactions["memo"])
    return ctx.frame(
        p2p_memo_keyword_share_30d=ctx.share(ctx.count(credits & hits), ctx.count(credits))
    )


@features(
    p2p_service_band_share_30d=FeatureSpec(
        description="Share of the last 30 days' P2P credits whose amount lies in the AU22 band "
        "(AUD 100-800, converted to the transaction's currency). NaN when there is no P2P credit.",
        reason="{value:.0%} of P2P credits in the last 30 days were in AUSTRAC's typical "
        "commercial-sex payment band (AUD 100-800 or its equivalent) (peers: {peer:.0%})",
        typologies=("sex_trafficking",),
        refs=("A6", "AU22"),
        unit="share",
        window="30D",
        kind="share",
    ),
    night_p2p_credit_share_30d=FeatureSpec(
        description="Share of the last 30 days' P2P credits received between 22:00 and 05:59 on "
        "the holder's local clock. NaN when there is no P2P credit.",
        reason="{value:.0%} of P2P credits in the last 30 days arrived between 10 p.m. and 6 a.m. "
        "(peers: {peer:.0%})",
        typologies=("sex_trafficking",),
        refs=("A6", "FT16", "F26"),
        unit="share",
        window="30D",
        kind="share",
    ),
    requires=("timestamp", "amount", "currency", "channel"),
)
def p2p_service_band(ctx: FeatureContext) -> pd.DataFrame:
    """Shares of P2P credits in 30 days within the AU22 amount band and at night.

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
    credits = _p2p_credits(ctx) & ctx.within(30)
    currency = txn["currency"].to_numpy()
    amount = txn["amount"].to_numpy(dtype=np.float64)
    band = (amount >= ctx.settings.threshold("p2p_service_low", currency)) & (
        amount <= ctx.settings.threshold("p2p_service_high", currency)
    )
    hour = txn["local_hour"].to_numpy()
    night = (hour >= 22) | (hour < 6)
    n_credits = ctx.count(credits)
    return ctx.frame(
        p2p_service_band_share_30d=ctx.share(ctx.count(credits & band), n_credits),
        night_p2p_credit_share_30d=ctx.share(ctx.count(credits & night), n_credits),
    )


@features(
    forward_ratio_48h_30d=FeatureSpec(
        description="Money sent on (P2P, wire, ATM or cash debits) within 48 hours after a P2P, "
        "cash or ATM credit, as a share of those credits' total, in the last 30 days; capped at "
        "1. NaN when there is no such credit.",
        reason="{value:.0%} of P2P and cash money received in the last 30 days was sent on "
        "within 48 hours (peers: {peer:.0%})",
        typologies=("sex_trafficking", "funnel"),
        refs=("A6", "A7", "F26"),
        unit="share",
        window="30D",
        kind="ratio",
    ),
    requires=("timestamp", "amount", "channel"),
)
def p2p_forwarding(ctx: FeatureContext) -> pd.DataFrame:
    """Share of P2P, cash and ATM credits (30 days) passed on within 48 hours.

    A debit counts when it is a transfer or cash-out (:data:`FORWARD_CHANNELS`) made within 48
    hours after the latest source credit of the same account in the window. Card purchases and
    ACH bills are spending, not passing money on, and do not count.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``forward_ratio_48h_30d``, one row per account.
    """
    txn = ctx.transactions
    window = ctx.within(30)
    credit = txn["is_credit"].to_numpy()
    sources = credit & _channel_in(ctx, SOURCE_CHANNELS) & window
    since = hours_since_last(ctx, sources)
    forwarded = ~credit & _channel_in(ctx, FORWARD_CHANNELS) & window & (since <= FORWARD_HOURS)
    amount = txn["amount"].to_numpy(dtype=np.float64)
    ratio = ctx.share(ctx.total(amount, forwarded), ctx.total(amount, sources))
    return ctx.frame(forward_ratio_48h_30d=np.minimum(ratio, 1.0))


@features(
    outflow_top_counterparty_share_30d=FeatureSpec(
        description="The largest single counterparty's share of the account's non-card debits "
        "(transfers, bills, cash-outs) by amount in the last 30 days. NaN when there is no "
        "non-card debit.",
        reason="{value:.0%} of money sent out in the last 30 days went to a single counterparty "
        "(peers: {peer:.0%})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("G1", "J2", "F26", "F20"),
        unit="share",
        window="30D",
        kind="share",
    ),
    sweep_out_share_30d=FeatureSpec(
        description="Share of the last 30 days' credits that left within 48 hours of a credit to "
        "one single counterparty (the largest such recipient), by non-card debits; capped at 1. "
        "NaN when there is no credit.",
        reason="{value:.0%} of money received in the last 30 days was swept to one counterparty "
        "within 48 hours (peers: {peer:.0%})",
        typologies=("sex_trafficking", "labour_trafficking", "funnel"),
        refs=("A7", "J2", "C2", "F20", "F26"),
        unit="share",
        window="30D",
        kind="ratio",
    ),
    requires=("timestamp", "amount", "channel", "cp_key"),
)
def outflow_concentration(ctx: FeatureContext) -> pd.DataFrame:
    """Top counterparty's share of non-card debits, and inflow swept to one counterparty in 48 h.

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
    credit = txn["is_credit"].to_numpy()
    amount = txn["amount"].to_numpy(dtype=np.float64)
    codes = column_codes(ctx, "cp_key")
    outflow = ~credit & ~_channel_in(ctx, ("card",)) & window
    top = _top_counterparty_total(ctx, codes, amount, outflow)
    inflow = credit & window
    swept = outflow & (hours_since_last(ctx, inflow) <= FORWARD_HOURS)
    sweep = ctx.share(_top_counterparty_total(ctx, codes, amount, swept), ctx.total(amount, inflow))
    return ctx.frame(
        outflow_top_counterparty_share_30d=ctx.share(top, ctx.total(amount, outflow)),
        sweep_out_share_30d=np.minimum(sweep, 1.0),
    )
