"""Wire and transfer features: human smuggling along a border corridor, and remittance funnels.

The sources (F14 via trade press; F23; F20 footnote 33):

- several wires, generally below USD 3,000, sent from various locations to a common beneficiary
  in a city along the US Southwest border (H1, H2);
- many apparently unrelated people sending wires, cash or P2P to one beneficiary (H5);
- wires from, or to, countries with high migrant flows (H3, H4, I2);
- cash deposits followed by rapid wires abroad (H4).

The border cities and corridor countries are reference lists (``border_cities``,
``corridor_countries``) a bank can extend; the small-wire threshold is resolved per currency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features._flows import hours_since_last
from fintrak.features._registry import FeatureSpec, features
from fintrak.features.cash import cash_deposits, normalise_place, place_codes
from fintrak.features.context import FeatureContext

__all__ = ["country_in", "outgoing_wires"]

#: H4: a wire abroad counts as following a cash deposit within this many hours.
RAPID_HOURS = 48.0


def outgoing_wires(ctx: FeatureContext) -> np.ndarray:
    """Return a boolean mask of wires sent (debits with channel ``wire``)."""
    txn = ctx.transactions
    return ~txn["is_credit"].to_numpy() & (txn["channel"] == "wire").to_numpy(bool)


def _incoming(ctx: FeatureContext, channels: tuple[str, ...]) -> np.ndarray:
    txn = ctx.transactions
    return txn["is_credit"].to_numpy() & txn["channel"].isin(channels).to_numpy(bool)


def _remittances_out(ctx: FeatureContext) -> np.ndarray:
    """Return wires sent and debits at money-transfer merchants (MCC 4829, where known)."""
    txn = ctx.transactions
    msb = ctx.mcc_in("money_transfer") & ~txn["is_credit"].to_numpy()
    return outgoing_wires(ctx) | msb


def country_in(countries: pd.Series, allowed: list[str]) -> np.ndarray:
    """Return a boolean mask: the canonical (upper-case) ISO country code is in ``allowed``.

    Examples
    --------
    >>> country_in(pd.Series(["MX", "US", None], dtype="string"), ["mx", "GT"]).tolist()
    [True, False, False]
    """
    wanted = sorted({str(c).strip().upper() for c in allowed})
    return countries.isin(wanted).to_numpy(dtype=bool, na_value=False)


@features(
    small_wires_out_30d=FeatureSpec(
        description="Counts wires sent in the last 30 days below the small-wire threshold "
        "(USD 3,000, converted to the wire's currency).",
        reason="{value:.0f} wires under 3,000 (USD equivalent) sent in the last 30 days "
        "(peers: {peer:.0f})",
        typologies=("human_smuggling",),
        refs=("H1", "E5", "F14"),
        unit="wires",
        window="30D",
        kind="count",
    ),
    requires=("channel", "direction", "amount", "currency"),
)
def small_wires(ctx: FeatureContext) -> pd.DataFrame:
    """Count wires kept below the smuggling threshold (H1, E5).

    Parameters
    ----------
    ctx : FeatureContext
        The context.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    txn = ctx.transactions
    sent = outgoing_wires(ctx) & ctx.within(30)
    limit = np.full(len(txn), np.nan)
    limit[sent] = ctx.threshold("small_wire")[sent]
    with np.errstate(invalid="ignore"):
        small = sent & (txn["amount"].to_numpy(dtype=np.float64) < limit)
    return ctx.frame(small_wires_out_30d=ctx.count(small))


