"""Score a bank: validated tables in, ranked and explained alerts out.

This is the one path shared by ``fintrak score``, ``fintrak demo`` and :func:`fintrak.score`:
features (per account, then population, then the network context from a first pass of the
rules) -> typology rules -> LightGBM model -> combined score -> alerts with SHAP reasons and the
rule bands that fired -> the network step again with the final scores, for ``networks.parquet``.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fintrak.alerting import RealertRule, active_suppressions, held_back_by_history
from fintrak.drift import MIN_VALUES, PSI_WARNING, population_stability
from fintrak.explain import explain, typology_evidence
from fintrak.features.builder import FeatureResult, build_features
from fintrak.intel import MATCH_COLUMNS, evidence_records, intel_match_counts, match_intel
from fintrak.io.atomic import write_parquet_atomic, write_text_atomic
from fintrak.io.jsonlines import json_lines, jsonable
from fintrak.network import LINK_COLUMNS, NETWORK_COLUMNS, build_network
from fintrak.network.cases import build_cases, cases_jsonl
from fintrak.network.establishments import rank_establishments
from fintrak.scoring.combine import DEFAULT_WEIGHTS, combined_score
from fintrak.scoring.model import ModelBundle, load_model
from fintrak.scoring.rules import RuleScorer, role_hypothesis

__all__ = ["ScoreResult", "score", "score_tables", "write_scores"]

logger = logging.getLogger(__name__)

SCORE_COLUMNS = (
    "account_id",
    "score",
    "rule_score",
    "model_score",
    "typology",
    "alert",
    "intel_matches",
)
#: Columns of ``held_back.parquet``: accounts that reached the threshold but raised no alert.
HELD_BACK_COLUMNS = ("account_id", "score", "typology", "held_by", "reason")
#: Positive model evidence (log-odds) needed to name a typology when no rule fired.
TYPOLOGY_EVIDENCE_MIN = 0.5


@dataclass
class ScoreResult:
    """Everything one scoring run produces.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per account: ``account_id, score, rule_score, model_score, typology, alert,
        intel_matches``, ranked by ``score`` (the ranking to work from).
    alerts : pandas.DataFrame
        One row per alert, with ``reasons`` and ``rule_hits`` as lists of dicts (as in
        ``alerts.jsonl``).
    explanations : pandas.DataFrame
        The SHAP reasons of every alerted account, one row per reason.
    rule_hits : pandas.DataFrame
        Every typology band that fired, for every account.
    features : pandas.DataFrame
        The feature matrix (one row per account).
    manifest : dict
        Facts about the run (as-of, model version, skipped features, counts, timings).
    networks : pandas.DataFrame
        One row per account: ``account_id, network_id, network_size, role`` (see
        ``docs/networks.md``), from the network step run with the final scores.
    links : pandas.DataFrame
        The links between accounts behind the networks (no raw identifier values).
    cases : list of dict
        One case per suspicious network (``cases.jsonl``; see ``docs/cases.md``).
    establishments : pandas.DataFrame
        Merchants and payees ranked by their exposure to suspicious accounts.
    held_back : pandas.DataFrame
        Accounts that reached the alert threshold but raised no alert (:data:`HELD_BACK_COLUMNS`):
        ``held_by`` is ``suppression`` (on the bank's suppression list) or ``history`` (alerted
        recently and its risk has not risen materially; see ``docs/alert-history.md``).
    """

    scores: pd.DataFrame
    alerts: pd.DataFrame
    explanations: pd.DataFrame
    rule_hits: pd.DataFrame
    features: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    networks: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NETWORK_COLUMNS))
    links: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LINK_COLUMNS))
    cases: list[dict[str, Any]] = field(default_factory=list)
    establishments: pd.DataFrame = field(default_factory=pd.DataFrame)
    held_back: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(HELD_BACK_COLUMNS))
    )


def _alert_id(account: str, typology: str | None, as_of: str, version: str) -> str:
    key = "|".join([account, typology or "", as_of, version])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def score_tables(
    tables: dict[str, pd.DataFrame],
    *,
    model: ModelBundle | str | os.PathLike[str] | None = None,
    as_of: str | pd.Timestamp | None = None,
    features: FeatureResult | None = None,
    suppression: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    realert: RealertRule | None = None,
) -> ScoreResult:
    """Score validated canonical tables.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        ``transactions`` and optionally ``accounts``, ``intel`` and ``observations`` (as from
        :func:`fintrak.validation.validate`).
    model : ModelBundle or path-like, optional
        A model folder (``fintrak train --out``); default the shipped model.
    as_of : str or Timestamp, optional
        ``YYYY-MM-DD`` (through the end of that day, UTC); default the last transaction.
    features : FeatureResult, optional
        Precomputed features (must match ``as_of``).
    suppression : pandas.DataFrame, optional
        The bank's suppression list (:func:`fintrak.alerting.read_suppression`): listed
        accounts are scored but raise no alert and are not suspicious in the network step.
    history : pandas.DataFrame, optional
        The alert history (:func:`fintrak.alerting.read_history`): an account alerted recently
        for the same typology is held back unless its risk rose materially.
    realert : RealertRule, optional
        The re-alert rule applied with ``history`` (default: 90 days, odds doubled).

    Returns
    -------
    ScoreResult
    """
    bundle = model if isinstance(model, ModelBundle) else load_model(model)
    if features is None:
        features = build_features(
            tables["transactions"],
            tables.get("accounts"),
            tables.get("intel"),
            as_of=as_of,
            observations=tables.get("observations"),
        )
    X = features.features
    rules = RuleScorer().fit().score(X)
    per_account = rules.accounts.reindex(X.index)
    model_score = bundle.predict(X)
    weights = bundle.config.get("weights", DEFAULT_WEIGHTS)
    combined = combined_score(model_score, per_account["rule_score"].to_numpy(), weights)
    threshold = float(bundle.config["alert_threshold"])

    evidence = typology_evidence(bundle, X)
    best = evidence.idxmax(axis=1)
    strong = evidence.max(axis=1) >= TYPOLOGY_EVIDENCE_MIN
    typology = per_account["rule_typology"].astype("object")
    typology = typology.where(typology.notna(), best.where(strong))
    as_of_text = features.notes.get("as_of", "")
    transactions = _up_to(tables["transactions"], as_of_text)
    matches = _intel_matches(transactions, tables.get("accounts"), tables.get("intel"), as_of_text)
    intel = intel_match_counts(matches, X.index)

    scores = pd.DataFrame(
        {
            "account_id": X.index.astype("string"),
            "score": combined,
            "rule_score": per_account["rule_score"].fillna(0.0).to_numpy(),
            "model_score": model_score,
            "typology": pd.array(typology.to_numpy(), dtype="string"),
            "alert": combined >= threshold,
            "intel_matches": intel.to_numpy(dtype="int64"),
        }
    )
    scores = scores.sort_values(["score", "account_id"], ascending=[False, True], kind="stable")
    scores = scores.reset_index(drop=True)
    suppressed = active_suppressions(suppression, as_of_text or None)
    held_back = _held_back(scores, suppressed, history, as_of_text, realert)
    scores.loc[scores["account_id"].isin(held_back["account_id"]), "alert"] = False

    alerted = pd.Index(scores.loc[scores["alert"], "account_id"].astype(str), name="account_id")
    peer_group = None
    accounts = tables.get("accounts")
    if accounts is not None and "account_type" in accounts:
        peer_group = accounts.set_index("account_id")["account_type"]
    reasons = explain(bundle, X, alerted, peer_group=peer_group, window_end=features.window_end)
    alerts = _alerts(scores, alerted, reasons, rules.hits, bundle.version, as_of_text)
    alerts["intel_evidence"] = [evidence_records(matches, a) for a in alerts["account_id"]]
    manifest = {
        "as_of": as_of_text,
        "model_version": bundle.version,
        # The SHAP base value (log-odds before any feature's contribution), for waterfalls.
        "model_base_log_odds": _base_log_odds(bundle, X),
        "alert_threshold": threshold,
        "weights": weights,
        "accounts_scored": int(len(scores)),
        "alerts": int(len(alerts)),
        "features_skipped": features.skipped,
        "feature_notes": {k: v for k, v in features.notes.items() if k != "timings_seconds"},
        "feature_timings_seconds": features.notes.get("timings_seconds", {}),
    }
    suspicion = scores.set_index("account_id")["score"]
    # a suppressed account (a shelter, a reviewed hub) does not tie its contacts into a ring
    suspicion = suspicion.where(~suspicion.index.isin(suppressed.index), 0.0)
    network = build_network(transactions, accounts, suspicion=suspicion)
    cases = build_cases(
        network.networks,
        network.links,
        scores,
        alerts,
        as_of=as_of_text,
        model_version=bundle.version,
    )
    alerts = _with_cases(alerts, network.networks, cases)
    establishments = rank_establishments(transactions, scores, as_of=as_of_text or None)
    manifest["drift"] = _drift(bundle, X)
    manifest["network"] = network.notes
    manifest["cases"] = len(cases)
    manifest["establishments_listed"] = int(len(establishments))
    manifest["held_back"] = {
        "suppression": int((held_back["held_by"] == "suppression").sum()),
        "history": int((held_back["held_by"] == "history").sum()),
        "suppression_list_entries": 0 if suppression is None else int(len(suppression)),
        "history_entries": 0 if history is None else int(len(history)),
    }
    return ScoreResult(
        scores,
        alerts,
        reasons,
        rules.hits,
        X,
        manifest,
        networks=network.networks,
        links=network.links,
        cases=cases,
        establishments=establishments,
        held_back=held_back,
    )


def _drift(bundle: ModelBundle, features: pd.DataFrame) -> dict[str, Any]:
    """Return the population stability of the model's main features against its training."""
    reference = bundle.config.get("drift_reference")
    if not reference:
        return {"checked": False, "why": "the model folder holds no drift reference"}
    table = population_stability(reference, features)
    psi = table["psi"].dropna()
    judged = psi[table.loc[psi.index, "values"] >= MIN_VALUES]
    shifted = sorted(judged.index[judged > PSI_WARNING])
    if shifted:
        logger.warning(
            "population stability index above %s for %d of the model's main features: %s",
            PSI_WARNING,
            len(shifted),
            ", ".join(shifted),
        )
    return {
        "checked": True,
        "warning_above": PSI_WARNING,
        "min_values": MIN_VALUES,
        "max_psi": float(judged.max()) if len(judged) else 0.0,
        "shifted_features": shifted,
        "psi": {k: float(v) for k, v in psi.items()},
        "too_few_values": sorted(set(psi.index) - set(judged.index)),
        "not_computed": sorted(set(table.index) - set(psi.index)),
        "missing_share": {
            k: {"training": float(r.missing_share_training), "now": float(r.missing_share_now)}
            for k, r in table.iterrows()
        },
    }


