"""The alert history: a nightly run does not raise the same alert again and again.

An investigator who has looked at an account's sex-trafficking alert on Monday does not want
the same alert on Tuesday, Wednesday and Thursday; but if the account's risk rises (more
evidence, a new intelligence hit) they want to hear about it. ``fintrak score --history FILE``
keeps every alert it raises in a Parquet file (:data:`HISTORY_COLUMNS`) and applies one
documented rule (:class:`RealertRule`):

An account whose score reaches the alert threshold is **held back** when the history holds an
alert for the *same account and typology* raised in the ``window_days`` (default 90) before
this run's as-of, unless its risk **rose materially** since the latest such alert:

* the odds of its combined score, ``score / (1 - score)``, are at least ``odds_ratio``
  (default 2) times the odds at that alert, or
* it matches more intelligence (``intel_matches``) than it did then.

A different typology is a different alert; an alert older than the window is forgotten, so an
account still suspicious three months later is raised again for a fresh look. Held-back accounts
keep their scores, are listed in ``held_back.parquet`` with the reason, and still count as
suspicious in the network step. Re-running the same as-of replaces that as-of's entries, so a
rerun is idempotent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fintrak.alerting._files import read_text_table
from fintrak.exceptions import InputFileError
from fintrak.io.atomic import write_parquet_atomic

__all__ = [
    "HISTORY_COLUMNS",
    "RealertRule",
    "held_back_by_history",
    "read_history",
    "update_history",
    "write_history",
]

#: Columns of the alert history file.
HISTORY_COLUMNS: tuple[str, ...] = (
    "alert_id",
    "account_id",
    "typology",
    "as_of",
    "score",
    "intel_matches",
    "model_version",
)
_EPS = 1e-9


@dataclass(frozen=True)
class RealertRule:
    """When an account alerted before may alert again.

    Parameters
    ----------
    window_days : int
        An earlier alert for the same account and typology within this many days before the
        run's as-of holds a new one back.
    odds_ratio : float
        ... unless the odds of the combined score rose by at least this factor since then.
    """

    window_days: int = 90
    odds_ratio: float = 2.0

    def __post_init__(self) -> None:
        if self.window_days < 1:
            raise ValueError(f"window_days must be >= 1. Got {self.window_days!r} instead.")
        if self.odds_ratio <= 1:
            raise ValueError(f"odds_ratio must be > 1. Got {self.odds_ratio!r} instead.")


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "alert_id": pd.array([], dtype="string"),
            "account_id": pd.array([], dtype="string"),
            "typology": pd.array([], dtype="string"),
            "as_of": pd.array([], dtype="datetime64[us, UTC]"),
            "score": pd.array([], dtype="float64"),
            "intel_matches": pd.array([], dtype="int64"),
            "model_version": pd.array([], dtype="string"),
        }
    )


def read_history(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read an alert history; a file that does not exist yet is an empty history.

    Parameters
    ----------
    path : path-like
        The history (``.parquet``, as written by :func:`write_history`; ``.csv`` is read too).

    Returns
    -------
    pandas.DataFrame
        :data:`HISTORY_COLUMNS`, ``as_of`` as UTC timestamps.

    Raises
    ------
    fintrak.exceptions.InputFileError
        If the file is unreadable, lacks a column or holds a bad as-of or score.
    """
    if not Path(path).exists():
        return _empty()
    frame = read_text_table(path, HISTORY_COLUMNS, "alert history")
    out = pd.DataFrame({c: frame[c] for c in HISTORY_COLUMNS})
    for column in ("alert_id", "account_id", "typology", "model_version"):
        out[column] = out[column].astype("string")
    as_of = pd.to_datetime(out["as_of"], utc=True, errors="coerce", format="ISO8601")
    score = pd.to_numeric(out["score"], errors="coerce")
    intel = pd.to_numeric(out["intel_matches"], errors="coerce")
    for column, bad in (
        ("as_of", as_of.isna()),
        ("score", score.isna() | (score < 0) | (score > 1)),
        ("intel_matches", intel.isna() | (intel < 0)),
    ):
        if bad.any():
            raise InputFileError(
                str(path),
                f"{column} is missing or out of range",
                "Use the history file fintrak wrote, or delete it to start a new history.",
                column=column,
                row=int(bad.to_numpy().argmax()) + 1,
            )
    out["as_of"] = as_of.astype("datetime64[us, UTC]")
    out["score"] = score.astype("float64")
    out["intel_matches"] = intel.astype("int64")
    return out.reset_index(drop=True)


def _odds(score: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(score, dtype=np.float64), _EPS, 1 - _EPS)
    return p / (1 - p)


