"""Investigators' dispositions: what became of each alert, fed back into backtests and training.

A bank's labels are its investigators' outcomes. A dispositions file (CSV or Parquet) has one
row per decision:

============  ========  =====================================================================
column        required  meaning
============  ========  =====================================================================
account_id    yes       the account decided on
outcome       yes       ``true_positive``, ``sar_filed``, ``false_positive`` or ``inconclusive``
decided_at    yes       ``YYYY-MM-DD``: the date of the decision
alert_id      no        the alert decided on
typology      no        the typology the investigator confirmed (any vocabulary)
============  ========  =====================================================================

:func:`labels_from_dispositions` turns it into labels for ``fintrak backtest`` and
``fintrak train``: an account's **latest** decision counts (ties: the later row);
``true_positive`` and ``sar_filed`` are positives, ``false_positive`` negatives, and
``inconclusive`` accounts are left out (neither label would be honest). Free-text notes do not
belong in this file: it is read by model tooling, and notes hold personal data.
"""

from __future__ import annotations

import os

import pandas as pd

from fintrak.alerting._files import read_text_table
from fintrak.exceptions import InputFileError

__all__ = [
    "DISPOSITION_COLUMNS",
    "OUTCOMES",
    "labels_from_dispositions",
    "read_dispositions",
]

#: Required columns of a dispositions file.
DISPOSITION_COLUMNS: tuple[str, ...] = ("account_id", "outcome", "decided_at")
#: Allowed outcomes and the label each gives (None: not used as a label).
OUTCOMES: dict[str, int | None] = {
    "true_positive": 1,
    "sar_filed": 1,
    "false_positive": 0,
    "inconclusive": None,
}


def read_dispositions(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and check a dispositions file.

    Parameters
    ----------
    path : path-like
        ``.csv`` or ``.parquet`` with :data:`DISPOSITION_COLUMNS` and optionally ``alert_id``
        and ``typology``.

    Returns
    -------
    pandas.DataFrame
        ``account_id``, ``outcome``, ``decided_at`` (UTC dates), ``alert_id``, ``typology``,
        ``row`` (1 = first data row), in file order.

    Raises
    ------
    fintrak.exceptions.InputFileError
        If the file is missing or unreadable, lacks a column, or a row has an empty account id,
        an unknown outcome or a decision date that is not ``YYYY-MM-DD``; the message names the
        file, column and row.
    """
    frame = read_text_table(path, DISPOSITION_COLUMNS, "dispositions file")
    account = frame["account_id"].astype("string").str.strip()
    empty = account.isna() | (account == "")
    if empty.any():
        raise InputFileError(
            str(path),
            "account_id is empty",
            "Give every decision the account it concerns.",
            column="account_id",
            row=int(empty.to_numpy().argmax()) + 1,
        )
    outcome = frame["outcome"].astype("string").str.strip().str.lower()
    unknown = ~outcome.isin(list(OUTCOMES)).fillna(False).to_numpy(dtype=bool)
    if unknown.any():
        row = int(unknown.argmax())
        raise InputFileError(
            str(path),
            f"outcome {frame['outcome'].iloc[row]!r} is not one fintrak knows",
            f"Use one of: {', '.join(OUTCOMES)}.",
            column="outcome",
            row=row + 1,
        )
    decided = pd.to_datetime(
        frame["decided_at"].astype("string").str.strip(),
        format="%Y-%m-%d",
        errors="coerce",
        utc=True,
    )
    if decided.isna().any():
        row = int(decided.isna().to_numpy().argmax())
        raise InputFileError(
            str(path),
            f"decided_at {frame['decided_at'].iloc[row]!r} is not a date",
            "Write the decision date as YYYY-MM-DD.",
            column="decided_at",
            row=row + 1,
        )
    optional = {
        c: frame[c].astype("string") if c in frame.columns else pd.Series(pd.NA, index=frame.index)
        for c in ("alert_id", "typology")
    }
    return pd.DataFrame(
        {
            "account_id": account.to_numpy(),
            "outcome": outcome.to_numpy(),
            "decided_at": decided.to_numpy(),
            "alert_id": pd.array(optional["alert_id"].to_numpy(), dtype="string"),
            "typology": pd.array(optional["typology"].to_numpy(), dtype="string"),
            "row": range(1, len(frame) + 1),
        }
    ).astype({"account_id": "string", "outcome": "string"})


def labels_from_dispositions(dispositions: pd.DataFrame) -> pd.DataFrame:
    """Turn decisions into labels: each account's latest conclusive decision.

    Parameters
    ----------
    dispositions : pandas.DataFrame
        From :func:`read_dispositions`.

    Returns
    -------
    pandas.DataFrame
        ``account_id``, ``is_trafficking`` (0/1), ``typology`` (the confirmed typology of a
        positive, else missing), ``outcome``; one row per account, sorted by account id.
        Accounts whose latest decision is ``inconclusive`` are left out.
    """
    latest = (
        dispositions.sort_values(["account_id", "decided_at", "row"], kind="stable")
        .groupby("account_id", sort=True)
        .tail(1)
    )
    label = latest["outcome"].map(OUTCOMES)
    kept = latest.loc[label.notna().to_numpy()]
    positive = kept["outcome"].map(OUTCOMES).astype("int8")
    return pd.DataFrame(
        {
            "account_id": kept["account_id"].astype("string").to_numpy(),
            "is_trafficking": positive.to_numpy(),
            "typology": pd.array(
                kept["typology"].where(positive.to_numpy() == 1).to_numpy(), dtype="string"
            ),
            "outcome": kept["outcome"].astype("string").to_numpy(),
        }
    ).reset_index(drop=True)
