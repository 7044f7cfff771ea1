"""Share identifiers with other institutions as keyed hashes, and match their lists against ours.

Both parties normalise their identifiers the same way (:mod:`fintrak.identifiers`) and hash
``kind:value`` with HMAC-SHA256 under a key they agreed on; equal identifiers give equal hashes,
and without the key a hash cannot be turned back into a phone number by trying every number (an
unkeyed hash can). What this does and does not protect, and how it fits US 314(b) sharing, is in
``docs/sharing.md``.

The key is read from the ``FINTRAK_SHARE_KEY`` environment variable or from a key file, never
from the command line (where it would land in shell history and process listings). Exported files
hold ``kind`` and ``hmac`` only, unless the account ids are asked for explicitly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from fintrak.exceptions import ConfigError, InputFileError
from fintrak.identifiers import (
    IDENTIFIER_KINDS,
    MIN_KEY_BYTES,
    hash_identifiers,
)
from fintrak.io.atomic import atomic_path, check_output_file, write_parquet_atomic

__all__ = [
    "KEY_ENV_VAR",
    "MATCH_COLUMNS",
    "SHARED_COLUMNS",
    "check_output",
    "export_hashes",
    "load_key",
    "match_hashes",
    "read_accounts",
    "read_shared",
    "write_table",
]

#: Environment variable holding the shared key (its UTF-8 bytes, surrounding spaces removed).
KEY_ENV_VAR = "FINTRAK_SHARE_KEY"
#: Columns of an exported (shared) file; ``account_id`` is added only on request.
SHARED_COLUMNS: tuple[str, ...] = ("kind", "hmac")
#: Columns of a match result.
MATCH_COLUMNS: tuple[str, ...] = ("account_id", "kind", "count", "their_rows")

_HEX64 = re.compile(r"[0-9a-f]{64}")
_KEY_FIX = (
    "agree a random key of at least {n} characters with the other party (for example the output "
    'of `python -c "import secrets; print(secrets.token_hex(32))"`), then set '
    f"{KEY_ENV_VAR} or write it to a file readable only by you and pass --key-file FILE"
)


def load_key(
    key_file: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None
) -> bytes:
    """Return the shared HMAC key from ``key_file`` or else the ``FINTRAK_SHARE_KEY`` variable.

    The key is the file's (or variable's) bytes with surrounding whitespace removed, so a trailing
    newline does not change it. It is never printed.

    Parameters
    ----------
    key_file : path-like, optional
        A file holding the key. Takes precedence over the environment variable.
    environ : mapping, optional
        Where to look for the variable (default: ``os.environ``).

    Returns
    -------
    bytes
        At least :data:`fintrak.identifiers.MIN_KEY_BYTES` bytes.

    Raises
    ------
    ConfigError
        If no key is given, the key file cannot be read, or the key is too short.

    Examples
    --------
    >>> len(load_key(environ={"FINTRAK_SHARE_KEY": " " + "0123456789abcdef" * 4 + " "}))
    64
    >>> load_key(environ={})
    Traceback (most recent call last):
    ...
    fintrak.exceptions.ConfigError: no sharing key: neither --key-file nor FINTRAK_SHARE_KEY ...
    """
    fix = _KEY_FIX.format(n=MIN_KEY_BYTES)
    if key_file is not None:
        path = Path(key_file)
        where = f"key file {path}"
        try:
            key = path.read_bytes().strip()
        except FileNotFoundError:
            # The path is not repeated: it may be a key pasted in the wrong place.
            raise ConfigError(
                "the --key-file path does not exist\n  fix: give the file that holds the key, "
                "never the key itself"
            ) from None
        except IsADirectoryError:
            raise ConfigError(
                f"{where}: this is a folder, not a file\n  fix: give the key file inside it"
            ) from None
        except PermissionError:
            raise ConfigError(
                f"{where}: permission denied\n  fix: run as the user who may read the key"
            ) from None
    else:
        where = f"the {KEY_ENV_VAR} environment variable"
        text = (os.environ if environ is None else environ).get(KEY_ENV_VAR)
        if text is None or not text.strip():
            raise ConfigError(
                f"no sharing key: neither --key-file nor {KEY_ENV_VAR} is set (a key is never "
                f"given on the command line)\n  fix: {fix}"
            )
        key = text.strip().encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(
            f"the sharing key in {where} is {len(key)} bytes long; it must be at least "
            f"{MIN_KEY_BYTES}\n  fix: {fix}"
        )
    return key


def read_accounts(
    accounts: str | os.PathLike[str] | pd.DataFrame,
    *,
    transactions: str | os.PathLike[str] | pd.DataFrame | None = None,
    column_map: str | os.PathLike[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None, dict]:
    """Read and validate our accounts (and transactions, for device ids) as ``fintrak validate``.

    Parameters
    ----------
    accounts : path-like or pandas.DataFrame
        The accounts table (CSV or Parquet) in the canonical layout or a column map's.
    transactions : path-like or pandas.DataFrame, optional
        The transactions table; only its ``device_id`` column is used.
    column_map : path-like, optional
        A YAML column map (``fintrak validate --column-map``).

    Returns
    -------
    accounts : pandas.DataFrame
        The accepted canonical accounts.
    transactions : pandas.DataFrame or None
        The accepted canonical transactions, when given.
    manifest : dict
        The validation manifest (row counts, rejects by reason; no values).

    Raises
    ------
    InputFileError
        For a problem with a whole file, or when every row of a table was rejected.
    """
    from fintrak.io.column_map import load_column_map
    from fintrak.io.readers import RawTable, read_raw
    from fintrak.schema import ACCOUNTS
    from fintrak.validation import ValidationResult, validate
    from fintrak.validation.table import validate_table

    cmap = load_column_map(column_map)
    if transactions is not None:
        result = validate(transactions, accounts, column_map=cmap)
        result.raise_if_unusable()
        return result.tables["accounts"], result.tables["transactions"], result.manifest
    table_map = cmap.for_table("accounts")
    if isinstance(accounts, pd.DataFrame):
        frame = accounts.reset_index(drop=True)
        raw = RawTable(frame=frame, source="<DataFrame accounts>", file_format="dataframe")
    else:
        raw = read_raw(accounts, table_map)
    checked = validate_table(raw, ACCOUNTS, table_map)
    manifest = {"tables": {"accounts": checked.stats}}
    ValidationResult(
        tables={"accounts": checked.accepted},
        rejects=checked.rejects,
        warnings=checked.warnings,
        manifest=manifest,
    ).raise_if_unusable()
    return checked.accepted, None, manifest


def export_hashes(
    identifiers: pd.DataFrame, key: bytes, *, include_account_id: bool = False
) -> pd.DataFrame:
    """Return the table to share: ``kind`` and ``hmac`` of each distinct identifier.

    Parameters
    ----------
    identifiers : pandas.DataFrame
        From :func:`fintrak.identifiers.account_identifiers`.
    key : bytes
        The shared key.
    include_account_id : bool, default False
        Add the ``account_id`` column (one row per account and identifier). The file leaves the
        institution: include account ids only when the agreement with the recipient says so.

    Returns
    -------
    pandas.DataFrame
        ``kind``, ``hmac`` (and ``account_id`` first when asked), sorted by ``kind`` and ``hmac``
        so that the row order says nothing about the customers.

    Examples
    --------
    >>> ids = pd.DataFrame({"account_id": ["A1", "A2"], "kind": ["phone", "phone"],
    ...                     "value": ["+14155550132", "+14155550132"]})
    >>> export_hashes(ids, b"k" * 32).columns.tolist(), len(export_hashes(ids, b"k" * 32))
    (['kind', 'hmac'], 1)
    >>> export_hashes(ids, b"k" * 32, include_account_id=True).columns.tolist()
    ['account_id', 'kind', 'hmac']
    """
    frame = pd.DataFrame(
        {
            "account_id": identifiers["account_id"].astype("string"),
            "kind": identifiers["kind"].astype("string"),
            "hmac": hash_identifiers(identifiers, key),
        }
    ).dropna()
    columns = ["account_id", *SHARED_COLUMNS] if include_account_id else list(SHARED_COLUMNS)
    out = frame[columns].drop_duplicates()
    return out.sort_values([*SHARED_COLUMNS, *columns[:-2]], ignore_index=True)


def read_shared(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read another party's hashed list (CSV or Parquet with ``kind`` and ``hmac`` columns).

    Parameters
    ----------
    path : path-like
        The file, as written by ``fintrak share export`` (extra columns are ignored).

    Returns
    -------
    pandas.DataFrame
        ``kind`` and ``hmac`` (lower-case hex), ``string`` dtype.

    Raises
    ------
    InputFileError
        If the file cannot be read, lacks a column, or a row holds an unknown kind or a value that
        is not a 64-character hex digest (the first such row is named).
    """
    from fintrak.io.column_map import TableMap
    from fintrak.io.readers import read_raw

    raw = read_raw(path, TableMap())
    columns = {str(c).strip().lower(): c for c in raw.frame.columns}
    for column in SHARED_COLUMNS:
        if column not in columns:
            raise InputFileError(
                raw.source,
                f"the required column {column!r} is missing (found {sorted(columns)})",
                "give the file written by `fintrak share export` (columns kind, hmac)",
                column=column,
            )
    frame = pd.DataFrame(
        {c: raw.frame[columns[c]].astype("string").str.strip().str.lower() for c in SHARED_COLUMNS}
    )
    checks = (
        ("kind", frame["kind"].isin(IDENTIFIER_KINDS).fillna(False), "unknown kind"),
        (
            "hmac",
            frame["hmac"].str.fullmatch(_HEX64).fillna(False),
            "not a 64-character hex digest",
        ),
    )
    for column, good, problem in checks:
        bad = (~good.to_numpy(dtype=bool)).nonzero()[0]
        if len(bad):
            raise InputFileError(
                raw.source,
                f"{len(bad)} row(s) hold a value that is {problem} (first: row {bad[0] + 1}; "
                f"kinds allowed: {', '.join(IDENTIFIER_KINDS)})",
                "ask the sender for the file as written by `fintrak share export`",
                column=column,
                row=int(bad[0]) + 1,
            )
    return frame


