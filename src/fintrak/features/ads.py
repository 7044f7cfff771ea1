"""Payments to online advertising and classified sites (catalogue rows A1 and A2).

FT16 (indicator #1) flags frequent payments to online advertising and promotional services, often
many small amounts in multiples such as $3, $12 and $24; F14 adds small posting fees to online
classifieds plus higher-end advertising and web hosting; AU22 gives coordinator ad spend of up to
AUD 10,000 a month; F20 (§II financial 7) flags frequent transactions with online classified sites
based in foreign jurisdictions.

An *ad payment* is a debit whose MCC is in the ``ad_classified`` group (advertising services, direct
marketing, web hosting, dating and escort services) or whose counterparty name contains a
descriptor from the curated ``ad_site_descriptors`` list. The MCC is used where the bank provides
it; an extract without MCCs falls back on the descriptor list alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features._registry import FeatureSpec, features
from fintrak.features.context import FeatureContext
from fintrak.features.geography import column_codes, distinct_per_account, text_codes

__all__ = ["ad_foreign_payments", "ad_payments", "is_ad_payment", "list_hits"]


def list_hits(ctx: FeatureContext, name: str, text: pd.Series) -> np.ndarray:
    """Return a boolean mask: ``text`` matches reference list ``name`` (False where null).

    Same result as ``ctx.settings.matches(name, text)``, but each distinct text is matched once.

    Parameters
    ----------
    ctx : FeatureContext
        Supplies the settings.
    name : {"ad_site_descriptors", "memo_keywords"}
        Reference list.
    text : pandas.Series
        Text column aligned with ``ctx.transactions``.

    Returns
    -------
    numpy.ndarray of bool
    """
    return ctx.distinct_matches(
        ("list_hits", name), text, lambda uniques: ctx.settings.matches(name, uniques)
    )


def is_ad_payment(ctx: FeatureContext) -> np.ndarray:
    """Return a boolean mask of ad payments: debits to ad-classified MCCs or known ad sites.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    numpy.ndarray of bool
        One value per row of ``ctx.transactions``.
    """
    txn = ctx.transactions
    by_mcc = ctx.mcc_in("ad_classified")
    by_name = list_hits(ctx, "ad_site_descriptors", txn["counterparty_name"])
    return ~txn["is_credit"].to_numpy() & (by_mcc | by_name)


def _small_or_multiple(ctx: FeatureContext) -> np.ndarray:
    txn = ctx.transactions
    amount = txn["amount"].to_numpy(dtype=np.float64)
    cents = np.round(amount * 100).astype(np.int64)
    hit = amount <= ctx.threshold("small_ad_payment")
    for unit in ctx.settings.small_multiple_units():
        hit |= (cents % round(unit * 100)) == 0
    return hit


@features(
    ad_payments_30d=FeatureSpec(
        description="Counts payments to online advertising or classified sites (ad-classified "
        "MCCs or a known ad-site descriptor) in the last 30 days.",
        reason="{value:.0f} payments to online advertising or classified sites in the last 30 "
        "days (peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("A1", "FT16", "F14", "AU22"),
        unit="payments",
        window="30D",
        kind="count",
    ),
    ad_spend_30d=FeatureSpec(
        description="Sum of payments to online advertising or classified sites in the last 30 "
        "days, in the transactions' currency.",
        reason="{value:,.0f} paid to online advertising or classified sites in the last 30 days "
        "(peers: {peer:,.0f})",
        typologies=("sex_trafficking",),
        refs=("A1", "AU22"),
        unit="currency units",
        window="30D",
        kind="amount",
    ),
    ad_small_multiple_share_30d=FeatureSpec(
        description="Share of the last 30 days' ad payments that are a whole multiple of an "
        "ad-site price step (3, 12 or 24 in the payment's currency) or no more than the small "
        "posting fee threshold. NaN when there is no ad payment.",
        reason="{value:.0%} of ad payments in the last 30 days were small fees or multiples of "
        "3, 12 or 24 (peers: {peer:.0%})",
        typologies=("sex_trafficking",),
        refs=("A1", "FT16"),
        unit="share",
        window="30D",
        kind="share",
    ),
    ad_merchants_30d=FeatureSpec(
        description="Counts distinct advertising or classified-site merchants paid in the last "
        "30 days.",
        reason="paid {value:.0f} different advertising or classified sites in the last 30 days "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("A1", "FT16"),
        unit="merchants",
        window="30D",
        kind="count",
    ),
    requires=("timestamp", "amount", "currency", "counterparty_name"),
)
def ad_payments(ctx: FeatureContext) -> pd.DataFrame:
    """Count, sum, small-multiple share and distinct merchants of ad payments in 30 days.

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
    ads = is_ad_payment(ctx) & ctx.within(30)
    n_ads = ctx.count(ads)
    return ctx.frame(
        ad_payments_30d=n_ads,
        ad_spend_30d=ctx.total(txn["amount"].to_numpy(), ads),
        ad_small_multiple_share_30d=ctx.share(ctx.count(ads & _small_or_multiple(ctx)), n_ads),
        ad_merchants_30d=distinct_per_account(ctx, column_codes(ctx, "cp_key"), ads),
    )


@features(
    ad_foreign_payments_30d=FeatureSpec(
        description="Counts ad payments in the last 30 days made in a country other than the "
        "holder's country of residence (both known).",
        reason="{value:.0f} payments to foreign online advertising or classified sites in the "
        "last 30 days (peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("A2", "F20"),
        unit="payments",
        window="30D",
        kind="count",
    ),
    requires=("timestamp", "counterparty_name", "country", "accounts.country"),
)
def ad_foreign_payments(ctx: FeatureContext) -> pd.DataFrame:
    """Count ad payments in 30 days whose country differs from the KYC country of residence.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``ad_foreign_payments_30d``, one row per account.
    """
    txn = ctx.transactions
    both = text_codes(pd.concat([txn["country"], txn["home_country"]], ignore_index=True))
    country, home = both[: len(txn)], both[len(txn) :]
    foreign = (country >= 0) & (home >= 0) & (country != home)
    return ctx.frame(
        ad_foreign_payments_30d=ctx.count(is_ad_payment(ctx) & ctx.within(30) & foreign)
    )
