"""Money that arrives in a victim's name and leaves for someone else (rows C3, G4 and G8).

- F20 §I.2 (C3, worker side): victims' salaries passed to traffickers by teller check or wire.
  Here: after a payroll credit (the rule of :func:`fintrak.features.labour.payroll_credits`), a
  wire or a teller, official or cashier's check purchase (by its descriptor; a personal check the
  holder writes, e.g. for rent, does not count) to the same counterparty, on two or more pay
  cycles. The employer side (vendor payments disguised as business expenses) needs vendor KYC
  and is not computed.
- EUR15 (G4): the trafficker is custodian of victims' benefit accounts and takes the benefits.
  Here: government-benefit credits (``benefit_agencies`` list) sent on to one counterparty, and
  how many benefit recipients send theirs to the same counterparty (population).
- POL (G8): traffickers use victims' accounts and credit, opening lines of credit in their names.
  Here: loan, credit-line or cash-advance credits (``loan_descriptors``) taken out in cash or sent
  by P2P within 48 hours.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features._flows import hours_since_last
from fintrak.features._registry import FeatureSpec, features
from fintrak.features.alt_payments import descriptor_hits
from fintrak.features.context import FeatureContext
from fintrak.features.geography import column_codes
from fintrak.features.labour import payroll_credits

__all__ = [
    "BENEFIT_FORWARD_HOURS",
    "CYCLE_DAYS",
    "LOAN_OUT_HOURS",
    "benefit_custody",
    "benefit_forwarding",
    "benefit_forwards",
    "loan_cash_out",
    "wage_checks_wires",
]

#: C3 (inferred): a check or wire counts when made within this many days of a payroll credit.
CYCLE_DAYS = 7.0
#: G4 (inferred): benefits passed on within this many hours.
BENEFIT_FORWARD_HOURS = 72.0
#: G8 (catalogue ``credit_draw_then_cash_or_p2p_out_48h``).
LOAN_OUT_HOURS = 48.0
_OUT_CHANNELS = ("atm", "cash", "p2p")


def _pair_totals(
    ctx: FeatureContext, rows: np.ndarray, values: np.ndarray, keys: np.ndarray
) -> pd.DataFrame:
    """Per (account, key) sum of ``values`` over ``rows`` with a known key (columns a, k, v)."""
    keep = rows & (keys >= 0)
    return (
        pd.DataFrame(
            {"a": ctx.transactions["acct"].to_numpy()[keep], "k": keys[keep], "v": values[keep]}
        )
        .groupby(["a", "k"], sort=False, as_index=False)["v"]
        .sum()
    )


@features(
    wage_check_wire_cycles_90d=FeatureSpec(
        description="The largest number of pay cycles in the last 90 days after which the account "
        "sent a wire or bought a teller, official or cashier's check to the same counterparty "
        "within 7 days of the payroll credit (a cycle runs from one payroll credit to the next).",
        reason="after {value:.0f} paydays in the last 90 days, a wire or teller check went to the "
        "same payee (peers: {peer:.0f})",
        typologies=("labour_trafficking",),
        refs=("C3", "F20"),
        unit="pay cycles",
        window="90D",
        kind="count",
    ),
    wage_checks_wires_90d=FeatureSpec(
        description="Counts wires and teller, official or cashier's checks sent within 7 days "
        "after a payroll credit in the last 90 days.",
        reason="{value:.0f} wires or teller checks sent within a week of payday in the last 90 "
        "days (peers: {peer:.0f})",
        typologies=("labour_trafficking",),
        refs=("C3", "F20"),
        unit="payments",
        window="90D",
        kind="count",
    ),
    requires=("cp_key", "channel", "direction", "amount"),
)
def wage_checks_wires(ctx: FeatureContext) -> pd.DataFrame:
    """Wires and teller checks to one payee after payday, cycle after cycle (C3).

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
    payroll = payroll_credits(ctx) & ctx.within(90)
    debit = ~txn["is_credit"].to_numpy()
    # a teller check is bought from the bank (its descriptor), not a personal check written
    check = descriptor_hits(ctx, "official_check_words", txn["counterparty_name"])
    wire = (txn["channel"] == "wire").to_numpy(dtype=bool)
    since = hours_since_last(ctx, payroll, strict=False)
    with np.errstate(invalid="ignore"):
        after = debit & (check | wire) & ~payroll & (since <= CYCLE_DAYS * 24.0)
    # the cycle of a row is the number of payroll credits of its account up to it
    cycle = pd.Series(payroll.astype(np.int64)).groupby(txn["acct"].to_numpy()).cumsum()
    codes = column_codes(ctx, "cp_key")
    keep = after & (codes >= 0)
    top = np.zeros(ctx.n_accounts)
    if keep.any():
        cycles = (
            pd.DataFrame(
                {
                    "a": txn["acct"].to_numpy()[keep],
                    "k": codes[keep],
                    "c": cycle.to_numpy()[keep],
                }
            )
            .drop_duplicates()
            .groupby(["a", "k"], sort=False)
            .size()
        )
        best = cycles.groupby(level="a").max()
        top[best.index.to_numpy()] = best.to_numpy()
    return ctx.frame(wage_check_wire_cycles_90d=top, wage_checks_wires_90d=ctx.count(after))


