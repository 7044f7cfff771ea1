"""Activity out of line with expected activity: volumes compared with peers and declared income.

Many published red flags are relative: payments "out of line with expected activity" (A1 and B3,
FT16 #1 and #3), purchases that "do not fit the customer profile" (B6, AU22), deposits "much
larger than those of peers" (H7, F23 flags 6-7). The features here put the main volume measures
of the account-level library next to the account's peers, as robust z-scores
(:func:`fintrak.features.population.peer_z`: ``(value - peer median) / (1.4826 * MAD)``, clipped
to +-20), and compare credits with the income the holder declared at KYC.

Peer groups (:func:`peer_levels`), finest first; each account is compared within the first level
whose group holds at least :data:`MIN_PEERS` accounts with a value, and with every account when
no level does. A level is skipped for an account where one of its keys is unknown.

1. account type x occupation x age band x city of residence;
2. account type x occupation x age band;
3. account type x occupation;
4. account type x age band;
5. account type;
6. everyone.

Age bands (:data:`AGE_BANDS`) are computed from ``accounts.date_of_birth`` at ``as_of``;
occupation and city are compared after trimming and lower-casing.

The values compared are read from the account-level features (each account's worst 30-day
window of the look-back, see :mod:`fintrak.features.builder`); two volumes the library did not
have - total credits over 90 days and P2P inflow over 30 days - are added here as account-level
features. Cash deposits against peers are :func:`fintrak.features.population.peer_scores`'
``cash_deposit_peer_z_90d`` (H7) and are not repeated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features._registry import FeatureSpec, features
from fintrak.features.context import FeatureContext
from fintrak.features.population import MIN_PEERS, peer_z

__all__ = [
    "AGE_BANDS",
    "MIN_PEERS",
    "PEER_INPUTS",
    "age_band",
    "income_ratio",
    "peer_inputs",
    "peer_levels",
    "peer_volumes",
]

#: Lower edges (years) of the age bands used as a peer key: <25, 25-34, ..., 65+.
AGE_BANDS: tuple[int, ...] = (0, 25, 35, 45, 55, 65)
#: Peer feature -> the account-level feature it compares.
PEER_INPUTS: dict[str, str] = {
    "credit_total_peer_z_90d": "credit_total_90d",
    "p2p_inflow_peer_z_30d": "p2p_inflow_30d",
    "ad_payments_peer_z_30d": "ad_payments_30d",
    "lodging_spend_peer_z_30d": "lodging_spend_30d",
    "personal_care_peer_z_30d": "personal_care_charges_30d",
    "travel_tickets_peer_z_30d": "travel_tickets_30d",
}
_PEERS_TEXT = "peers of the same account type, occupation, age band and city (coarser groups "
_PEERS_TEXT += f"when fewer than {MIN_PEERS} such peers), clipped to +-20"
_ALL = ("sex_trafficking", "labour_trafficking", "human_smuggling", "funnel")


def age_band(date_of_birth: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """Return the age band of each holder at ``as_of`` (``"25-34"``), null where unknown.

    Parameters
    ----------
    date_of_birth : pandas.Series
        Dates of birth (naive dates).
    as_of : pandas.Timestamp
        The date the age is taken at.

    Returns
    -------
    pandas.Series
        Object dtype, same index.

    Examples
    --------
    >>> dob = pd.Series(pd.to_datetime(["2000-06-01", "1950-01-01", None]))
    >>> age_band(dob, pd.Timestamp("2025-03-01", tz="UTC")).tolist()
    ['<25', '65+', None]
    """
    stamp = pd.Timestamp(as_of)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    born = pd.to_datetime(date_of_birth)
    years = ((stamp - born).dt.days / 365.2425).to_numpy(dtype=np.float64, na_value=np.nan)
    edges = np.asarray(AGE_BANDS, dtype=np.float64)
    labels = [f"<{AGE_BANDS[1]}"]
    labels += [f"{lo}-{hi - 1}" for lo, hi in zip(AGE_BANDS[1:-1], AGE_BANDS[2:], strict=True)]
    labels += [f"{AGE_BANDS[-1]}+"]
    position = np.clip(np.searchsorted(edges, years, side="right") - 1, 0, len(labels) - 1)
    out = np.array(labels, dtype=object)[position]
    out[np.isnan(years)] = None
    return pd.Series(out, index=date_of_birth.index, dtype=object)


def _text_key(values: pd.Series) -> pd.Series:
    text = values.astype(object).where(values.notna()).astype("string").str.strip().str.lower()
    return text.mask(text == "").astype(object)


def peer_levels(ctx: FeatureContext) -> list[pd.Series]:
    """Return the peer-group keys of every account, finest first (see the module docstring).

    Parameters
    ----------
    ctx : FeatureContext
        The context (``ctx.accounts`` holds the KYC columns).

    Returns
    -------
    list of pandas.Series
        Object keys indexed by ``account_id``; null where a part of the key is unknown.
    """
    kyc = ctx.accounts.reindex(ctx.account_ids)
    index = ctx.account_ids.rename("account_id")

    def column(name: str) -> pd.Series:
        if name not in kyc.columns:
            return pd.Series(None, index=kyc.index, dtype=object)
        return _text_key(kyc[name])

    kind, job, city = column("account_type"), column("occupation"), column("city")
    if "date_of_birth" in kyc.columns:
        band = age_band(kyc["date_of_birth"], ctx.as_of)
    else:
        band = pd.Series(None, index=kyc.index, dtype=object)
    levels = [
        kind + " | " + job + " | " + band + " | " + city,
        kind + " | " + job + " | " + band,
        kind + " | " + job,
        kind + " | " + band,
        kind,
    ]
    return [level.set_axis(index) for level in levels]


@features(
    credit_total_90d=FeatureSpec(
        description="Sum of all credits (deposits, transfers in, payroll, refunds) in the last 90 "
        "days, in the transactions' currency.",
        reason="{value:,.0f} received in the last 90 days (peers: {peer:,.0f})",
        typologies=_ALL,
        refs=("H7", "F23", "ORCL"),
        unit="currency units",
        window="90D",
        kind="amount",
    ),
    p2p_inflow_30d=FeatureSpec(
        description="Sum of P2P credits in the last 30 days, in the transactions' currency.",
        reason="{value:,.0f} received by P2P in the last 30 days (peers: {peer:,.0f})",
        typologies=("sex_trafficking",),
        refs=("A6", "A7", "F26"),
        unit="currency units",
        window="30D",
        kind="amount",
    ),
    requires=("timestamp", "amount", "channel"),
)
def peer_inputs(ctx: FeatureContext) -> pd.DataFrame:
    """Credits over 90 days and P2P inflow over 30 days (inputs of the peer comparisons).

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
    p2p = (txn["channel"] == "p2p").to_numpy(dtype=bool, na_value=False)
    return ctx.frame(
        credit_total_90d=ctx.total(amount, credit & ctx.within(90)),
        p2p_inflow_30d=ctx.total(amount, credit & p2p & ctx.within(30)),
    )


