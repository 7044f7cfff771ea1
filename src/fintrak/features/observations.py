"""Staff observations: what branch and contact-centre staff saw (optional observations table).

Many victims' only outside contact is a visit to a branch, a cheque-cashing counter or a money
transmitter, so FinCEN asks customer-facing staff to watch for behavioural indicators and to name
the staff who witnessed them in the SAR (F20 section II, citing OSCE19). A bank that records them
as codes (:data:`fintrak.schema.OBSERVATION_CODES`) gets these features; without an
``observations`` table they are skipped and the run manifest says so.

- a third party speaks for the customer, insists on being present, fills in the paperwork, holds
  the documents or money, claims a kinship it cannot back up, or is aggressive (G5; F20
  behavioural 1-5 and 8);
- someone presents the identification of a person who is not there, or a third party tries to open
  an account for a minor (G6; F20 behavioural 6-7);
- signs of abuse or poor wellbeing, disorientation, scripted stories (G7; F20 behavioural 9-10);
- a worker escorted by a third party, often "to interpret", to send money abroad (C8; F20 I.3,
  F14);
- small bills exchanged for large ones by a customer outside cash-intensive trades (H6; F23
  flag 4).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from fintrak.features._registry import FeatureSpec, features
from fintrak.features.context import FeatureContext
from fintrak.features.wires import outgoing_wires

__all__ = [
    "ESCORT_CODES",
    "ID_OR_MINOR_CODES",
    "THIRD_PARTY_CODES",
    "WELLBEING_CODES",
    "cash_intensive_occupation",
]

#: G5: a third party controls the visit (F20 behavioural 1-5 and 8, plus escorting).
THIRD_PARTY_CODES = (
    "third_party_speaks_for_customer",
    "third_party_insists_on_presence",
    "third_party_fills_paperwork",
    "third_party_holds_documents",
    "third_party_claims_kinship",
    "third_party_aggression",
    "escorted_by_third_party",
    "interpreter_insisted",
)
#: G6: identification of an absent person, or an account for a minor (F20 behavioural 6-7).
ID_OR_MINOR_CODES = ("id_presented_by_other_person", "minor_account_by_non_guardian")
#: G7: the customer's own state (F20 behavioural 9-10).
WELLBEING_CODES = ("signs_of_abuse_or_poor_wellbeing", "disoriented_or_scripted")
#: C8: escorted to the counter to send money abroad.
ESCORT_CODES = ("escorted_by_third_party", "interpreter_insisted")
#: H6: small bills exchanged for large ones (F23 flag 4).
EXCHANGE_CODE = "small_bills_exchanged_for_large"
#: C8: an escort observation counts for a transfer abroad within this many days of it.
ESCORT_TOLERANCE_DAYS = 1.0


def _observed(ctx: FeatureContext, codes: tuple[str, ...], days: float) -> np.ndarray:
    """Boolean mask of ``ctx.observations`` rows with one of ``codes`` in the last ``days``."""
    obs = ctx.observations
    return obs["code"].isin(codes).to_numpy(dtype=bool, na_value=False) & (
        obs["age_days"].to_numpy() < days
    )


def _count(ctx: FeatureContext, mask: np.ndarray) -> np.ndarray:
    acct = ctx.observations["acct"].to_numpy()
    return np.bincount(acct[mask], minlength=ctx.n_accounts).astype(np.float64)


def cash_intensive_occupation(ctx: FeatureContext) -> np.ndarray:
    """Return, per account, whether the declared occupation is in a cash-intensive trade.

    A word or phrase of the ``cash_intensive_occupations`` reference list must appear as whole
    words (case-insensitive) in ``accounts.occupation``; an unknown occupation is not
    cash-intensive.
    """
    words = sorted({str(w).lower() for w in ctx.settings.values("cash_intensive_occupations")})
    pattern = r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b"
    job = ctx.accounts["occupation"].reindex(ctx.account_ids).astype(object)
    hit = job.str.lower().str.contains(pattern, regex=True)
    return hit.fillna(False).to_numpy(dtype=bool)


@features(
    third_party_observations_180d=FeatureSpec(
        description="Counts staff observations in the last 180 days of a third party controlling "
        "the customer's visit: speaking or insisting on interpreting for them, insisting on being "
        "present, filling in their paperwork, holding their documents or money, claiming a "
        "kinship it cannot back up, being aggressive, or escorting them.",
        reason="staff recorded {value:.0f} observations of a third party speaking for or "
        "controlling the customer in the last 180 days (peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("G5", "F20", "OSCE19"),
        unit="observations",
        window="180D",
        kind="count",
    ),
    id_or_minor_observations_180d=FeatureSpec(
        description="Counts staff observations in the last 180 days of someone presenting the "
        "identification of a person who was not there, or of a third party trying to open an "
        "account for a minor who does not qualify.",
        reason="staff recorded {value:.0f} attempts to use an absent person's ID or to open an "
        "account for a minor in the last 180 days (peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("G6", "F20"),
        unit="observations",
        window="180D",
        kind="count",
    ),
    wellbeing_observations_180d=FeatureSpec(
        description="Counts staff observations in the last 180 days of signs of abuse, poor "
        "hygiene, malnourishment or fatigue, or of a customer who did not know where they were or "
        "lived or told a scripted or inconsistent story.",
        reason="staff recorded {value:.0f} observations of signs of abuse, poor wellbeing or "
        "disorientation in the last 180 days (peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("G7", "F20"),
        unit="observations",
        window="180D",
        kind="count",
    ),
    denomination_exchanges_90d=FeatureSpec(
        description="Counts exchanges of small-denomination bills for larger ones observed at the "
        "counter in the last 90 days; 0 for holders whose declared occupation is in a "
        "cash-intensive trade (reference list cash_intensive_occupations).",
        reason="{value:.0f} exchanges of small bills for large ones in the last 90 days, outside a "
        "cash-intensive trade (peers: {peer:.0f})",
        typologies=("human_smuggling", "funnel"),
        refs=("H6", "F23"),
        unit="exchanges",
        window="90D",
        kind="count",
    ),
    requires=("observations.code", "observations.timestamp"),
)
def staff_observations(ctx: FeatureContext) -> pd.DataFrame:
    """Count the account holder's coded staff observations by family (G5, G6, G7, H6).

    Parameters
    ----------
    ctx : FeatureContext
        ``ctx.observations`` holds the account's observations up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    if ctx.observations is None:
        zero = np.zeros(ctx.n_accounts)
        return ctx.frame(
            third_party_observations_180d=zero,
            id_or_minor_observations_180d=zero,
            wellbeing_observations_180d=zero,
            denomination_exchanges_90d=zero,
        )
    exchanges = _count(ctx, _observed(ctx, (EXCHANGE_CODE,), 90))
    return ctx.frame(
        third_party_observations_180d=_count(ctx, _observed(ctx, THIRD_PARTY_CODES, 180)),
        id_or_minor_observations_180d=_count(ctx, _observed(ctx, ID_OR_MINOR_CODES, 180)),
        wellbeing_observations_180d=_count(ctx, _observed(ctx, WELLBEING_CODES, 180)),
        denomination_exchanges_90d=np.where(cash_intensive_occupation(ctx), 0.0, exchanges),
    )