def benefit_forwards(ctx: FeatureContext) -> tuple[np.ndarray, pd.DataFrame]:
    """Find benefit credits and the debits passing them on to a counterparty within 72 hours.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of`` (the last 90 days are used).

    Returns
    -------
    benefits : numpy.ndarray of bool
        Benefit credits (ACH credits from a benefit agency) in the last 90 days.
    pairs : pandas.DataFrame
        Columns ``a`` (account position), ``k`` (counterparty code), ``v`` (amount passed on).
    """
    txn = ctx.transactions
    window = ctx.within(90)
    ach_credit = txn["is_credit"].to_numpy() & (txn["channel"] == "ach").to_numpy(dtype=bool)
    benefits = (
        ach_credit & window & descriptor_hits(ctx, "benefit_agencies", txn["counterparty_name"])
    )
    since = hours_since_last(ctx, benefits, strict=False)
    with np.errstate(invalid="ignore"):
        passed = (
            ~txn["is_credit"].to_numpy()
            & (txn["channel"] != "card").to_numpy(dtype=bool)
            & window
            & (since <= BENEFIT_FORWARD_HOURS)
        )
    amount = txn["amount"].to_numpy(dtype=np.float64)
    return benefits, _pair_totals(ctx, passed, amount, column_codes(ctx, "cp_key"))


@features(
    benefit_forward_top_ratio_90d=FeatureSpec(
        description="Amount sent to the single largest counterparty (non-card debits) within 72 "
        "hours after government-benefit credits, divided by those credits' total, in the last 90 "
        "days; capped at 1. NaN without a benefit credit.",
        reason="{value:.0%} of government benefits received in the last 90 days went to one "
        "counterparty within 72 hours (peers: {peer:.0%})",
        typologies=("labour_trafficking", "sex_trafficking"),
        refs=("G4", "EUR15"),
        unit="share of benefits",
        window="90D",
        kind="ratio",
    ),
    requires=("cp_key", "channel", "direction", "amount", "counterparty_name"),
)
def benefit_forwarding(ctx: FeatureContext) -> pd.DataFrame:
    """Benefits passed on to one counterparty (G4, account side).

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    benefits, pairs = benefit_forwards(ctx)
    amount = ctx.transactions["amount"].to_numpy(dtype=np.float64)
    top = np.zeros(ctx.n_accounts)
    if len(pairs):
        best = pairs.groupby("a")["v"].max()
        top[best.index.to_numpy()] = best.to_numpy()
    ratio = ctx.share(top, ctx.total(amount, benefits))
    return ctx.frame(benefit_forward_top_ratio_90d=np.minimum(ratio, 1.0))


@features(
    benefit_recipients_sharing_controller_90d=FeatureSpec(
        description="The largest number of other accounts that, in the last 90 days, also passed "
        "government benefits on within 72 hours to a counterparty this account passed its "
        "benefits to (a custodian collecting several recipients' benefits).",
        reason="a counterparty receiving this account's benefits also received benefits from "
        "{value:.0f} other accounts in the last 90 days (peers: {peer:.0f})",
        typologies=("labour_trafficking", "sex_trafficking"),
        refs=("G4", "EUR15"),
        unit="accounts",
        window="90D",
        kind="count",
    ),
    level="population",
    requires=("cp_key", "channel", "direction", "amount", "counterparty_name"),
)
def benefit_custody(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Count other benefit recipients forwarding to the same counterparty (G4, network side).

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of`` (all accounts).
    account_features : pandas.DataFrame
        Account-level features (unused).

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    _, pairs = benefit_forwards(ctx)
    out = np.zeros(ctx.n_accounts)
    if len(pairs):
        others = pairs.groupby("k")["a"].transform("size").to_numpy() - 1
        best = pd.Series(others).groupby(pairs["a"].to_numpy()).max()
        out[best.index.to_numpy()] = best.to_numpy()
    return ctx.frame(benefit_recipients_sharing_controller_90d=out)


@features(
    loan_draws_90d=FeatureSpec(
        description="Counts loan, credit-line or cash-advance disbursements credited in the last "
        "90 days (counterparty name matches the loan descriptor list).",
        reason="{value:.0f} loan or credit-line draws in the last 90 days (peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("G8", "POL"),
        unit="draws",
        window="90D",
        kind="count",
    ),
    loan_cash_p2p_out_ratio_90d=FeatureSpec(
        description="Cash, ATM and P2P debits made within 48 hours after a loan or credit-line "
        "draw, divided by the draws' total, in the last 90 days; capped at 1. NaN without a "
        "draw.",
        reason="{value:.0%} of credit drawn in the last 90 days was taken out in cash or sent by "
        "P2P within 48 hours (peers: {peer:.0%})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("G8", "POL"),
        unit="share of draws",
        window="90D",
        kind="ratio",
    ),
    requires=("channel", "direction", "amount", "counterparty_name"),
)
def loan_cash_out(ctx: FeatureContext) -> pd.DataFrame:
    """Loan and credit draws taken out in cash or by P2P within 48 hours (G8).

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
    credit = txn["is_credit"].to_numpy()
    draws = credit & window & descriptor_hits(ctx, "loan_descriptors", txn["counterparty_name"])
    since = hours_since_last(ctx, draws, strict=False)
    with np.errstate(invalid="ignore"):
        out = (
            ~credit
            & txn["channel"].isin(_OUT_CHANNELS).to_numpy(dtype=bool)
            & window
            & (since <= LOAN_OUT_HOURS)
        )
    amount = txn["amount"].to_numpy(dtype=np.float64)
    ratio = ctx.share(ctx.total(amount, out), ctx.total(amount, draws))
    return ctx.frame(
        loan_draws_90d=ctx.count(draws), loan_cash_p2p_out_ratio_90d=np.minimum(ratio, 1.0)
    )
