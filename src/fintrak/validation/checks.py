"""Row-level checks of a canonical table, as one pandera schema per table.

The schema is generated from :mod:`fintrak.schema`, so the contract is written once. Each check has
a stable ``code`` (counted in the manifest) and a message template (written into the rejects and
warnings files). Templates use ``{column}`` and ``{shown}``: the offending value in quotes followed
by a space, or nothing for personal-data columns, whose values are never echoed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from ipaddress import ip_address
from zoneinfo import available_timezones

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pycountry

from fintrak.schema import ColumnSpec, TableSpec

__all__ = ["PARSE_MESSAGES", "Rule", "build_schema", "message_for", "rules_for"]

EARLIEST = pd.Timestamp("1900-01-01")
LATEST = pd.Timestamp("2100-01-01")

PARSE_MESSAGES: dict[str, str] = {
    "float": "{column} {shown}is not a number",
    "int": "{column} {shown}is not a whole number",
    "flag": "{column} {shown}is not 1/0, true/false or yes/no",
    "timestamp": "{column} {shown}is not a timestamp (expected ISO-8601 with an offset such as "
    "2025-03-01T14:05:00+00:00, or set timestamp_format in the column map)",
    "date": "{column} {shown}is not a date (expected YYYY-MM-DD, or set date_format in the "
    "column map)",
    "string": "{column} {shown}is not text",
}
MISSING_MESSAGE = "{column} is missing"
UNIQUE_MESSAGE = "{column} {shown}repeats row {first}"


@dataclass(frozen=True)
class Rule:
    """One named check: ``test`` returns True where a (non-null) value is acceptable."""

    code: str
    test: Callable[[pd.Series], pd.Series]
    message: str


@cache
def _currencies() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.currencies)


@cache
def _countries() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _in(values: frozenset[str]) -> Callable[[pd.Series], pd.Series]:
    return lambda s: s.isin(values)


def _finite(s: pd.Series) -> pd.Series:
    return pd.Series(np.isfinite(s.to_numpy(dtype="float64", na_value=np.nan)), index=s.index)


def _unique_after_first(s: pd.Series) -> pd.Series:
    return ~s.duplicated(keep="first") | s.isna()


def _is_ip(text: object) -> bool:
    try:
        ip_address(str(text))
    except ValueError:
        return False
    return True


def _ip_addresses(s: pd.Series) -> pd.Series:
    # Checked once per distinct value: a bank's log repeats each address many times.
    codes, uniques = pd.factorize(s)
    valid = np.array([_is_ip(u) for u in uniques] + [True], dtype=bool)
    return pd.Series(valid[np.where(codes >= 0, codes, len(uniques))], index=s.index)


def _domain_rule(spec: ColumnSpec) -> Rule | None:
    if spec.domain == "iso4217":
        return Rule(
            "not_iso4217", _in(_currencies()), "{column} {shown}is not an ISO 4217 currency code"
        )
    if spec.domain == "iso3166_alpha2":
        return Rule(
            "not_iso3166",
            _in(_countries()),
            "{column} {shown}is not an ISO 3166-1 alpha-2 country code",
        )
    if spec.domain == "iana_tz":
        return Rule(
            "not_iana_tz",
            _in(_zones()),
            "{column} {shown}is not an IANA time zone (e.g. America/Chicago)",
        )
    if spec.domain == "email":
        return Rule(
            "not_email",
            lambda s: s.str.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+").fillna(False),
            "{column} {shown}is not an e-mail address",
        )
    if spec.domain == "ip":
        return Rule(
            "not_ip",
            _ip_addresses,
            "{column} {shown}is not an IPv4 or IPv6 address (e.g. 203.0.113.7 or 2001:db8::1)",
        )
    return None


def _bound_rules(spec: ColumnSpec) -> list[Rule]:
    rules: list[Rule] = []
    if spec.kind == "float":
        rules.append(Rule("not_finite", _finite, "{column} {shown}is not finite"))
    if spec.minimum is not None:
        low = spec.minimum
        if spec.minimum_exclusive:
            hint = (
                "; give the sign in direction, or set signed_amounts: true in the column map"
                if spec.name == "amount"
                else ""
            )
            rules.append(
                Rule(
                    "not_above_minimum",
                    lambda s: s > low,
                    f"{{column}} {{shown}}must be > {low:g}{hint}",
                )
            )
        else:
            rules.append(
                Rule("below_minimum", lambda s: s >= low, f"{{column}} {{shown}}must be >= {low:g}")
            )
    if spec.maximum is not None:
        high = spec.maximum
        code = "too_large" if spec.kind == "float" else "out_of_range"
        text = (
            f"{{column}} {{shown}}is larger than {high:g} (check the decimal separator)"
            if spec.kind == "float"
            else f"{{column}} {{shown}}is outside {spec.minimum:g}-{high:g}"
        )
        rules.append(Rule(code, lambda s: ~(_finite(s) & (s > high)), text))
    if spec.kind in ("timestamp", "date"):

        def _plausible(s: pd.Series) -> pd.Series:
            naive = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
            return (naive >= EARLIEST) & (naive < LATEST)

        rules.append(
            Rule("implausible_date", _plausible, "{column} {shown}is before 1900 or after 2099")
        )
    return rules


def rules_for(spec: ColumnSpec) -> list[Rule]:
    """Return every check that applies to the parsed values of ``spec`` (null handling aside)."""
    rules = _bound_rules(spec)
    if spec.allowed is not None:
        allowed = frozenset(spec.allowed)
        rules.append(
            Rule(
                "not_allowed",
                _in(allowed),
                f"{{column}} {{shown}}is not one of: {', '.join(spec.allowed)} "
                "(map other spellings under values: in the column map)",
            )
        )
    domain = _domain_rule(spec)
    if domain is not None:
        rules.append(domain)
    if spec.unique:
        rules.append(Rule("duplicate", _unique_after_first, UNIQUE_MESSAGE))
    return rules


def message_for(spec: ColumnSpec, code: str) -> str:
    """Return the message template for check ``code`` on column ``spec``."""
    if code == "not_nullable":
        return MISSING_MESSAGE + (" or NaN" if spec.kind == "float" else "")
    if code == "unparseable":
        return PARSE_MESSAGES[spec.kind]
    for rule in rules_for(spec):
        if rule.code == code:
            return rule.message
    raise KeyError(f"no check {code!r} on column {spec.name!r}")


def build_schema(table: TableSpec, columns: list[str]) -> pa.DataFrameSchema:
    """Build the pandera schema of ``table`` restricted to the given ``columns``.

    Parameters
    ----------
    table : TableSpec
        The canonical table.
    columns : list of str
        Canonical columns present in the input (absent optional columns are not checked).

    Returns
    -------
    pandera.DataFrameSchema
        Run with ``lazy=True``; each failure's ``check`` is a rule code or ``not_nullable``.
    """
    schema_columns = {}
    for name in columns:
        spec = table[name]
        checks = [
            pa.Check(rule.test, name=rule.code, element_wise=False, ignore_na=True)
            for rule in rules_for(spec)
        ]
        schema_columns[name] = pa.Column(
            checks=checks, nullable=not spec.required, required=True, coerce=False
        )
    return pa.DataFrameSchema(schema_columns, name=table.name, strict=False, ordered=False)