def transfers_abroad(ctx: FeatureContext) -> np.ndarray:
    """Return a mask of transfers abroad.

    Wires to another country than the holder's, and debits at money-transfer businesses (MCC 4829)
    wherever the money went.
    """
    txn = ctx.transactions
    country = txn["country"].astype(object)
    home = txn["home_country"].astype(object)
    abroad = (country.notna() & home.notna() & (country != home)).to_numpy(dtype=bool)
    msb = ctx.mcc_in("money_transfer") & ~txn["is_credit"].to_numpy()
    return (outgoing_wires(ctx) & abroad) | msb


@features(
    escorted_transfers_abroad_90d=FeatureSpec(
        description="Counts wires abroad and money-transfer (MCC 4829) payments in the last 90 "
        "days within one day of a staff observation that the customer was escorted by a third "
        "party or that a companion insisted on interpreting.",
        reason="{value:.0f} transfers abroad in the last 90 days were made while escorted by a "
        "third party (peers: {peer:.0f})",
        typologies=("labour_trafficking",),
        refs=("C8", "F20", "F14"),
        unit="transfers",
        window="90D",
        kind="count",
    ),
    requires=("observations.code", "observations.timestamp", "direction", "channel"),
)
def escorted_transfers(ctx: FeatureContext) -> pd.DataFrame:
    """Count transfers abroad made within a day of an "escorted" observation (C8).

    Parameters
    ----------
    ctx : FeatureContext
        Transactions and observations of each account up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    out = np.zeros(ctx.n_accounts)
    if ctx.observations is None:
        return ctx.frame(escorted_transfers_abroad_90d=out)
    txn = ctx.transactions
    rows = np.flatnonzero(transfers_abroad(ctx) & ctx.within(90))
    obs = ctx.observations
    escorted = obs["code"].isin(ESCORT_CODES).to_numpy(dtype=bool, na_value=False)
    if not len(rows) or not escorted.any():
        return ctx.frame(escorted_transfers_abroad_90d=out)
    transfers = pd.DataFrame(
        {"acct": txn["acct"].to_numpy()[rows], "t": txn["age_days"].to_numpy()[rows], "row": rows}
    )
    seen = pd.DataFrame(
        {"acct": obs["acct"].to_numpy()[escorted], "o": obs["age_days"].to_numpy()[escorted]}
    )
    pairs = transfers.merge(seen, on="acct")
    near = pairs[(pairs["t"] - pairs["o"]).abs() <= ESCORT_TOLERANCE_DAYS]
    counted = near.drop_duplicates("row")["acct"].to_numpy()
    out = np.bincount(counted, minlength=ctx.n_accounts).astype(np.float64)
    return ctx.frame(escorted_transfers_abroad_90d=out)
