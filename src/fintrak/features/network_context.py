"""Network context: what an account's network and its neighbours look like (two-pass scoring).

A ring is seen by the company an account keeps. These features need a first-pass judgement of
every account, so they run last in the population pass:

1. **First pass.** The typology rules (:class:`fintrak.scoring.rules.RuleScorer`) score every
   account on all the features computed before this module (account-level and population). An
   account whose rule score reaches :data:`FLAGGED_RULE_SCORE` (the "review" band) is *flagged*.
2. **Network.** :func:`fintrak.network.build_network` links the bank's accounts by shared
   identifiers and money between them, using the rule scores as its ``suspicion`` (a flagged hub
   keeps its links), and gives each account a network and a role.
3. **Features.** Per account: flagged members of its network, flagged accounts sharing an
   identifier with it, the share of its inflow from likely victims, and whether it collects for
   a network holding flagged accounts.

The scoring model is trained on these features like any other, so "two-pass" costs one extra
rule evaluation, not a second model. Nothing here reads an account's own rule score: a feature
says something about the account's neighbours, never repeats the account's own verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features._columns import positions
from fintrak.features._registry import FeatureSpec, features
from fintrak.features.context import FeatureContext

__all__ = ["FLAGGED_RULE_SCORE", "INFLOW_DAYS", "network_context"]

#: First-pass rule score from which an account counts as flagged (the rules' review band).
FLAGGED_RULE_SCORE = 0.5
#: Days of credits over which the share of inflow from likely victims is measured.
INFLOW_DAYS = 90
#: Link kinds that are shared identifiers (not the same customer, not money).
_IDENTIFIER_KINDS = ("phone", "email", "address", "device")
#: The transaction columns the network step reads.
_TRANSACTION_COLUMNS = (
    "account_id",
    "timestamp",
    "amount",
    "direction",
    "channel",
    "counterparty_id",
    "device_id",
    "ip",
)


def first_pass(account_features: pd.DataFrame) -> pd.Series:
    """Return the typology rules' score of every account (NaN features fire no rule)."""
    from fintrak.scoring.rules import RuleScorer

    scorer = RuleScorer().fit()
    frame = account_features.reindex(columns=scorer.features_in_)
    return scorer.score(frame).accounts["rule_score"].reindex(frame.index).fillna(0.0)