def held_back_by_history(
    candidates: pd.DataFrame,
    history: pd.DataFrame | None,
    as_of: str,
    rule: RealertRule | None = None,
) -> pd.Series:
    """Return why each candidate alert is held back (index: account id).

    Parameters
    ----------
    candidates : pandas.DataFrame
        The accounts that reach the alert threshold: ``account_id``, ``typology`` (may be
        missing), ``score``, ``intel_matches``.
    history : pandas.DataFrame or None
        From :func:`read_history`.
    as_of : str
        This run's as-of (ISO 8601). History entries at or after it are ignored (a rerun of
        the same night does not hold itself back).
    rule : RealertRule, optional

    Returns
    -------
    pandas.Series
        A plain-words reason per held-back account, sorted by account id; empty if none.
    """
    rule = rule or RealertRule()
    empty = pd.Series(dtype="string", name="reason")
    empty.index.name = "account_id"
    if history is None or len(history) == 0 or len(candidates) == 0 or not as_of:
        return empty
    now = pd.Timestamp(as_of)
    start = now - pd.Timedelta(days=rule.window_days)
    past = history.loc[(history["as_of"] < now) & (history["as_of"] >= start)]
    if len(past) == 0:
        return empty
    past = past.assign(
        _key=past["account_id"].astype(str) + "|" + past["typology"].fillna("").astype(str)
    ).sort_values(["_key", "as_of", "alert_id"], kind="stable")
    latest = past.groupby("_key", sort=True).tail(1).set_index("_key")
    key = candidates["account_id"].astype(str) + "|" + candidates["typology"].fillna("").astype(str)
    seen = key.isin(latest.index).to_numpy()
    if not seen.any():
        return empty
    cand = candidates.loc[seen]
    before = latest.loc[key[seen]]
    ratio = _odds(cand["score"].to_numpy()) / _odds(before["score"].to_numpy())
    more_intel = cand["intel_matches"].to_numpy() > before["intel_matches"].to_numpy()
    hold = (ratio < rule.odds_ratio) & ~more_intel
    reasons = []
    for (_, now_row), (_, then), r in zip(
        cand.loc[hold].iterrows(), before.loc[hold].iterrows(), ratio[hold], strict=True
    ):
        typology = then["typology"] if isinstance(then["typology"], str) else "no typology"
        reasons.append(
            f"already alerted for {typology} on {then['as_of']:%Y-%m-%d} (alert "
            f"{then['alert_id']}, score {then['score']:.4f}); risk has not risen materially "
            f"since (score {now_row['score']:.4f}, odds x{r:.2f} < x{rule.odds_ratio:g}, "
            f"no new intelligence match)"
        )
    out = pd.Series(
        reasons, index=cand.loc[hold, "account_id"].astype(str), dtype="string", name="reason"
    )
    out.index.name = "account_id"
    return out.sort_index()


def update_history(
    history: pd.DataFrame | None, alerts: pd.DataFrame, intel_matches: pd.Series, as_of: str
) -> pd.DataFrame:
    """Return the history with this run's alerts added (replacing any of the same as-of).

    Parameters
    ----------
    history : pandas.DataFrame or None
        From :func:`read_history`.
    alerts : pandas.DataFrame
        This run's alerts: ``alert_id``, ``account_id``, ``typology``, ``score``,
        ``model_version``.
    intel_matches : pandas.Series
        Intelligence matches per account id.
    as_of : str
        This run's as-of (ISO 8601).

    Returns
    -------
    pandas.DataFrame
        :data:`HISTORY_COLUMNS`, sorted by as-of then account id.
    """
    base = _empty() if history is None else history
    now = pd.Timestamp(as_of)
    base = base.loc[base["as_of"] != now]
    ids = alerts["account_id"].astype(str)
    new = pd.DataFrame(
        {
            "alert_id": pd.array(alerts["alert_id"].astype(str).to_numpy(), dtype="string"),
            "account_id": pd.array(ids.to_numpy(), dtype="string"),
            "typology": pd.array(alerts["typology"].to_numpy(), dtype="string"),
            "as_of": pd.Series([now] * len(alerts), dtype="datetime64[us, UTC]").to_numpy(),
            "score": alerts["score"].astype("float64").to_numpy(),
            "intel_matches": intel_matches.reindex(ids).fillna(0).astype("int64").to_numpy(),
            "model_version": pd.array(
                alerts["model_version"].astype(str).to_numpy(), dtype="string"
            ),
        }
    )
    out = pd.concat([base, new], ignore_index=True) if len(base) else new
    out = out.sort_values(["as_of", "account_id", "alert_id"], kind="stable")
    return out.reset_index(drop=True)[list(HISTORY_COLUMNS)]


def write_history(history: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write the history to ``path`` (Parquet) atomically."""
    return write_parquet_atomic(Path(path), history)
