"""Network cases: one case per suspicious network, so an investigator opens one case per ring.

A network (from :func:`fintrak.network.build_network`) becomes a case when

* at least one member is alerted (``scores.alert``, or the account has a row in ``alerts``); or
* at least :data:`MIN_SUSPICIOUS_MEMBERS` (2) members score ``min_score`` or more, even though
  none reached the alert threshold (the members' combined evidence). ``min_score`` defaults to
  :data:`DEFAULT_MIN_SCORE`, the first-pass suspicion level of the network step (0.5).

An alerted account that no network holds is a case of its own (``network_id`` null).

A case lists its members with their roles and scores, the links between members (kind, weight,
count and money; never an identifier's value), and the evidence an investigator reads first:
counts of link kinds, the money moved inside the network, the members with intelligence matches
and the top reasons of the top alerted member, with that member's ``alert_id`` to open the full
alert. ``case_id`` is a hash of the network id, the as-of and the model version: the same run gives
the same ids whatever the input row order. Cases are ordered by score (the highest member score),
then ``case_id``; ``priority`` is the 1-based position in that order.

See ``docs/cases.md`` for the record in plain words.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from fintrak.io.jsonlines import json_lines

__all__ = [
    "DEFAULT_MIN_SCORE",
    "MIN_SUSPICIOUS_MEMBERS",
    "TOP_REASONS",
    "build_cases",
    "case_id",
    "cases_jsonl",
]

#: Score from which a member counts as suspicious without an alert (the network step's
#: ``LinkSettings.suspicion_threshold``).
DEFAULT_MIN_SCORE = 0.5
#: Members at or above ``min_score`` that make a network without alerts a case.
MIN_SUSPICIOUS_MEMBERS = 2
#: Reasons of the top member copied into a case's evidence.
TOP_REASONS = 3


def case_id(network_id: str | None, account_id: str, as_of: str, model_version: str) -> str:
    """Return the stable id of a case.

    Parameters
    ----------
    network_id : str or None
        The network's id; None for an alerted account outside every network.
    account_id : str
        The top member (only used when ``network_id`` is None).
    as_of, model_version : str
        The run's as-of and model version.

    Returns
    -------
    str
        ``case-`` plus 20 hex digits of SHA-256.

    Examples
    --------
    >>> case_id("net-1", "a", "2025-06-30", "m1") == case_id("net-1", "b", "2025-06-30", "m1")
    True
    >>> case_id("net-1", "a", "2025-06-30", "m1")[:5]
    'case-'
    """
    key = network_id if network_id is not None else f"account:{account_id}"
    text = "|".join([key, as_of, model_version])
    return "case-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _as_text(value: str | pd.Timestamp) -> str:
    return value.isoformat() if isinstance(value, pd.Timestamp) else str(value)


def _members(networks: pd.DataFrame, scores: pd.DataFrame, alerts: pd.DataFrame) -> pd.DataFrame:
    """One row per account: network, role, score, typology, alert flag, alert_id, intel."""
    net = networks[["account_id", "network_id", "role"]].astype({"account_id": str})
    net = net.drop_duplicates("account_id")
    cols = ["account_id", "score", "typology", "alert", "intel_matches"]
    sc = scores[[c for c in cols if c in scores]].astype({"account_id": str})
    sc = sc.sort_values(["account_id", "score"], ascending=[True, False], kind="stable")
    sc = sc.drop_duplicates("account_id")
    al = alerts[["account_id", "alert_id"]].astype({"account_id": str, "alert_id": str})
    al = al.sort_values(["account_id", "alert_id"], kind="stable").drop_duplicates("account_id")
    out = net.merge(sc, on="account_id", how="outer").merge(al, on="account_id", how="outer")
    out["score"] = pd.to_numeric(out["score"], errors="coerce").astype("float64")
    flag = out["alert"] if "alert" in out else pd.Series(False, index=out.index)
    out["alert"] = flag.fillna(False).astype(bool) | out["alert_id"].notna()
    if "intel_matches" not in out:
        out["intel_matches"] = 0
    out["intel_matches"] = out["intel_matches"].fillna(0).astype("int64")
    if "typology" not in out:
        out["typology"] = None
    return out.sort_values("account_id", kind="stable").reset_index(drop=True)


def _case_groups(members: pd.DataFrame, min_score: float) -> pd.Series:
    """Group key of every member of a case (index as ``members``); why each group is a case."""
    key = members["network_id"].astype("object")
    loner = key.isna()
    key = key.where(~loner, "account:" + members["account_id"])
    suspicious = members["score"].ge(min_score).fillna(False)
    per = pd.DataFrame({"key": key, "alert": members["alert"], "suspicious": suspicious})
    agg = per.groupby("key", sort=True).agg(alert=("alert", "any"), n=("suspicious", "sum"))
    trigger = pd.Series(None, index=agg.index, dtype="object")
    trigger[agg["n"] >= MIN_SUSPICIOUS_MEMBERS] = "combined_evidence"
    trigger[agg["alert"]] = "alert"
    # an account outside every network is a case only when alerted
    trigger[agg.index.str.startswith("account:") & ~agg["alert"]] = None
    return trigger.dropna()


def _typology(group: pd.DataFrame) -> str | None:
    """Most frequent typology of the alerted members (else of all members); ties: highest score."""
    pool = group[group["alert"]] if group["alert"].any() else group
    pool = pool[pool["typology"].notna()]
    if pool.empty:
        return None
    counts = Counter(str(t) for t in pool["typology"])
    best = pool.groupby(pool["typology"].astype(str))["score"].max()
    return min(counts, key=lambda t: (-counts[t], -float(best.get(t, 0.0)), t))


def _number(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


def _member_records(group: pd.DataFrame) -> list[dict[str, Any]]:
    order = group.assign(_s=group["score"].fillna(-1.0))
    order = order.sort_values(["_s", "account_id"], ascending=[False, True], kind="stable")
    return [
        {
            "account_id": str(row.account_id),
            "role": None if pd.isna(row.role) else str(row.role),
            "score": _number(row.score),
            "alert": bool(row.alert),
            "alert_id": None if pd.isna(row.alert_id) else str(row.alert_id),
        }
        for row in order.itertuples(index=False)
    ]


def _inside_links(links: pd.DataFrame, key_of: pd.Series) -> pd.DataFrame:
    """Links whose two accounts belong to the same case, with the case key in ``key``."""
    cols = ["account_a", "account_b", "kind", "weight", "evidence", "amount"]
    out = links[[c for c in cols if c in links]].astype({"account_a": str, "account_b": str})
    out = out.assign(key=out["account_a"].map(key_of), key_b=out["account_b"].map(key_of))
    out = out[out["key"].notna() & (out["key"] == out["key_b"])].drop(columns="key_b")
    if "amount" not in out:
        out["amount"] = 0.0
    return out.sort_values(["key", "account_a", "account_b", "kind"], kind="stable")


def _link_records(group: pd.DataFrame) -> list[dict[str, Any]]:
    records = []
    for row in group.itertuples(index=False):
        record: dict[str, Any] = {
            "account_a": str(row.account_a),
            "account_b": str(row.account_b),
            "kind": str(row.kind),
            "weight": _number(row.weight),
            "amount": _number(row.amount) or 0.0,
        }
        if "evidence" in group:
            record["count"] = int(row.evidence)
        records.append(record)
    return records


def _top_reasons(alert: pd.Series | None) -> list[dict[str, Any]]:
    if alert is None or not isinstance(alert.get("reasons"), list | tuple | np.ndarray):
        return []
    reasons = [r for r in alert["reasons"] if isinstance(r, dict)]
    reasons = sorted(reasons, key=lambda r: -(_number(r.get("contribution")) or 0.0))
    return [{"feature": r.get("feature"), "text": r.get("text")} for r in reasons[:TOP_REASONS]]


def _evidence(
    group: pd.DataFrame, inside: pd.DataFrame, alerts_by_id: pd.DataFrame
) -> dict[str, Any]:
    alerted = group[group["alert"]]
    top_id = None
    top_account = None
    if len(alerted):
        ranked = alerted.assign(_s=alerted["score"].fillna(-1.0)).sort_values(
            ["_s", "account_id"], ascending=[False, True], kind="stable"
        )
        top_account = str(ranked["account_id"].iloc[0])
        first = ranked["alert_id"].iloc[0]
        top_id = None if pd.isna(first) else str(first)
    alert_row = alerts_by_id.loc[top_id] if top_id in alerts_by_id.index else None
    kinds = inside["kind"].astype(str).value_counts().sort_index()
    money = inside.loc[inside["kind"] == "money", "amount"].sum()
    roles = group["role"].dropna().astype(str).value_counts().sort_index()
    return {
        "members": int(len(group)),
        "alerted_members": int(group["alert"].sum()),
        "roles": {str(k): int(v) for k, v in roles.items()},
        "link_kinds": {str(k): int(v) for k, v in kinds.items()},
        "money_inside": float(money),
        "intel_members": sorted(group.loc[group["intel_matches"] > 0, "account_id"].astype(str)),
        "top_member": top_account,
        "top_alert_id": top_id,
        "top_reasons": _top_reasons(alert_row),
    }


def build_cases(
    networks: pd.DataFrame,
    links: pd.DataFrame,
    scores: pd.DataFrame,
    alerts: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp,
    model_version: str,
    min_score: float | None = None,
) -> list[dict[str, Any]]:
    """Turn the network step and the scores into one case per suspicious network.

    Parameters
    ----------
    networks : pandas.DataFrame
        ``account_id``, ``network_id``, ``role`` (as ``build_network(...).networks``).
    links : pandas.DataFrame
        ``account_a``, ``account_b``, ``kind``, ``weight``, ``amount`` and optionally
        ``evidence`` (a count; as ``build_network(...).links``).
    scores : pandas.DataFrame
        ``account_id``, ``score``, ``typology``, ``alert`` and ``intel_matches``.
    alerts : pandas.DataFrame
        ``alert_id``, ``account_id`` and ``reasons`` (list of dicts with ``feature``, ``text``
        and ``contribution``).
    as_of : str or Timestamp
        The run's as-of (a Timestamp is written in ISO format).
    model_version : str
        The model version of the run.
    min_score : float, optional
        Score from which a member counts as suspicious; a network without an alert is a case
        when :data:`MIN_SUSPICIOUS_MEMBERS` members reach it. Default :data:`DEFAULT_MIN_SCORE`.

    Returns
    -------
    list of dict
        One dict per case, ordered by ``score`` (highest first) then ``case_id``: ``case_id``,
        ``network_id``, ``trigger`` (``alert`` or ``combined_evidence``), ``typology``,
        ``score``, ``priority``, ``members``, ``links``, ``evidence``, ``as_of``,
        ``model_version``.

    Examples
    --------
    >>> networks = pd.DataFrame({"account_id": ["c", "v1", "v2", "x"],
    ...     "network_id": ["n1", "n1", "n1", "n2"], "network_size": [3, 3, 3, 1],
    ...     "role": ["controller", "victim", "victim", "other"]})
    >>> links = pd.DataFrame({"account_a": ["c", "c"], "account_b": ["v1", "v2"],
    ...     "kind": ["money", "money"], "weight": [1.0, 0.9], "evidence": [8, 7],
    ...     "amount": [5000.0, 4000.0]})
    >>> scores = pd.DataFrame({"account_id": ["c", "v1", "v2", "x"],
    ...     "score": [0.97, 0.4, 0.3, 0.1], "typology": ["sex_trafficking", None, None, None],
    ...     "alert": [True, False, False, False], "intel_matches": [1, 0, 0, 0]})
    >>> alerts = pd.DataFrame({"alert_id": ["a1"], "account_id": ["c"],
    ...     "reasons": [[{"feature": "sweeps", "text": "fed by 2 accounts", "contribution": 2.0}]]})
    >>> cases = build_cases(networks, links, scores, alerts, as_of="2025-06-30",
    ...                     model_version="m1")
    >>> [(c["network_id"], len(c["members"]), c["typology"]) for c in cases]
    [('n1', 3, 'sex_trafficking')]
    >>> cases[0]["evidence"]["money_inside"], cases[0]["evidence"]["top_alert_id"]
    (9000.0, 'a1')
    """
    floor = DEFAULT_MIN_SCORE if min_score is None else float(min_score)
    as_of_text = _as_text(as_of)
    members = _members(networks, scores, alerts)
    triggers = _case_groups(members, floor)
    key = members["network_id"].astype("object")
    key = key.where(key.notna(), "account:" + members["account_id"])
    members = members.assign(key=key)[key.isin(triggers.index)]
    key_of = members.set_index("account_id")["key"]
    inside = _inside_links(links, key_of)
    link_groups = dict(tuple(inside.groupby("key", sort=False)))
    alerts_by_id = alerts.astype({"alert_id": str}).drop_duplicates("alert_id")
    alerts_by_id = alerts_by_id.set_index("alert_id")
    empty = inside.iloc[0:0]
    cases = []
    for name, group in members.groupby("key", sort=True):
        network_id = None if str(name).startswith("account:") else str(name)
        group_links = link_groups.get(name, empty)
        top = group["score"].max()
        cases.append(
            {
                "case_id": case_id(
                    network_id, str(group["account_id"].min()), as_of_text, model_version
                ),
                "network_id": network_id,
                "trigger": triggers[name],
                "typology": _typology(group),
                "score": _number(top),
                "members": _member_records(group),
                "links": _link_records(group_links),
                "evidence": _evidence(group, group_links, alerts_by_id),
                "as_of": as_of_text,
                "model_version": model_version,
            }
        )
    cases.sort(key=lambda c: (-(c["score"] if c["score"] is not None else -1.0), c["case_id"]))
    for rank, case in enumerate(cases, start=1):
        case["priority"] = rank
    return cases


def cases_jsonl(cases: list[dict[str, Any]]) -> str:
    """Render cases as JSON Lines: one object per case, keys sorted, floats rounded.

    Examples
    --------
    >>> print(cases_jsonl([{"score": 0.12345678, "case_id": "case-1", "members": []}]), end="")
    {"case_id": "case-1", "members": [], "score": 0.123457}
    """
    return json_lines(cases)
