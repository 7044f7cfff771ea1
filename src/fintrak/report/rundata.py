"""Read a finished scoring run folder into the tables the report pages need.

Only the accounts that appear on a page (alerted accounts and case members) are kept from the
transactions, and only columns the pages show: memos, devices and IP addresses are never read,
nor are names, dates of birth or nationalities from the accounts table. KYC phones, e-mails and
addresses are read only so that the pages can withhold them wherever they turn up.
Each account's rows are sorted once (account, time, transaction id) and sliced by position.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fintrak.exceptions import InputFileError

__all__ = [
    "CONTACT_COLUMNS",
    "PROFILE_COLUMNS",
    "RUN_FILES",
    "TRANSACTION_COLUMNS",
    "RunData",
    "read_run",
]

#: Files a report needs; ``accounts.parquet`` is optional (the profile then says so).
RUN_FILES = (
    "manifest.json",
    "alerts.jsonl",
    "cases.jsonl",
    "scores.parquet",
    "explanations.parquet",
    "rule_hits.parquet",
    "networks.parquet",
    "transactions.parquet",
)
#: Transaction columns read (no memo, device or IP: pages never show them).
TRANSACTION_COLUMNS = (
    "txn_id",
    "account_id",
    "timestamp",
    "amount",
    "currency",
    "direction",
    "channel",
    "mcc",
    "counterparty_id",
    "counterparty_name",
    "city",
    "country",
)
#: KYC columns read for the profile (never the name, date of birth or nationality).
PROFILE_COLUMNS = (
    "account_id",
    "customer_id",
    "account_type",
    "opened_at",
    "occupation",
    "declared_income",
    "city",
    "country",
)
#: KYC contact columns, read only to withhold their values wherever they turn up in free text.
CONTACT_COLUMNS = ("phone", "email", "address")
_FIX = "pass the output folder of `fintrak score --out` (for `fintrak demo`, its run/ subfolder)"


@dataclass(frozen=True)
class RunData:
    """The parts of a run folder the report uses.

    Attributes
    ----------
    folder : pathlib.Path
    manifest : dict
    alerts, cases : list of dict
        Lines of ``alerts.jsonl`` and ``cases.jsonl``.
    scores, explanations, rule_hits, networks : pandas.DataFrame
    accounts : pandas.DataFrame or None
        KYC rows (:data:`PROFILE_COLUMNS`) of the accounts on a page, indexed by ``account_id``.
    contacts : frozenset of str
        Every KYC phone, e-mail and address of the run (to withhold, never to show).
    transactions : pandas.DataFrame
        Rows of the accounts on a page, sorted by account, time and id.
    """

    folder: Path
    manifest: dict[str, Any]
    alerts: list[dict[str, Any]]
    cases: list[dict[str, Any]]
    scores: pd.DataFrame
    explanations: pd.DataFrame
    rule_hits: pd.DataFrame
    networks: pd.DataFrame
    accounts: pd.DataFrame | None
    transactions: pd.DataFrame
    contacts: frozenset[str] = frozenset()
    _slices: dict[str, slice] = field(default_factory=dict, repr=False)

    @property
    def scoring(self) -> dict[str, Any]:
        """Return the manifest's ``scoring`` block."""
        return dict(self.manifest.get("scoring") or {})

    @property
    def as_of(self) -> pd.Timestamp:
        """Return the run's as-of in UTC."""
        value = self.scoring.get("as_of") or (self.alerts[0]["as_of"] if self.alerts else None)
        if value is None and self.cases:
            value = self.cases[0]["as_of"]
        if value is None:
            return self.transactions["timestamp"].max()
        return pd.Timestamp(value).tz_convert("UTC")

    def rows(self, account_id: str) -> pd.DataFrame:
        """Return one account's transactions up to the as-of, oldest first."""
        part = self.transactions.iloc[self._slices.get(account_id, slice(0, 0))]
        return part[part["timestamp"] <= self.as_of]

    def account(self, account_id: str) -> dict[str, Any]:
        """Return one account's KYC row as a dict (empty when unknown)."""
        if self.accounts is None or account_id not in self.accounts.index:
            return {}
        return self.accounts.loc[account_id].to_dict()