@features(
    border_transfers_out_30d=FeatureSpec(
        description="Counts wires and P2P payments sent in the last 30 days to a city on the "
        "US Southwest border (reference list border_cities).",
        reason="{value:.0f} transfers to Southwest-border cities in the last 30 days "
        "(peers: {peer:.0f})",
        typologies=("human_smuggling",),
        refs=("H1", "H2", "F14", "F23"),
        unit="transfers",
        window="30D",
        kind="count",
    ),
    wire_origin_cities_in_30d=FeatureSpec(
        description="Counts distinct cities that wires received in the last 30 days came from.",
        reason="wires received from {value:.0f} cities in the last 30 days (peers: {peer:.0f})",
        typologies=("human_smuggling",),
        refs=("H1", "F14"),
        unit="cities",
        window="30D",
        kind="count",
    ),
    requires=("channel", "direction", "city"),
)
def wire_places(ctx: FeatureContext) -> pd.DataFrame:
    """Count transfers to border cities and the cities wires come from (H1, H2).

    Parameters
    ----------
    ctx : FeatureContext
        The context.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    txn = ctx.transactions
    w30 = ctx.within(30)
    border = pd.Series(ctx.settings.values("border_cities")).map(normalise_place)
    city, listed = place_codes(txn["city"], border)
    at_border = np.isin(city, listed[listed >= 0])
    sent = ~txn["is_credit"].to_numpy() & txn["channel"].isin(["wire", "p2p"]).to_numpy(bool)
    received = _incoming(ctx, ("wire",)) & w30
    return ctx.frame(
        border_transfers_out_30d=ctx.count(sent & w30 & at_border),
        wire_origin_cities_in_30d=ctx.nunique(np.where(city >= 0, city, None), received),
    )


@features(
    transfer_senders_in_30d=FeatureSpec(
        description="Counts distinct senders of wires and P2P payments received in the last 30 "
        "days, and of cash deposits whose depositor is identified (counterparty_id).",
        reason="money received from {value:.0f} different senders in the last 30 days "
        "(peers: {peer:.0f})",
        typologies=("human_smuggling", "funnel"),
        refs=("H5", "F14", "F23"),
        unit="senders",
        window="30D",
        kind="count",
    ),
    requires=("channel", "direction", "cp_key"),
)
def transfer_senders(ctx: FeatureContext) -> pd.DataFrame:
    """Count the senders paying one beneficiary (H5).

    A cash deposit counts only with a ``counterparty_id`` (an identified depositor): the name on a
    cash row is usually the branch or ATM, not the person who brought the cash.

    Parameters
    ----------
    ctx : FeatureContext
        The context.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    txn = ctx.transactions
    identified = txn["counterparty_id"].notna().to_numpy()
    rows = (
        _incoming(ctx, ("wire", "p2p")) | (_incoming(ctx, ("cash",)) & identified)
    ) & ctx.within(30)
    return ctx.frame(transfer_senders_in_30d=ctx.nunique(txn["cp_key"], rows))


@features(
    corridor_transfers_in_90d=FeatureSpec(
        description="Counts wires received in the last 90 days from corridor countries (countries "
        "with high migrant flows; reference list corridor_countries: MX, GT, SV, HN).",
        reason="{value:.0f} wires received from corridor countries in the last 90 days "
        "(peers: {peer:.0f})",
        typologies=("human_smuggling",),
        refs=("H3", "F14"),
        unit="wires",
        window="90D",
        kind="count",
    ),
    corridor_transfers_out_90d=FeatureSpec(
        description="Counts wires and money-transfer (MCC 4829) payments sent to corridor "
        "countries in the last 90 days.",
        reason="{value:.0f} transfers sent to corridor countries in the last 90 days "
        "(peers: {peer:.0f})",
        typologies=("human_smuggling", "labour_trafficking"),
        refs=("H4", "I2", "F14", "F23", "F20"),
        unit="transfers",
        window="90D",
        kind="count",
    ),
    requires=("channel", "direction", "country"),
)
def corridor_transfers(ctx: FeatureContext) -> pd.DataFrame:
    """Count transfers from and to corridor countries (H3, H4, I2).

    Parameters
    ----------
    ctx : FeatureContext
        The context.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    w90 = ctx.within(90)
    corridor = country_in(ctx.transactions["country"], ctx.settings.values("corridor_countries"))
    return ctx.frame(
        corridor_transfers_in_90d=ctx.count(_incoming(ctx, ("wire",)) & w90 & corridor),
        corridor_transfers_out_90d=ctx.count(_remittances_out(ctx) & w90 & corridor),
    )


@features(
    cash_to_intl_wire_48h_ratio_90d=FeatureSpec(
        description="Wires (and MCC 4829 money transfers) sent abroad within 48 hours after a "
        "cash deposit, divided by the cash deposited, over the last 90 days, capped at 1. Abroad "
        "means a known country other than the holder's. NaN without cash deposits.",
        reason="{value:.0%} of cash deposits were wired abroad within 48 hours in the last 90 "
        "days (peers: {peer:.0%})",
        typologies=("human_smuggling", "funnel"),
        refs=("H4", "F14", "F23"),
        unit="share of cash deposited",
        window="90D",
        kind="ratio",
    ),
    requires=("channel", "direction", "amount", "country", "accounts.country"),
)
def cash_to_foreign_wires(ctx: FeatureContext) -> pd.DataFrame:
    """Measure cash deposited and wired abroad within 48 hours (H4).

    Parameters
    ----------
    ctx : FeatureContext
        The context.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    txn = ctx.transactions
    w90 = ctx.within(90)
    amount = txn["amount"].to_numpy(dtype=np.float64)
    deposit = cash_deposits(ctx) & w90
    known = (txn["country"].notna() & txn["home_country"].notna()).to_numpy()
    abroad = known & (txn["country"] != txn["home_country"]).to_numpy(dtype=bool, na_value=False)
    since = hours_since_last(ctx, deposit, strict=False)
    with np.errstate(invalid="ignore"):
        rapid = _remittances_out(ctx) & abroad & (since <= RAPID_HOURS)
    ratio = ctx.share(ctx.total(amount, rapid), ctx.total(amount, deposit))
    return ctx.frame(cash_to_intl_wire_48h_ratio_90d=np.minimum(ratio, 1.0))
