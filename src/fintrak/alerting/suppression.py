"""Suppression lists: accounts the bank knows to be legitimate are scored but never alerted.

Shelters, NGOs and victim-support charities receive many small payments from people in
trouble; a large employer or a property manager is a hub of money that looks like a collector
from afar. A bank that has reviewed such an account writes it on a suppression list:

=============  ========  =================================================================
column         required  meaning
=============  ========  =================================================================
account_id     yes       the account to hold back
reason         yes       why, in a few words ("domestic-violence shelter", "reviewed hub")
expires        no        ``YYYY-MM-DD``: the entry stops applying after that day (review it)
=============  ========  =================================================================

``fintrak score --suppress FILE`` scores every account as usual, so the scores stay comparable
from night to night, but a suppressed account raises no alert, does not count as suspicious in
the network step (a shelter does not tie its clients into a ring), and is reported in
``held_back.parquet`` with the list's reason, so nothing is hidden from the AML team.
"""

from __future__ import annotations

import os

import pandas as pd

from fintrak.alerting._files import read_text_table
from fintrak.exceptions import InputFileError

__all__ = ["SUPPRESSION_COLUMNS", "active_suppressions", "read_suppression"]

#: Required columns of a suppression list.
SUPPRESSION_COLUMNS: tuple[str, ...] = ("account_id", "reason")


def read_suppression(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and check a suppression list (``.csv`` or ``.parquet``).

    Parameters
    ----------
    path : path-like
        The list: columns ``account_id``, ``reason`` and optionally ``expires``.

    Returns
    -------
    pandas.DataFrame
        ``account_id`` and ``reason`` (strings) and ``expires`` (UTC end of that day, or NaT),
        one row per entry.

    Raises
    ------
    fintrak.exceptions.InputFileError
        If the file is missing, unreadable, lacks a column, or a row has an empty account id
        or reason or an expiry that is not a date. The message names the file, column and row
        (1 = first data row).
    """
    frame = read_text_table(path, SUPPRESSION_COLUMNS, "suppression list")
    out = pd.DataFrame(
        {
            "account_id": frame["account_id"].astype("string").str.strip(),
            "reason": frame["reason"].astype("string").str.strip(),
        }
    )
    for column in SUPPRESSION_COLUMNS:
        empty = out[column].isna() | (out[column] == "")
        if empty.any():
            row = int(empty.to_numpy().argmax()) + 1
            raise InputFileError(
                str(path),
                f"{column} is empty",
                f"Give every entry an {column}"
                + (" (why the account is held back)." if column == "reason" else "."),
                column=column,
                row=row,
            )
    expires = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us, UTC]")
    if "expires" in frame.columns:
        text = frame["expires"].astype("string").str.strip()
        given = text.notna() & (text != "")
        parsed = pd.to_datetime(text.where(given), format="%Y-%m-%d", errors="coerce", utc=True)
        bad = given & parsed.isna()
        if bad.any():
            row = int(bad.to_numpy().argmax()) + 1
            raise InputFileError(
                str(path),
                f"expires {text[bad].iloc[0]!r} is not a date",
                "Write the expiry as YYYY-MM-DD, or leave it empty for no expiry.",
                column="expires",
                row=row,
            )
        # an entry applies through the whole of its expiry day
        expires = (parsed + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)).astype(
            "datetime64[us, UTC]"
        )
    out["expires"] = expires.to_numpy()
    return out


def active_suppressions(suppression: pd.DataFrame | None, as_of: str | None) -> pd.Series:
    """Return the reason of every account suppressed at ``as_of`` (index: account id).

    Parameters
    ----------
    suppression : pandas.DataFrame or None
        From :func:`read_suppression`.
    as_of : str or None
        The run's as-of (ISO 8601); entries that expired before it do not apply. ``None``: all
        entries apply.

    Returns
    -------
    pandas.Series
        Reasons (several entries for one account are joined with "; "), indexed by account id,
        sorted by account id.
    """
    if suppression is None or len(suppression) == 0:
        return pd.Series(dtype="string", name="reason")
    rows = suppression
    if as_of and "expires" in rows.columns:
        expires = pd.to_datetime(rows["expires"], utc=True)
        rows = rows.loc[expires.isna() | (expires >= pd.Timestamp(as_of))]
    reasons = (
        rows.groupby(rows["account_id"].astype(str), sort=True)["reason"]
        .agg(lambda s: "; ".join(sorted(set(s.astype(str)))))
        .astype("string")
    )
    reasons.index.name = "account_id"
    return reasons.rename("reason")
