"""Normalise identifiers (phones, e-mails, addresses, devices) so that one thing compares equal.

Every matching step in fintrak (intelligence against KYC, accounts sharing an identifier, lists
shared with other institutions) compares normalised values made here, and nowhere else:

- phones become E.164 (``+14155550132``) with ``phonenumbers``, the account's country as the
  default region;
- e-mails are lower-cased, and the dots and plus-tags a provider ignores are removed, following
  the versioned rules in ``fintrak/reference/email_providers.yaml``;
- addresses lose case, punctuation and spacing differences; street types are abbreviated and unit
  designators take one form (``apt 4``, ``unit 4``, ``#4``, ``suite 4`` -> ``unit 4``);
- device ids are trimmed.

Each function works once per distinct value (a bank has millions of rows and few distinct
identifiers). Nothing here logs or prints a raw value: log records carry counts only.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
import pandas as pd
import phonenumbers

from fintrak.exceptions import ConfigError
from fintrak.reference import load_reference

__all__ = [
    "IDENTIFIER_KINDS",
    "MIN_KEY_BYTES",
    "account_identifiers",
    "hash_identifiers",
    "normalise_addresses",
    "normalise_devices",
    "normalise_emails",
    "normalise_phones",
]

logger = logging.getLogger(__name__)

#: The kinds of identifier :func:`account_identifiers` returns (and :func:`hash_identifiers` keys).
IDENTIFIER_KINDS: tuple[str, ...] = ("phone", "email", "address", "device")
#: Shortest HMAC key accepted, in bytes (RFC 2104 advises a key at least as long as the hash).
MIN_KEY_BYTES = 32

_MAX_PHONE_TEXT = 250  # phonenumbers refuses longer input
_REGION_ALIASES = {"UK": "GB"}  # common non-ISO spelling


def _map_unique(values: pd.Series, func: Callable[[object], str | None]) -> pd.Series:
    """Apply ``func`` once per distinct non-null value; null stays null ("string" dtype)."""
    codes, uniques = pd.factorize(values)
    mapped = np.array([func(u) for u in uniques] + [None], dtype=object)
    out = mapped[np.where(codes >= 0, codes, len(uniques))]
    return pd.Series(out, index=values.index, dtype="string")


def _as_text(value: object) -> str:
    """Return a cell as text; a whole float (a phone read as a number) loses its ``.0``."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------------------------
# Phones


def _region(value: object) -> str | None:
    text = str(value).strip().upper()
    text = _REGION_ALIASES.get(text, text)
    return text if text in phonenumbers.SUPPORTED_REGIONS else None


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def _e164(number: phonenumbers.PhoneNumber) -> str:
    # E.164 drops the extension: "415-555-0132 ext. 12" is the line +14155550132.
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_LEADING_NON_NUMBER = re.compile(r"^[^0-9+０-９＋]+")
#: Runs of digits and the letters ads write for them (O for 0; I, l or | for 1).
_DIGIT_RUN = re.compile(r"[0-9OoIl|]+")
_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})


def _read_lookalikes(text: str) -> str:
    """Read look-alike letters as digits in runs that hold a real digit ("2I3 555 O147").

    Ads disguise numbers from scrapers this way; letters in words ("call", "FLOWERS") are left
    alone because their runs hold no digit.
    """

    def digits(match: re.Match[str]) -> str:
        run = match.group(0)
        return run.translate(_LOOKALIKES) if any(c.isdigit() for c in run) else run

    return _DIGIT_RUN.sub(digits, text)


def _phone_one(text: str, region: str | None) -> str | None:
    """Return the E.164 form of one phone number, or None.

    Order: the number read with the default region if it is a valid number; else, when it starts
    with the international prefix ``00`` (used in most of the world, but not the default region's),
    the number read as international; else the first reading if its length is possible for the
    country (fictional and newly opened ranges); else None.
    """
    text = _read_lookalikes(text.strip())
    if not text or len(text) > _MAX_PHONE_TEXT:
        return None
    first = _parse(text, region)
    if first is not None and phonenumbers.is_valid_number(first):
        return _e164(first)
    body = _LEADING_NON_NUMBER.sub("", text)
    if body.startswith(("00", "００")):
        second = _parse("+" + body[2:], None)
        if second is not None and phonenumbers.is_valid_number(second):
            return _e164(second)
    if (
        first is not None
        and phonenumbers.is_possible_number_with_reason(first)
        == phonenumbers.ValidationResult.IS_POSSIBLE
    ):
        return _e164(first)
    return None


