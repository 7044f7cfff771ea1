"""Front companies and cash-intensive businesses (catalogue rows D1, D2 and D3).

- F20 §II financial 3 (D1): a business whose activity is mostly outside normal operating hours,
  almost always in cash, with deposits larger than its size suggests.
- F20 §I.1 (D2): front companies, often registered and licensed, are massage businesses, escort
  services, bars, restaurants, cantinas, and nail and hair salons, paid mostly in cash.
- F20 §I.1, F23 flag 8, AU22 (D3): illicit proceeds put into real estate and cars, often with cash.

*Business accounts* are those with ``accounts.account_type == "business"``; the business features
are NaN (shares) or 0 (counts and flags) for personal accounts. Night is 22:00-05:59 on the holder's
local clock (FT16's 10 p.m. to 6 a.m.). Only credits whose time says when the customer acted
(card, cash, ATM and P2P) enter the night share: ACH and wire credits post in bank batches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features._registry import FeatureSpec, features
from fintrak.features.alt_payments import descriptor_hits, in_code_list
from fintrak.features.context import FeatureContext

__all__ = [
    "ASSET_LOOKBACK_DAYS",
    "CASH_FUNDED_SHARE",
    "NIGHT_HOURS",
    "asset_purchases",
    "business_accounts",
    "business_cash_night",
    "front_business_cash",
    "front_business_sector",
    "preceding_total",
]

#: FT16: deposits or withdrawals between 10 p.m. and 6 a.m.
NIGHT_HOURS: tuple[int, ...] = (22, 23, 0, 1, 2, 3, 4, 5)
#: D3 (catalogue): build-up looked for in the 90 days before an asset purchase.
ASSET_LOOKBACK_DAYS = 90.0
#: D3 (inferred): a purchase is cash-funded when the prior 90 days' cash deposits reach this
#: share of its amount.
CASH_FUNDED_SHARE = 0.5
#: D2 (inferred, catalogue: cash share above the peers' 90th percentile).
PEER_PERCENTILE = 0.9
_MIN_PEERS = 20
_TIMED_CHANNELS = ("card", "cash", "atm", "p2p")
_CASH = ("cash", "atm")


def business_accounts(ctx: FeatureContext) -> np.ndarray:
    """Return a boolean per account: ``accounts.account_type`` is business."""
    kind = ctx.accounts["account_type"].reindex(ctx.account_ids).astype(object)
    return (kind.str.strip().str.lower() == "business").to_numpy(dtype=bool, na_value=False)


def preceding_total(
    ctx: FeatureContext, values: np.ndarray, days: float, rows: np.ndarray
) -> np.ndarray:
    """Sum of ``values`` over the same account's rows in the ``days`` before each row in ``rows``.

    Rows at exactly ``timestamp - days`` and the row itself are excluded; earlier rows at the same
    instant are included.

    Parameters
    ----------
    ctx : FeatureContext
        The context; rows are in account, time order.
    values : numpy.ndarray
        One value per transaction row (0 for rows that should not count).
    days : float
        Look-back.
    rows : numpy.ndarray of int
        Positions to compute for.

    Returns
    -------
    numpy.ndarray of float
        One value per position in ``rows``.
    """
    txn = ctx.transactions
    if len(txn) == 0 or len(rows) == 0:
        return np.zeros(len(rows))
    seconds = -txn["age_days"].to_numpy() * 86400.0
    span = float(seconds.max() - seconds.min()) + days * 86400.0 + 1.0
    key = txn["acct"].to_numpy().astype(np.float64) * span + (seconds - seconds.min())
    cumulative = np.concatenate([[0.0], np.cumsum(np.nan_to_num(values, nan=0.0))])
    first = np.searchsorted(key, key[rows] - days * 86400.0, side="right")
    return cumulative[rows] - cumulative[first]


@features(
    biz_night_credit_share_30d=FeatureSpec(
        description="For business accounts: share of the last 30 days' card, cash, ATM and P2P "
        "credits received between 22:00 and 05:59 on the holder's local clock. NaN for personal "
        "accounts and without such credits.",
        reason="{value:.0%} of the business's takings in the last 30 days came in between 10 p.m. "
        "and 6 a.m. (peers: {peer:.0%})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("D1", "F20", "FT16"),
        unit="share",
        window="30D",
        kind="share",
    ),
    biz_cash_deposit_share_90d=FeatureSpec(
        description="For business accounts: cash and ATM deposits as a share of all credits by "
        "amount in the last 90 days. NaN for personal accounts and without credits.",
        reason="{value:.0%} of the business's incoming money in the last 90 days was cash "
        "(peers: {peer:.0%})",
        typologies=("sex_trafficking", "labour_trafficking", "funnel"),
        refs=("D1", "D2", "F20"),
        unit="share",
        window="90D",
        kind="share",
    ),
    requires=("accounts.account_type", "timestamp", "channel", "amount"),
)
def business_cash_night(ctx: FeatureContext) -> pd.DataFrame:
    """Night share of a business's takings and cash share of its deposits (D1).

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
    business = business_accounts(ctx)
    credit = txn["is_credit"].to_numpy()
    channel = txn["channel"]
    timed = credit & channel.isin(_TIMED_CHANNELS).to_numpy(dtype=bool) & ctx.within(30)
    night = np.isin(txn["local_hour"].to_numpy(), NIGHT_HOURS)
    amount = txn["amount"].to_numpy(dtype=np.float64)
    credits_90 = credit & ctx.within(90)
    cash = credits_90 & channel.isin(_CASH).to_numpy(dtype=bool)
    night_share = ctx.share(ctx.count(timed & night), ctx.count(timed))
    cash_share = ctx.share(ctx.total(amount, cash), ctx.total(amount, credits_90))
    return ctx.frame(
        biz_night_credit_share_30d=np.where(business, night_share, np.nan),
        biz_cash_deposit_share_90d=np.where(business, cash_share, np.nan),
    )


