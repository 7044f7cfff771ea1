"""Column maps: how a bank's own extract layout becomes fintrak's canonical tables.

A column map is a YAML file with one section per table. Every key is optional:

    transactions:
      columns:            # the file's column name -> canonical name
        TxnRef: txn_id
        Acct: account_id
        PostedAt: timestamp
        Amt: amount
        DrCr: direction
      values:             # per canonical column: the file's value -> canonical value
        direction: {DR: debit, CR: credit}
        channel: {POS: card, ATM: atm, TRF: p2p}
      signed_amounts: false   # true: negative amount = debit, positive = credit
      timestamp_format: "%d/%m/%Y %H:%M"   # strftime codes; default ISO-8601
      date_format: "%d/%m/%Y"              # for date columns (date_of_birth); default ISO-8601
      assume_tz: Europe/London              # for timestamps without an offset (default UTC)
      delimiter: ";"                        # CSV only (default ",")
      decimal: ","                          # CSV only (default ".")
      thousands: "."                        # CSV only (default none)
      encoding: latin-1                     # CSV only (default utf-8)
    accounts:
      columns: {CustNo: account_id}
    observations:           # optional table of staff-observed behaviour codes
      columns: {ObsRef: observation_id, ObsCode: code}
      values:
        code: {ESC: escorted_by_third_party, TPS: third_party_speaks_for_customer}

Column names that already match a canonical name (ignoring case and surrounding spaces) need no
entry.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fintrak.exceptions import ColumnMapError
from fintrak.schema import TABLES

__all__ = ["ColumnMap", "TableMap", "load_column_map"]


class TableMap(BaseModel):
    """How one input file maps onto one canonical table (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    signed_amounts: bool = False
    timestamp_format: str | None = None
    date_format: str | None = None
    assume_tz: str = "UTC"
    delimiter: str = ","
    decimal: str = "."
    thousands: str | None = None
    encoding: str = "utf-8"

    @field_validator("assume_tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone (e.g. UTC, America/New_York)"
            ) from None
        return value

    @field_validator("delimiter", "decimal")
    @classmethod
    def _one_character(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError(f"must be a single character. Got {value!r} instead.")
        return value

    @field_validator("values", mode="before")
    @classmethod
    def _values_as_text(cls, value: Any) -> Any:
        # YAML reads `1: credit` as an int key; file values are text, so compare as text.
        if isinstance(value, dict):
            return {
                col: {str(k): str(v) for k, v in mapping.items()}
                if isinstance(mapping, dict)
                else mapping
                for col, mapping in value.items()
            }
        return value


class ColumnMap(BaseModel):
    """A column map for every table; tables without a section are read as they are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    transactions: TableMap = Field(default_factory=TableMap)
    accounts: TableMap = Field(default_factory=TableMap)
    intel: TableMap = Field(default_factory=TableMap)
    labels: TableMap = Field(default_factory=TableMap)
    observations: TableMap = Field(default_factory=TableMap)

    @model_validator(mode="after")
    def _targets_are_canonical(self) -> ColumnMap:
        for table in TABLES:
            section: TableMap = getattr(self, table)
            known = TABLES[table].names
            for source, target in section.columns.items():
                if target not in known:
                    raise ValueError(
                        f"{table}.columns maps {source!r} to {target!r}, which is not a column "
                        f"of {table}; use one of: {', '.join(known)}"
                    )
            for target in section.values:
                if target not in known:
                    raise ValueError(
                        f"{table}.values names {target!r}, which is not a column of {table}"
                    )
        return self

    def for_table(self, table: str) -> TableMap:
        """Return the section for ``table``."""
        return getattr(self, table)


def load_column_map(path: str | os.PathLike[str] | None) -> ColumnMap:
    """Read and check a column-map YAML file.

    Parameters
    ----------
    path : path-like or None
        The YAML file; ``None`` gives the identity map.

    Returns
    -------
    ColumnMap

    Raises
    ------
    ColumnMapError
        If the file is missing, is not YAML, or has unknown keys or values; the message names the
        file and the key.

    Examples
    --------
    >>> load_column_map(None).transactions.assume_tz
    'UTC'
    """
    if path is None:
        return ColumnMap()
    file = Path(path)
    if not file.is_file():
        raise ColumnMapError(
            f"column map {file}: no such file\n  fix: check the path given to --column-map"
        )
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ColumnMapError(
            f"column map {file}: not valid YAML ({exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0]})\n  fix: see the column map example in the docs"
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ColumnMapError(
            f"column map {file}: expected sections "
            "transactions/accounts/intel/labels/observations, "
            f"got a {type(data).__name__}\n  fix: see the column map example in the docs"
        )
    try:
        return ColumnMap.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            problems.append(f"  {where}: {err['msg']}")
        raise ColumnMapError(
            f"column map {file} has {len(problems)} problem(s):\n"
            + "\n".join(problems)
            + "\n  fix: correct these keys (sections: transactions, accounts, intel, labels, "
            "observations; "
            "keys: columns, values, signed_amounts, timestamp_format, date_format, assume_tz, "
            "delimiter, "
            "decimal, thousands, encoding)"
        ) from None