def normalise_phones(
    values: pd.Series, default_regions: pd.Series | str | None = None
) -> pd.Series:
    """Return phone numbers in E.164 form (``+14155550132``), or NA when not a phone number.

    Numbers are read with ``phonenumbers``: spacing, brackets, dots, dashes, ``tel:`` URIs,
    extensions (``ext. 12``, ``x12``; dropped), vanity letters and full-width digits are
    understood. A number written without its country code is read in its default region (the
    account's country); one written with ``+`` or ``00`` needs none. A number is kept when it is a
    valid number, or when its length is possible for its country (fictional and new ranges);
    anything else is NA. Two different valid numbers never give the same result.

    Parameters
    ----------
    values : pandas.Series
        Phone numbers as written (text; whole numbers stored as floats are read without ``.0``).
    default_regions : pandas.Series, str or None, optional
        ISO 3166-1 alpha-2 region used for numbers written without a country code: one for all
        rows, or a Series with the same index as ``values`` (e.g. ``accounts["country"]``).
        Unknown or null regions leave such numbers NA.

    Returns
    -------
    pandas.Series
        ``string`` dtype, same index as ``values``.

    Raises
    ------
    ValueError
        If ``default_regions`` is a Series whose index differs from that of ``values``.

    Examples
    --------
    >>> phones = pd.Series(["+1 (415) 555-0132", "415.555.0132 ext. 7", "020 7946 0958",
    ...                     "0044 20 7946 0958", "tel:+61-2-5550-1234", "12", None])
    >>> regions = pd.Series(["US", "US", "GB", "US", None, "US", "US"])
    >>> for phone in normalise_phones(phones, regions):
    ...     print(phone)
    +14155550132
    +14155550132
    +442079460958
    +442079460958
    +61255501234
    <NA>
    <NA>
    >>> normalise_phones(pd.Series(["(415) 555-0132"]), "US").tolist()
    ['+14155550132']
    """
    if isinstance(default_regions, pd.Series):
        if not default_regions.index.equals(values.index):
            raise ValueError(
                "default_regions must have the same index as values (one region per row). "
                "Got a Series with a different index instead."
            )
        regions = _map_unique(default_regions, _region)
    elif default_regions is None:
        regions = pd.Series(pd.NA, index=values.index, dtype="string")
    else:
        regions = pd.Series(_region(default_regions), index=values.index, dtype="string")

    present = values.notna().to_numpy()
    out = np.full(len(values), None, dtype=object)
    if present.any():
        # One parse per distinct (value, region) pair: factorize each, then their combination.
        value_codes, value_uniques = pd.factorize(values[present])
        region_codes, region_uniques = pd.factorize(regions[present])  # null region -> -1
        width = len(region_uniques) + 1
        pair_codes, pair_uniques = pd.factorize(
            value_codes.astype(np.int64) * width + (region_codes + 1)
        )
        mapped = np.array(
            [
                _phone_one(
                    _as_text(value_uniques[pair // width]),
                    str(region_uniques[pair % width - 1]) if pair % width else None,
                )
                for pair in pair_uniques
            ]
            + [None],
            dtype=object,
        )
        out[present] = mapped[pair_codes]
        logger.debug(
            "phones: %d distinct (value, region) pairs, %d not recognised as phone numbers",
            len(pair_uniques),
            int(sum(m is None for m in mapped[:-1])),
        )
    return pd.Series(out, index=values.index, dtype="string")


# ---------------------------------------------------------------------------------------------
# E-mails


@dataclass(frozen=True)
class _EmailRule:
    ignore_dots: bool
    tag_separator: str | None
    canonical_domain: str | None


@cache
def _email_rules(extra: str | None) -> dict[str, _EmailRule]:
    providers = load_reference("email_providers", extra)["providers"]
    rules: dict[str, _EmailRule] = {}
    for entry in providers.values():
        rule = _EmailRule(
            ignore_dots=bool(entry.get("ignore_dots", False)),
            tag_separator=entry.get("tag_separator") or None,
            canonical_domain=(entry.get("canonical_domain") or None),
        )
        for domain in entry["domains"]:
            rules[str(domain).strip().lower()] = rule
    return rules


_EMAIL = re.compile(
    r"""([^@\s<>()\[\],;:"]{1,64})@((?:[^@\s<>()\[\],;:".]+\.)+[^@\s<>()\[\],;:".]+)\.?"""
)


def _email_one(text: str, rules: dict[str, _EmailRule]) -> str | None:
    text = text.strip().lower()
    if text.startswith("mailto:"):
        text = text[len("mailto:") :].strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    match = _EMAIL.fullmatch(text)
    if match is None or len(text) > 254:
        return None
    local, domain = match.groups()
    rule = rules.get(domain)
    if rule is not None:
        if rule.tag_separator is not None:
            local = local.split(rule.tag_separator, 1)[0]
        if rule.ignore_dots:
            local = local.replace(".", "")
        domain = rule.canonical_domain or domain
    if not local or local.startswith(".") or local.endswith("."):
        return None
    return f"{local}@{domain}"


def normalise_emails(
    values: pd.Series, *, providers: str | os.PathLike[str] | None = None
) -> pd.Series:
    """Return e-mail addresses in one comparable form, or NA when not an e-mail address.

    Addresses are trimmed and lower-cased (``mailto:`` and enclosing ``<>`` removed). For the
    providers in ``fintrak/reference/email_providers.yaml`` the parts their mailboxes ignore are
    removed: Gmail ignores dots and plus-tags and treats googlemail.com as gmail.com; Outlook.com,
    Fastmail and Proton ignore plus-tags. Other domains keep their dots and tags (an organisation
    may give ``a.b`` and ``ab`` to different people).

    Parameters
    ----------
    values : pandas.Series
        E-mail addresses as written.
    providers : path-like, optional
        A YAML file of more provider rules, same shape as the shipped file (merged by provider
        name).

    Returns
    -------
    pandas.Series
        ``string`` dtype, same index as ``values``.

    Examples
    --------
    >>> emails = pd.Series([" Jane.Doe+ads@GoogleMail.com", "janedoe@gmail.com",
    ...                     "jane.doe+x@outlook.com", "jane.doe+x@example.org",
    ...                     "not an email", None])
    >>> for email in normalise_emails(emails):
    ...     print(email)
    janedoe@gmail.com
    janedoe@gmail.com
    jane.doe@outlook.com
    jane.doe+x@example.org
    <NA>
    <NA>
    """
    rules = _email_rules(None if providers is None else str(os.fspath(providers)))
    out = _map_unique(values, lambda v: _email_one(_as_text(v), rules))
    logger.debug(
        "emails: %d values, %d not recognised as e-mail addresses",
        int(values.notna().sum()),
        int((values.notna() & out.isna()).sum()),
    )
    return out


# ---------------------------------------------------------------------------------------------
# Addresses

#: Unit designator -> the one form kept (``units="keep"``).
_UNIT_FORMS = {
    "apt": "unit",
    "apartment": "unit",
    "unit": "unit",
    "suite": "unit",
    "ste": "unit",
    "flat": "unit",
    "room": "unit",
    "rm": "unit",
    "#": "unit",
    "bldg": "bldg",
    "building": "bldg",
    "floor": "floor",
    "level": "floor",
    "lvl": "floor",
    "lot": "lot",
    "space": "spc",
    "spc": "spc",
}
_UNIT_WORDS = "|".join(sorted((w for w in _UNIT_FORMS if w != "#"), key=len, reverse=True))
_UNIT = re.compile(
    rf"(?:\b(?P<word>{_UNIT_WORDS})\b\.?|(?P<hash>#))"
    r"\s*#?\s*(?=[a-z]?\d|[a-z]\b)(?P<id>[a-z0-9]+(?:-[a-z0-9]+)?)\b"
)
_LEADING_UNIT = re.compile(r"^\s*(?P<id>[a-z0-9]+)\s*/\s*(?=\d)")  # "4/12 smith st" (unit 4)
_PO_BOX = re.compile(r"\b(?:p\s*\.?\s*o\s*\.?|post\s+office)\s*box\b")
_NOT_WORD = re.compile(r"[\W_]+")
_STREET_WORDS = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "aven": "ave",
    "road": "rd",
    "drive": "dr",
    "drv": "dr",
    "boulevard": "blvd",
    "boul": "blvd",
    "lane": "ln",
    "court": "ct",
    "crt": "ct",
    "place": "pl",
    "terrace": "ter",
    "terr": "ter",
    "highway": "hwy",
    "parkway": "pkwy",
    "pky": "pkwy",
    "circle": "cir",
    "crescent": "cres",
    "square": "sq",
    "close": "cl",
    "trail": "trl",
    "plaza": "plz",
    "alley": "aly",
    "expressway": "expy",
    "freeway": "fwy",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}


def _fold(text: str) -> str:
    """Lower-case and strip accents (``Straße`` -> ``strasse``, ``Église`` -> ``eglise``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _address_one(text: str, keep_units: bool) -> str | None:
    text = _fold(text)
    units: list[str] = []
    leading = _LEADING_UNIT.match(text)
    if leading is not None:
        units.append(f"unit {leading['id']}")
        text = text[leading.end() :]
    text = _PO_BOX.sub(" po box ", text)

    def unit(match: re.Match[str]) -> str:
        designator = match["word"] or match["hash"]
        units.append(f"{_UNIT_FORMS[designator]} {match['id']}")
        return " "

    text = _UNIT.sub(unit, text)
    words = [_STREET_WORDS.get(w, w) for w in _NOT_WORD.sub(" ", text).split()]
    if keep_units:
        words.extend(units)
    return " ".join(words) or None


def normalise_addresses(values: pd.Series, *, units: Literal["keep", "drop"] = "keep") -> pd.Series:
    """Return street addresses in one comparable form, or NA when empty.

    Lower case without accents; punctuation and repeated spaces removed; street types and
    directions abbreviated (``street`` -> ``st``, ``avenue`` -> ``ave``, ``north`` -> ``n``);
    ``P.O. Box`` -> ``po box``. Unit designators (``apt``, ``apartment``, ``unit``, ``suite``,
    ``ste``, ``flat``, ``room``, ``#``; ``4/12 Smith St`` is unit 4) are written ``unit N`` at the
    end, and floor, building, lot and space designators ``floor N``, ``bldg N``, ``lot N``,
    ``spc N``. With ``units="drop"`` they are removed instead, so every unit of a building shares
    one address (what ``fintrak.features.population.normalise_address`` does; every pair of
    addresses that function makes equal, this one makes equal too).

    Parameters
    ----------
    values : pandas.Series
        Street addresses as written.
    units : {"keep", "drop"}, default "keep"
        Keep unit designators in one form (link a flat) or drop them (link a building).

    Returns
    -------
    pandas.Series
        ``string`` dtype, same index as ``values``.

    Examples
    --------
    >>> addresses = pd.Series(["12 Main St., Apt 4B", "12 main street #4b", "Suite 4B, 12 MAIN ST",
    ...                        "4B/12 Main Street", "12 Main St", None])
    >>> for address in normalise_addresses(addresses):
    ...     print(address)
    12 main st unit 4b
    12 main st unit 4b
    12 main st unit 4b
    12 main st unit 4b
    12 main st
    <NA>
    >>> normalise_addresses(addresses, units="drop").unique().tolist()
    ['12 main st', <NA>]
    """
    if units not in ("keep", "drop"):
        raise ValueError(f"units must be 'keep' or 'drop'. Got {units!r} instead.")
    keep = units == "keep"
    return _map_unique(values, lambda v: _address_one(_as_text(v), keep))


# ---------------------------------------------------------------------------------------------
# Devices, the long table and keyed hashes


def normalise_devices(values: pd.Series) -> pd.Series:
    """Return device ids trimmed of surrounding spaces, or NA when empty.

    Device ids are opaque (a vendor's fingerprint, an app install id): nothing but spacing is
    changed, so case-sensitive ids stay distinct.

    Examples
    --------
    >>> normalise_devices(pd.Series([" dev-1 ", "", None])).tolist()
    ['dev-1', <NA>, <NA>]
    """
    return _map_unique(values, lambda v: _as_text(v).strip() or None)


def account_identifiers(
    accounts: pd.DataFrame, transactions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Return every normalised identifier of every account, one row per (account, kind, value).

    Phones (read in the account's ``country``), e-mails and addresses (units kept) come from the
    accounts table; device ids from ``transactions.device_id`` when that optional column is
    present and holds a value. Columns an input lacks are skipped.

    Parameters
    ----------
    accounts : pandas.DataFrame
        The canonical accounts table (:data:`fintrak.schema.ACCOUNTS`): ``account_id`` and any of
        ``phone``, ``email``, ``address``, ``country``.
    transactions : pandas.DataFrame, optional
        The canonical transactions table (``account_id``, ``device_id``).

    Returns
    -------
    pandas.DataFrame
        Columns ``account_id``, ``kind`` (phone, email, address or device) and ``value``, all
        ``string`` dtype, sorted, without nulls or duplicates.

    Raises
    ------
    ValueError
        If a table given has no ``account_id`` column.

    Examples
    --------
    >>> accounts = pd.DataFrame({"account_id": ["A1", "A2"],
    ...                          "phone": ["(415) 555-0132", "+1 415 555 0132"],
    ...                          "email": ["Jane.Doe@gmail.com", None],
    ...                          "address": [None, "12 Main Street, Apt 4"],
    ...                          "country": ["US", "GB"]})
    >>> print(account_identifiers(accounts).to_string(index=False))
    account_id    kind             value
            A1   email janedoe@gmail.com
            A1   phone      +14155550132
            A2 address 12 main st unit 4
            A2   phone      +14155550132
    """
    for name, table in (("accounts", accounts), ("transactions", transactions)):
        if table is not None and "account_id" not in table.columns:
            raise ValueError(
                f"{name} must have an account_id column. Got columns {list(table.columns)} instead."
            )
    ids = accounts["account_id"]
    parts: list[tuple[str, pd.Series, pd.Series]] = []
    if "phone" in accounts.columns:
        regions = accounts["country"] if "country" in accounts.columns else None
        parts.append(("phone", ids, normalise_phones(accounts["phone"], regions)))
    if "email" in accounts.columns:
        parts.append(("email", ids, normalise_emails(accounts["email"])))
    if "address" in accounts.columns:
        parts.append(("address", ids, normalise_addresses(accounts["address"])))
    if (
        transactions is not None
        and "device_id" in transactions.columns
        and transactions["device_id"].notna().any()
    ):
        seen = transactions.loc[transactions["device_id"].notna(), ["account_id", "device_id"]]
        seen = seen.drop_duplicates()
        parts.append(("device", seen["account_id"], normalise_devices(seen["device_id"])))
    frames = [
        pd.DataFrame(
            {
                "account_id": pd.array(account_id.to_numpy(dtype=object), dtype="string"),
                "kind": pd.array([kind] * len(value), dtype="string"),
                "value": pd.array(value.to_numpy(dtype=object), dtype="string"),
            }
        )
        for kind, account_id, value in parts
    ]
    if not frames:
        return pd.DataFrame(
            {c: pd.array([], dtype="string") for c in ("account_id", "kind", "value")}
        )
    long = pd.concat(frames, ignore_index=True).dropna()
    long = long.drop_duplicates().sort_values(["account_id", "kind", "value"], ignore_index=True)
    logger.debug(
        "identifiers: %d rows for %d accounts (%s)",
        len(long),
        long["account_id"].nunique(),
        ", ".join(f"{k} {n}" for k, n in long["kind"].value_counts().sort_index().items()),
    )
    return long


def _check_key(key: object) -> bytes:
    if not isinstance(key, bytes | bytearray):
        raise ConfigError(f"key must be bytes. Got {type(key).__name__} instead.")
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(
            f"the sharing key must be at least {MIN_KEY_BYTES} bytes long. Got {len(key)} bytes "
            "instead.\n  fix: agree a longer random key with the other party, e.g. the output of "
            '`python -c "import secrets; print(secrets.token_hex(32))"`'
        )
    return bytes(key)


def hash_identifiers(values: pd.DataFrame, key: bytes) -> pd.Series:
    """Return the HMAC-SHA256 (hex) of ``kind:value`` for each row, keyed with ``key``.

    The kind is part of the message, so a phone and an e-mail never collide. Values must already
    be normalised (:func:`account_identifiers`): both parties must normalise the same way, with the
    same key, for equal identifiers to give equal hashes.

    Parameters
    ----------
    values : pandas.DataFrame
        Columns ``kind`` and ``value`` (e.g. from :func:`account_identifiers`).
    key : bytes
        The shared secret, at least :data:`MIN_KEY_BYTES` bytes.

    Returns
    -------
    pandas.Series
        ``string`` dtype, 64 lower-case hex characters, NA where ``kind`` or ``value`` is null;
        same index as ``values``.

    Raises
    ------
    ConfigError
        If the key is not bytes or is too short.

    Examples
    --------
    >>> ids = pd.DataFrame({"kind": ["phone", "email"], "value": ["+14155550132", None]})
    >>> digests = hash_identifiers(ids, key=b"k" * 32)
    >>> digests[0][:16], digests[1]
    ('ee4d999f7f683ed5', <NA>)
    """
    secret = _check_key(key)
    missing = [c for c in ("kind", "value") if c not in values.columns]
    if missing:
        raise ValueError(
            f"values must have columns 'kind' and 'value'. Got columns {list(values.columns)} "
            "instead."
        )
    message = values["kind"].astype("string") + ":" + values["value"].astype("string")

    def digest(text: object) -> str:
        return hmac.new(secret, str(text).encode("utf-8"), hashlib.sha256).hexdigest()

    return _map_unique(message, digest)