def _file(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise InputFileError(str(path), "the run file does not exist", _FIX)
    return path


def _parquet(folder: Path, name: str, **options: Any) -> pd.DataFrame:
    path = _file(folder, name)
    try:
        return pd.read_parquet(path, **options)
    except (OSError, ValueError, KeyError) as exc:
        raise InputFileError(
            str(path), f"cannot read the file ({exc.__class__.__name__}: {exc})", _FIX
        ) from None


def _manifest(folder: Path) -> dict[str, Any]:
    path = _file(folder, "manifest.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(str(path), f"cannot read the file ({exc})", _FIX) from None
    if not isinstance(data, dict):
        raise InputFileError(str(path), "the file is not a JSON object", _FIX)
    return data


def _shown_accounts(alerts: list[dict[str, Any]], cases: list[dict[str, Any]]) -> list[str]:
    ids = {str(a["account_id"]) for a in alerts}
    ids |= {str(m["account_id"]) for c in cases for m in c.get("members") or []}
    return sorted(ids)


def _transactions(folder: Path, accounts: list[str]) -> tuple[pd.DataFrame, dict[str, slice]]:
    frame = _parquet(
        folder,
        "transactions.parquet",
        columns=list(TRANSACTION_COLUMNS),
        filters=[("account_id", "in", accounts or [""])],  # pyarrow refuses an empty list
    )
    frame["account_id"] = frame["account_id"].astype(str)
    frame = frame.sort_values(["account_id", "timestamp", "txn_id"], kind="stable")
    frame = frame.reset_index(drop=True)
    starts = frame.groupby("account_id", sort=True).indices
    slices = {k: slice(int(v[0]), int(v[-1]) + 1) for k, v in starts.items()}
    return frame, slices


def _accounts(folder: Path, shown: list[str]) -> tuple[pd.DataFrame | None, frozenset[str]]:
    path = folder / "accounts.parquet"
    if not path.is_file():
        return None, frozenset()
    import pyarrow.parquet as pq

    present = set(pq.read_schema(path).names)
    wanted = [c for c in PROFILE_COLUMNS + CONTACT_COLUMNS if c in present]
    frame = _parquet(folder, "accounts.parquet", columns=wanted)
    contacts = frozenset(
        str(v) for c in CONTACT_COLUMNS if c in frame for v in frame[c].dropna().unique()
    )
    frame = frame.assign(account_id=frame["account_id"].astype(str))
    frame = frame[frame["account_id"].isin(shown)].drop(
        columns=[c for c in CONTACT_COLUMNS if c in frame]
    )
    return frame.drop_duplicates("account_id").set_index("account_id"), contacts


def read_run(run_dir: str | os.PathLike[str]) -> RunData:
    """Read a run folder for the report.

    Parameters
    ----------
    run_dir : path-like
        The folder written by ``fintrak score --out`` (``DIR/run`` for ``fintrak demo``).

    Returns
    -------
    RunData

    Raises
    ------
    InputFileError
        If the folder or one of :data:`RUN_FILES` is missing or unreadable (the message names it).
    """
    from fintrak.export import read_jsonl

    folder = Path(run_dir)
    if not folder.is_dir():
        hint = _FIX
        if (folder / "run").is_dir():
            hint = f"this looks like a `fintrak demo` folder: pass {folder / 'run'}"
        raise InputFileError(str(folder), "the run folder does not exist", hint)
    for name in RUN_FILES:  # name the first missing file before reading anything large
        _file(folder, name)
    manifest = _manifest(folder)
    alerts = read_jsonl(folder / "alerts.jsonl", "alert")
    cases = read_jsonl(folder / "cases.jsonl", "case")
    shown = _shown_accounts(alerts, cases)
    transactions, slices = _transactions(folder, shown)
    accounts, contacts = _accounts(folder, shown)
    scores = _parquet(folder, "scores.parquet")
    scores = scores.assign(account_id=scores["account_id"].astype(str)).set_index("account_id")
    networks = _parquet(folder, "networks.parquet")
    return RunData(
        folder=folder,
        manifest=manifest,
        alerts=alerts,
        cases=cases,
        scores=scores,
        explanations=_parquet(folder, "explanations.parquet"),
        rule_hits=_parquet(folder, "rule_hits.parquet"),
        networks=networks.assign(account_id=networks["account_id"].astype(str)),
        accounts=accounts,
        transactions=transactions,
        contacts=contacts,
        _slices=slices,
    )