def _canonical_view(ctx: FeatureContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    txn = ctx.transactions
    columns = [c for c in _TRANSACTION_COLUMNS if c in txn.columns]
    view = txn[columns].copy()
    for column in ("device_id", "ip"):  # normalised as text by fintrak.identifiers
        if column in view and isinstance(view[column].dtype, pd.CategoricalDtype):
            view[column] = view[column].astype("string")
    accounts = ctx.accounts.reset_index().rename(columns={"index": "account_id"})
    accounts["account_id"] = accounts["account_id"].astype("string")
    return view, accounts


@features(
    requires=("counterparty_id", "amount", "direction"),
    level="population",
    network_flagged_members=FeatureSpec(
        description=(
            "Other accounts in the account's network (linked by shared identifiers, the same "
            "customer or money between them) that the typology rules flag on their own."
        ),
        reason="{value:.0f} other accounts in its network are flagged by the typology rules",
        typologies=("sex_trafficking", "labour_trafficking", "funnel", "human_smuggling"),
        refs=("J1", "J2", "F20", "FT16"),
        unit="accounts",
        window=None,
        kind="count",
    ),
    shared_identifier_flagged_accounts=FeatureSpec(
        description=(
            "Distinct flagged accounts of other customers that share a phone number, e-mail "
            "address, address or device with the account."
        ),
        reason="shares a phone, e-mail, address or device with {value:.0f} flagged accounts",
        typologies=("sex_trafficking", "labour_trafficking", "funnel", "human_smuggling"),
        refs=("J1", "G3", "F20", "F14"),
        unit="accounts",
        window=None,
        kind="count",
    ),
    inflow_share_from_likely_victims_90d=FeatureSpec(
        description=(
            "Share of the money credited to the account in 90 days that comes from the bank's "
            "own accounts the network step sees as likely victims (accounts passing most of "
            "their inflow to a collector in a network holding flagged accounts)."
        ),
        reason="{value:.0%} of its inflow in 90 days comes from likely victims' accounts",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("J2", "A7", "F20", "F26"),
        unit="share",
        window="90D",
        kind="share",
    ),
    collector_in_flagged_network=FeatureSpec(
        description=(
            "1 if the account collects money from several members of a network that holds "
            "flagged accounts (the network step's controller role), else 0."
        ),
        reason="collects from the members of a network holding flagged accounts ({value:.0f})",
        typologies=("sex_trafficking", "labour_trafficking", "funnel"),
        refs=("J2", "F20", "FT16"),
        unit="flag",
        window=None,
        kind="flag",
    ),
)
def network_context(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Network context of every account from a first pass of the typology rules.

    Parameters
    ----------
    ctx : FeatureContext
        Prepared transactions and accounts.
    account_features : pandas.DataFrame
        Every feature computed before this calculator, one row per account.

    Returns
    -------
    pandas.DataFrame
        ``network_flagged_members``, ``shared_identifier_flagged_accounts``,
        ``inflow_share_from_likely_victims_90d`` and ``collector_in_flagged_network``.
    """
    from fintrak.network import build_network

    ids = ctx.account_ids.astype("string")
    rule_score = first_pass(account_features).reindex(ids).fillna(0.0)
    flagged = rule_score.to_numpy() >= FLAGGED_RULE_SCORE
    transactions, accounts = _canonical_view(ctx)
    result = build_network(transactions, accounts, suspicion=rule_score)
    nets = result.networks.set_index("account_id").reindex(ids)

    network = nets["network_id"].astype("string")
    flagged_series = pd.Series(flagged.astype(np.int64), index=ids)
    per_network = flagged_series.groupby(network.to_numpy(), dropna=True).sum()
    in_network = network.map(per_network).fillna(0).to_numpy(dtype=np.float64)
    members_flagged = np.where(network.notna().to_numpy(), in_network - flagged, 0.0)

    shared = _flagged_identifier_neighbours(result.links, ids, flagged)
    hot = network.map(per_network).fillna(0).to_numpy() > 0
    role = nets["role"].astype("string").fillna("other").to_numpy()
    victim = (role == "victim") & hot
    collector = ((role == "controller") & hot).astype(np.float64)
    inflow = _inflow_share_from(ctx, victim)
    return ctx.frame(
        network_flagged_members=members_flagged,
        shared_identifier_flagged_accounts=shared,
        inflow_share_from_likely_victims_90d=inflow,
        collector_in_flagged_network=collector,
    )


def _flagged_identifier_neighbours(
    links: pd.DataFrame, ids: pd.Index, flagged: np.ndarray
) -> np.ndarray:
    """Distinct flagged accounts sharing an identifier with each account."""
    shared = links[links["kind"].isin(_IDENTIFIER_KINDS)]
    a = ids.get_indexer(shared["account_a"].astype("string"))
    b = ids.get_indexer(shared["account_b"].astype("string"))
    ok = (a >= 0) & (b >= 0)
    a, b = a[ok], b[ok]
    pairs = np.unique(np.concatenate([np.stack([a, b], 1), np.stack([b, a], 1)]), axis=0)
    if len(pairs) == 0:
        return np.zeros(len(ids))
    hit = flagged[pairs[:, 1]]
    return np.bincount(pairs[hit, 0], minlength=len(ids)).astype(np.float64)


def _inflow_share_from(ctx: FeatureContext, sender_is_victim: np.ndarray) -> np.ndarray:
    """Share of each account's credits in :data:`INFLOW_DAYS` days sent by a likely victim."""
    txn = ctx.transactions
    credit = txn["is_credit"].to_numpy() & ctx.within(INFLOW_DAYS)
    sender = positions(ctx.account_ids, txn["counterparty_id"])
    from_victim = credit & (sender >= 0) & np.append(sender_is_victim, False)[sender]
    amount = txn["amount"].to_numpy(dtype=np.float64)
    return ctx.share(ctx.total(amount, from_victim), ctx.total(amount, credit))