def _z_spec(
    measure: str, window: str, refs: tuple[str, ...], typologies: tuple[str, ...], said: str
) -> FeatureSpec:
    return FeatureSpec(
        description=f"Robust z-score of {measure} against {_PEERS_TEXT}. NaN when that measure "
        "was not computed.",
        reason=f"{said} was {{value:+.1f}} robust standard deviations from that of comparable "
        "customers (same account type, occupation, age band and city where enough)",
        typologies=typologies,
        refs=refs,
        unit="robust z",
        window=window,
        kind="score",
    )


@features(
    credit_total_peer_z_90d=_z_spec(
        "the 90-day total of credits",
        "90D",
        ("H7", "D1", "F23", "F20"),
        _ALL,
        "money received in the last 90 days",
    ),
    p2p_inflow_peer_z_30d=_z_spec(
        "the 30-day total of P2P credits",
        "30D",
        ("A6", "A7", "F26", "AU22"),
        ("sex_trafficking",),
        "money received by P2P in the last 30 days",
    ),
    ad_payments_peer_z_30d=_z_spec(
        "the 30-day count of payments to online advertising and classified sites",
        "30D",
        ("A1", "FT16", "F14"),
        ("sex_trafficking",),
        "the number of payments to ad sites in the last 30 days",
    ),
    lodging_spend_peer_z_30d=_z_spec(
        "the 30-day sum of hotel, motel and other lodging charges",
        "30D",
        ("B1", "F20", "AU22"),
        ("sex_trafficking", "labour_trafficking"),
        "spending on lodging in the last 30 days",
    ),
    personal_care_peer_z_30d=_z_spec(
        "the 30-day count of pharmacy, cosmetics, women's clothing, beauty salon and spa purchases",
        "30D",
        ("B6", "AU22", "FT16"),
        ("sex_trafficking",),
        "the number of pharmacy, clothing and beauty purchases in the last 30 days",
    ),
    travel_tickets_peer_z_30d=_z_spec(
        "the 30-day count of airline, rail, bus and travel-agency charges",
        "30D",
        ("B3", "FT16", "F20"),
        ("sex_trafficking", "labour_trafficking"),
        "the number of airline, train and bus tickets in the last 30 days",
    ),
    level="population",
    requires=("amount",),
)
def peer_volumes(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Compare credits, P2P inflow, ad, lodging, personal-care and travel volumes with peers.

    Reads the account-level features named in :data:`PEER_INPUTS`; a score is NaN where its input
    column is absent or NaN (e.g. its calculator was skipped for want of MCCs).

    Parameters
    ----------
    ctx : FeatureContext
        The context (KYC columns give the peer groups).
    account_features : pandas.DataFrame
        Account-level features, indexed by ``account_id``.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    index = ctx.account_ids.rename("account_id")
    levels = peer_levels(ctx)
    out = {}
    for name, source in PEER_INPUTS.items():
        if source in account_features.columns:
            values = account_features[source].reindex(index)
            out[name] = peer_z(values, levels, MIN_PEERS).to_numpy()
        else:
            out[name] = np.full(ctx.n_accounts, np.nan)
    return ctx.frame(**out)


@features(
    credit_to_income_ratio_90d=FeatureSpec(
        description="Credits in the last 90 days divided by the declared yearly income or "
        "turnover (KYC) pro-rated to 90 days; 1 means the account received what the holder said "
        "they earn. NaN when no income (or an income of 0) was declared.",
        reason="the account received {value:.1f} times the declared income for 90 days "
        "(peers: {peer:.1f})",
        typologies=_ALL,
        refs=("H7", "D1", "F23", "F20"),
        unit="times declared income",
        window="90D",
        kind="ratio",
    ),
    level="population",
    requires=("amount", "accounts.declared_income"),
)
def income_ratio(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Credits over 90 days against the income declared at KYC.

    Parameters
    ----------
    ctx : FeatureContext
        The context (``ctx.accounts`` holds ``declared_income``).
    account_features : pandas.DataFrame
        Account-level features; ``credit_total_90d`` is read.

    Returns
    -------
    pandas.DataFrame
        ``credit_to_income_ratio_90d``, one row per account.
    """
    index = ctx.account_ids.rename("account_id")
    if "credit_total_90d" not in account_features.columns:
        return ctx.frame(credit_to_income_ratio_90d=np.full(ctx.n_accounts, np.nan))
    credits = account_features["credit_total_90d"].reindex(index).to_numpy(dtype=np.float64)
    income = ctx.accounts["declared_income"].reindex(ctx.account_ids)
    expected = income.to_numpy(dtype=np.float64, na_value=np.nan) * 90.0 / 365.25
    return ctx.frame(credit_to_income_ratio_90d=ctx.share(credits, expected))