def match_hashes(identifiers: pd.DataFrame, theirs: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """Return our accounts whose identifiers appear in another party's hashed list.

    Parameters
    ----------
    identifiers : pandas.DataFrame
        Ours, from :func:`fintrak.identifiers.account_identifiers`.
    theirs : pandas.DataFrame
        Their list, ``kind`` and ``hmac`` (see :func:`read_shared`).
    key : bytes
        The shared key (the one they hashed with; any other key matches nothing).

    Returns
    -------
    pandas.DataFrame
        One row per matched account and kind: ``account_id``, ``kind``, ``count`` (how many of
        the account's identifiers of that kind are on their list) and ``their_rows`` (how many
        rows of their list those identifiers hold), sorted by ``account_id`` and ``kind``.

    Examples
    --------
    >>> ours = pd.DataFrame({"account_id": ["A1", "A2"], "kind": ["phone", "email"],
    ...                      "value": ["+14155550132", "jane@example.org"]})
    >>> theirs = export_hashes(ours.iloc[[0]], b"k" * 32)
    >>> match_hashes(ours, theirs, b"k" * 32).to_dict("records")
    [{'account_id': 'A1', 'kind': 'phone', 'count': 1, 'their_rows': 1}]
    >>> len(match_hashes(ours, theirs, b"another key of thirty-two bytes!"))
    0
    """
    mine = export_hashes(identifiers, key, include_account_id=True)
    listed = (
        theirs[list(SHARED_COLUMNS)]
        .astype("string")
        .groupby(list(SHARED_COLUMNS), as_index=False)
        .size()
        .rename(columns={"size": "their_rows"})
    )
    joined = mine.merge(listed, on=list(SHARED_COLUMNS), how="inner")
    out = (
        joined.groupby(["account_id", "kind"], as_index=False)
        .agg(count=("hmac", "nunique"), their_rows=("their_rows", "sum"))
        .astype({"count": "int64", "their_rows": "int64"})
        .sort_values(["account_id", "kind"], ignore_index=True)
    )
    return out[list(MATCH_COLUMNS)]


def write_table(
    path: str | os.PathLike[str], frame: pd.DataFrame, *, overwrite: bool = False
) -> Path:
    """Write ``frame`` to ``path`` atomically, as Parquet or CSV by its extension.

    Parameters
    ----------
    path : path-like
        ``.parquet`` or ``.csv``.
    frame : pandas.DataFrame
        The table.
    overwrite : bool, default False
        Replace an existing file (atomically: the old file stays until the new one is complete).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    OutputExistsError
        If the file exists and ``overwrite`` is false.
    ConfigError
        If the extension is neither ``.parquet`` nor ``.csv``.
    """
    out = check_output(path, overwrite=overwrite)
    if out.suffix.lower() == ".parquet":
        return write_parquet_atomic(out, frame)
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")
    return out


def check_output(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Check that ``path`` can be written (before any work is done) and return it.

    Raises
    ------
    OutputExistsError
        If the file exists and ``overwrite`` is false, or it is a folder.
    ConfigError
        If the extension is neither ``.parquet`` nor ``.csv``.
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise ConfigError(
            f"--out must end in .parquet or .csv. Got {out.name!r} instead.\n"
            "  fix: name the output file e.g. shared.parquet"
        )
    return check_output_file(out, overwrite=overwrite)