def _held_back(
    scores: pd.DataFrame,
    suppressed: pd.Series,
    history: pd.DataFrame | None,
    as_of: str,
    realert: RealertRule | None,
) -> pd.DataFrame:
    """Accounts that reach the threshold but raise no alert: suppressed first, then repeats."""
    reached = scores.loc[scores["alert"]]
    ids = reached["account_id"].astype(str)
    by_list = reached.loc[ids.isin(suppressed.index).to_numpy()]
    rest = reached.loc[~ids.isin(suppressed.index).to_numpy()]
    repeats = held_back_by_history(rest, history, as_of, realert)
    by_history = rest.loc[rest["account_id"].astype(str).isin(repeats.index).to_numpy()]
    parts = [
        by_list.assign(
            held_by="suppression",
            reason=[f"on the suppression list: {suppressed[a]}" for a in by_list["account_id"]],
        ),
        by_history.assign(
            held_by="history", reason=[repeats[a] for a in by_history["account_id"].astype(str)]
        ),
    ]
    out = pd.concat(parts, ignore_index=True)[list(HELD_BACK_COLUMNS)]
    out["held_by"] = out["held_by"].astype("string")
    out["reason"] = out["reason"].astype("string")
    out = out.sort_values(["score", "account_id"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


def _intel_matches(
    transactions: pd.DataFrame,
    accounts: pd.DataFrame | None,
    intel: pd.DataFrame | None,
    as_of: str,
) -> pd.DataFrame:
    """Intelligence matched against the bank's data (empty without an intel table)."""
    if intel is None or len(intel) == 0:
        return pd.DataFrame(columns=list(MATCH_COLUMNS))
    return match_intel(transactions, accounts, intel, as_of=as_of or None)


def _with_cases(
    alerts: pd.DataFrame, networks: pd.DataFrame, cases: list[dict[str, Any]]
) -> pd.DataFrame:
    """Add each alert's network, its role there and the case holding it."""
    case_of = {m["account_id"]: c["case_id"] for c in cases for m in c["members"]}
    by_account = networks.set_index("account_id")
    ids = alerts["account_id"].astype(str)
    out = alerts.copy()
    out["network_id"] = [
        by_account["network_id"].get(a) if a in by_account.index else None for a in ids
    ]
    out["network_role"] = [
        by_account["role"].get(a) if a in by_account.index else None for a in ids
    ]
    out["case_id"] = [case_of.get(a) for a in ids]
    return out


def _up_to(transactions: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """Return the transactions up to the run's as-of (the network step never reads later)."""
    if not as_of:
        return transactions
    keep = transactions["timestamp"] <= pd.Timestamp(as_of)
    return transactions if bool(keep.all()) else transactions.loc[keep]


def _alerts(
    scores: pd.DataFrame,
    alerted: pd.Index,
    reasons: pd.DataFrame,
    hits: pd.DataFrame,
    version: str,
    as_of: str,
) -> pd.DataFrame:
    by_account = scores.set_index("account_id")
    roles = role_hypothesis(hits)
    rows = []
    reason_groups = dict(tuple(reasons.groupby("account_id", sort=False))) if len(reasons) else {}
    hit_groups = dict(tuple(hits.groupby("account_id", sort=False))) if len(hits) else {}
    for account in alerted:
        row = by_account.loc[account]
        typology = None if pd.isna(row["typology"]) else str(row["typology"])
        account_reasons = reason_groups.get(account, reasons.iloc[0:0])
        account_hits = hit_groups.get(account, hits.iloc[0:0])
        rows.append(
            {
                "alert_id": _alert_id(account, typology, as_of, version),
                "account_id": account,
                "score": float(row["score"]),
                "typology": typology,
                "role_hypothesis": str(roles.get(account, "unknown")),
                "reasons": [
                    {
                        "feature": r.feature,
                        "value": jsonable(r.value),
                        "contribution": jsonable(r.contribution),
                        "text": r.text,
                    }
                    for r in account_reasons.itertuples()
                ],
                "rule_hits": [
                    {
                        "typology": h.typology,
                        "typology_version": h.typology_version,
                        "indicator": h.indicator,
                        "points": jsonable(h.points),
                        "reason": h.reason,
                        "source": h.source,
                    }
                    for h in account_hits.itertuples()
                ],
                "model_version": version,
                "as_of": as_of,
            }
        )
    columns = [
        "alert_id",
        "account_id",
        "score",
        "typology",
        "role_hypothesis",
        "reasons",
        "rule_hits",
        "model_version",
        "as_of",
    ]
    return pd.DataFrame(rows, columns=columns)


def alerts_jsonl(alerts: pd.DataFrame) -> str:
    """Render alerts as JSON Lines: one object per alert, keys sorted, floats rounded."""
    return json_lines(alerts.to_dict(orient="records"))


def _base_log_odds(bundle: ModelBundle, features: pd.DataFrame) -> float | None:
    """Return the model's SHAP base value in log-odds (the same for every account)."""
    if features.empty:
        return None
    return round(float(bundle.contributions(features.iloc[:1])[0, -1]), 6)


def write_scores(result: ScoreResult, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write the scoring outputs into ``out_dir``, each atomically.

    The files are ``scores.parquet``, ``alerts.jsonl``, ``explanations.parquet``,
    ``rule_hits.parquet``, ``networks.parquet``, ``cases.jsonl``, ``establishments.parquet``
    and ``held_back.parquet``.
    """
    out = Path(out_dir)
    return {
        "networks": write_parquet_atomic(out / "networks.parquet", result.networks),
        "cases": write_text_atomic(out / "cases.jsonl", cases_jsonl(result.cases)),
        "establishments": write_parquet_atomic(
            out / "establishments.parquet", result.establishments
        ),
        "scores": write_parquet_atomic(out / "scores.parquet", result.scores),
        "alerts": write_text_atomic(out / "alerts.jsonl", alerts_jsonl(result.alerts)),
        "explanations": write_parquet_atomic(out / "explanations.parquet", result.explanations),
        "rule_hits": write_parquet_atomic(out / "rule_hits.parquet", result.rule_hits),
        "held_back": write_parquet_atomic(out / "held_back.parquet", result.held_back),
    }


def score(
    transactions: Any,
    accounts: Any = None,
    intel: Any = None,
    model: ModelBundle | str | os.PathLike[str] | None = None,
    as_of: str | pd.Timestamp | None = None,
    *,
    column_map: Any = None,
    observations: Any = None,
) -> ScoreResult:
    """Validate and score a bank's extract (for notebooks).

    Parameters
    ----------
    transactions : path-like or pandas.DataFrame
        Transactions (CSV/Parquet path or a frame in the canonical layout or the column map's).
    accounts, intel : path-like or pandas.DataFrame, optional
        The other tables.
    model : path-like or ModelBundle, optional
        A model folder; default the shipped model.
    as_of : str, optional
        ``YYYY-MM-DD``; default the last transaction.
    column_map : path-like, optional
        Column map for other layouts.
    observations : path-like or pandas.DataFrame, optional
        Staff-observed behaviour codes; features that need them are skipped without.

    Returns
    -------
    ScoreResult
        ``.scores``, ``.alerts`` and ``.explanations`` DataFrames (and the features and rule hits).
        Rejected input rows are in ``.manifest["validation"]``.

    Examples
    --------
    >>> from fintrak.synth import SynthConfig, generate
    >>> bank = generate(SynthConfig(n_accounts=300, months=2, seed=1))
    >>> result = score(bank.transactions, bank.accounts, bank.intel)
    >>> list(result.scores.columns)[:3]
    ['account_id', 'score', 'rule_score']
    """
    from fintrak.validation import validate

    validated = validate(
        transactions, accounts, intel, column_map=column_map, observations=observations
    )
    validated.raise_if_unusable()
    result = score_tables(validated.tables, model=model, as_of=as_of)
    result.manifest["validation"] = {
        k: validated.manifest[k] for k in ("rows_read", "rows_accepted", "rows_rejected")
    }
    return result