def _occupation_in_sector(ctx: FeatureContext) -> np.ndarray:
    occupation = ctx.accounts["occupation"].reindex(ctx.account_ids)
    return descriptor_hits(ctx, "front_sector_words", occupation.astype("string"))


@features(
    biz_risk_sector=FeatureSpec(
        description="1 for a business account in a sector F20 names for front companies "
        "(massage, spa, escort, bar, nightclub, cantina, restaurant, nail or hair salon), read "
        "from the declared line of business or from its card takings: most of its credits "
        "carrying an MCC carry 7297, 7298, 7230, 5813, 5812 or 7273 (all history); else 0.",
        reason="the business is in a sector often used as a front (massage, bar, salon, "
        "restaurant, escort) (flag {value:.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("D2", "F20"),
        unit="flag",
        window=None,
        kind="flag",
    ),
    requires=("accounts.account_type",),
)
def front_business_sector(ctx: FeatureContext) -> pd.DataFrame:
    """Flag businesses in the F20 front-company sectors (D2).

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of`` and KYC.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    txn = ctx.transactions
    credit_mcc = txn["is_credit"].to_numpy() & txn["mcc"].notna().to_numpy()
    risky = credit_mcc & in_code_list(ctx, "front_sector_mccs", txn["mcc"])
    by_takings = ctx.count(risky) * 2 > ctx.count(credit_mcc)
    sector = business_accounts(ctx) & (_occupation_in_sector(ctx) | by_takings)
    return ctx.frame(biz_risk_sector=sector.astype(np.float64))


@features(
    biz_cash_share_peer_percentile_90d=FeatureSpec(
        description="For business accounts: percentile rank (0-1) of the 90-day cash share of "
        "deposits among business accounts of the same declared line of business (at least 20 "
        "with a value; else all business accounts). NaN for personal accounts and without a "
        "cash share.",
        reason="the business's cash share of deposits in the last 90 days ranked at the "
        "{value:.0%} percentile of similar businesses",
        typologies=("sex_trafficking", "labour_trafficking", "funnel"),
        refs=("D2", "D1", "F20"),
        unit="percentile",
        window="90D",
        kind="score",
    ),
    biz_front_sector_cash_flag=FeatureSpec(
        description="1 when a business in a front-company sector (biz_risk_sector) has a 90-day "
        "cash share of deposits above the 90th percentile of its peers; else 0.",
        reason="a massage, bar, salon, restaurant or escort business taking more cash than 90% "
        "of its peers (flag {value:.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("D2", "F20"),
        unit="flag",
        window="90D",
        kind="flag",
    ),
    level="population",
    requires=("accounts.account_type", "channel", "amount"),
)
def front_business_cash(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Compare a business's cash share with peers' and combine it with its sector (D2).

    Reads ``biz_cash_deposit_share_90d`` and ``biz_risk_sector`` from the account-level features
    (NaN and 0 where absent).

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
    frame = account_features.reindex(index)
    share = frame.get("biz_cash_deposit_share_90d", pd.Series(np.nan, index=index))
    share = share.where(pd.Series(business_accounts(ctx), index=index))
    sector = frame.get("biz_risk_sector", pd.Series(0.0, index=index)).fillna(0.0)
    occupation = ctx.accounts["occupation"].reindex(ctx.account_ids).astype(object)
    job = occupation.str.strip().str.lower().set_axis(index)
    valid = share.notna()
    percentile = pd.Series(np.nan, index=index)
    overall = share[valid].rank(pct=True, method="max")
    percentile[valid] = overall
    by_job = share[valid].groupby(job[valid])
    size = by_job.transform("size")
    ranked = by_job.rank(pct=True, method="max")
    use = job[valid].notna() & (size >= _MIN_PEERS)
    percentile[use[use].index] = ranked[use]
    flag = (sector.to_numpy() > 0) & (percentile.to_numpy() > PEER_PERCENTILE)
    return ctx.frame(
        biz_cash_share_peer_percentile_90d=percentile.to_numpy(),
        biz_front_sector_cash_flag=flag.astype(np.float64),
    )


@features(
    asset_purchases_30d=FeatureSpec(
        description="Counts asset purchases in the last 30 days: debits of at least USD 5,000 "
        "or its equivalent to car, boat or motor-home dealers (MCC 5511, 5521, 5551) or to real-"
        "estate, escrow or title payees.",
        reason="{value:.0f} car, boat or real-estate purchases in the last 30 days "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking", "human_smuggling", "funnel"),
        refs=("D3", "F20", "F23", "AU22"),
        unit="purchases",
        window="30D",
        kind="count",
    ),
    asset_cash_funding_ratio_30d=FeatureSpec(
        description="For the asset purchases of the last 30 days, the largest ratio of cash and "
        "ATM deposits in the 90 days before the purchase to the purchase amount, capped at 1. "
        "NaN without an asset purchase.",
        reason="cash deposits in the 90 days before an asset purchase in the last 30 days "
        "covered {value:.0%} of its price (peers: {peer:.0%})",
        typologies=("sex_trafficking", "labour_trafficking", "human_smuggling", "funnel"),
        refs=("D3", "F20", "F23"),
        unit="share of price",
        window="30D",
        kind="ratio",
    ),
    cash_funded_asset_purchases_30d=FeatureSpec(
        description="Counts asset purchases in the last 30 days preceded by cash and ATM deposits "
        "in the 90 days before them worth at least half the purchase amount.",
        reason="{value:.0f} car or real-estate purchases in the last 30 days largely funded by "
        "cash deposited in the 90 days before (peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking", "human_smuggling", "funnel"),
        refs=("D3", "F20", "F23", "AU22"),
        unit="purchases",
        window="30D",
        kind="count",
    ),
    requires=("amount", "currency", "channel", "counterparty_name"),
)
def asset_purchases(ctx: FeatureContext) -> pd.DataFrame:
    """High-value asset purchases and the cash that built up before them (D3).

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
    amount = txn["amount"].to_numpy(dtype=np.float64)
    credit = txn["is_credit"].to_numpy()
    asset = in_code_list(ctx, "asset_mccs", txn["mcc"]) | descriptor_hits(
        ctx, "asset_descriptors", txn["counterparty_name"]
    )
    large = amount >= ctx.threshold("asset_purchase_min")
    purchases = ~credit & asset & large & ctx.within(30)
    where = np.flatnonzero(purchases)
    cash = credit & txn["channel"].isin(_CASH).to_numpy(dtype=bool)
    before = preceding_total(ctx, np.where(cash, amount, 0.0), ASSET_LOOKBACK_DAYS, where)
    ratio = np.minimum(before / amount[where], 1.0)
    best = np.full(ctx.n_accounts, -np.inf)
    np.maximum.at(best, txn["acct"].to_numpy()[where], ratio)
    funded = np.zeros(len(txn), dtype=bool)
    funded[where[ratio >= CASH_FUNDED_SHARE]] = True
    return ctx.frame(
        asset_purchases_30d=ctx.count(purchases),
        asset_cash_funding_ratio_30d=np.where(np.isfinite(best), best, np.nan),
        cash_funded_asset_purchases_30d=ctx.count(funded),
    )
