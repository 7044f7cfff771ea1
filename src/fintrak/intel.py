"""Match outside intelligence against the bank's own data: per-account evidence, no raw values.

The ``intel`` table (:data:`fintrak.schema.INTEL`) holds identifiers found outside the bank, for
example phone numbers scraped from online commercial-sex ads (catalogue row A3; FinCEN
FIN-2020-A008). :func:`match_intel` finds them in the bank's data:

- ``kyc_phone``: intel phones vs the holder's KYC phone (E.164; intel numbers written without a
  country code are read in the account's country);
- ``kyc_email``: intel e-mails vs the holder's KYC e-mail (case, and the dots and plus-tags the
  provider ignores);
- ``kyc_address``: intel addresses vs the holder's KYC address (units kept);
- ``memo_phone``: intel phones vs numbers written in transaction memos (found with
  ``phonenumbers.PhoneNumberMatcher``, the account's country as region);
- ``memo_email``: intel e-mails vs e-mail addresses written in transaction memos;
- ``descriptor``: intel merchant descriptors (ad sites) vs the counterparty names of card and
  ``other``-channel transactions (case-insensitive substring);
- ``device``, ``ip``: intel devices and IP addresses vs ``transactions.device_id`` and
  ``transactions.ip`` (optional columns).

Intel kinds ``url``, ``handle`` and ``name`` have nothing to be compared with and are skipped.
Every identifier is normalised by :mod:`fintrak.identifiers` (IP addresses by the standard
library's ``ipaddress``; descriptors are case-folded with runs of spaces collapsed), and every
normalisation and text search runs once per distinct value, never once per row. The result holds
counts, dates and opaque integer keys only: no phone number, e-mail, address, descriptor, device
or IP ever appears in it or in a log record.

This is the evidence layer behind ``scores.parquet.intel_matches`` (:func:`intel_match_counts`)
and the intel evidence of each alert (:func:`evidence_records`); the population feature
``intel_phone_matches`` (:mod:`fintrak.features.population`) is a separate model input.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import datetime
from ipaddress import ip_address
from typing import Any

import numpy as np
import pandas as pd
import phonenumbers

from fintrak.features.context import resolve_as_of
from fintrak.identifiers import (
    account_identifiers,
    normalise_addresses,
    normalise_devices,
    normalise_emails,
    normalise_phones,
)

__all__ = [
    "DESCRIPTOR_CHANNELS",
    "MATCHED_ON",
    "MATCH_COLUMNS",
    "MIN_DESCRIPTOR_CHARS",
    "evidence_records",
    "intel_match_counts",
    "match_intel",
]

logger = logging.getLogger(__name__)

#: Where an intel value was found, in output order.
MATCHED_ON: tuple[str, ...] = (
    "kyc_phone",
    "kyc_email",
    "kyc_address",
    "memo_phone",
    "memo_email",
    "descriptor",
    "device",
    "ip",
)
#: Columns of :func:`match_intel`'s result.
MATCH_COLUMNS: tuple[str, ...] = (
    "account_id",
    "kind",
    "matched_on",
    "source",
    "intel_first_seen",
    "first_date",
    "last_date",
    "transactions",
    "values",
    "value_keys",
)
#: Channels whose counterparty names are compared with intel merchant descriptors (card payments,
#: present or not, and payment processors and other online channels).
DESCRIPTOR_CHANNELS: tuple[str, ...] = ("card", "other")
#: Shortest intel descriptor used (after normalising): a shorter one would be a substring of
#: countless unrelated merchant names.
MIN_DESCRIPTOR_CHARS = 4

_KINDS = ("phone", "email", "merchant", "address", "device", "ip")
_GROUP = ["account_id", "kind", "matched_on", "source"]
_TS = "datetime64[us, UTC]"
_NO_REGION = ""
_LETTER = re.compile(r"[A-Za-z]")
_TAIL = 6  # digits of a national number compared before parsing (see _phone_tails)
_EMAIL_SPLIT = re.compile(r"[\s,;]+")
_EMAIL_TRIM = "\"'()[]{},;:!?."
_SPACES = re.compile(r"\s+")


# ---------------------------------------------------------------------------------------------
# Small helpers


def _utc(values: pd.Series) -> pd.Series:
    """Return ``values`` as UTC timestamps (naive values are read as UTC)."""
    out = pd.to_datetime(values, utc=True)
    return out.astype(_TS)


def _region_key(country: pd.Series) -> pd.Series:
    """Return the raw country as the phone-region key ("" when unknown)."""
    return country.astype("string").str.strip().fillna(_NO_REGION).astype(object)


def _descriptor(values: pd.Series) -> pd.Series:
    """Return descriptors case-folded, with runs of spaces collapsed and ends trimmed."""
    text = values.astype("string").str.lower().str.replace(_SPACES.pattern, " ", regex=True)
    text = text.str.strip()
    return text.mask(text == "")


def _ip_one(text: str) -> str | None:
    try:
        return ip_address(text).compressed
    except ValueError:
        return None


def _ips(values: pd.Series) -> pd.Series:
    """Return IP addresses in their compressed standard form, NA when not an IP address."""
    trimmed = normalise_devices(values)
    codes, uniques = pd.factorize(trimmed)
    mapped = np.array([_ip_one(str(u)) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[np.where(codes >= 0, codes, len(uniques))], index=values.index)


def _phone_tails(e164: pd.Series) -> set[str]:
    """Return the last :data:`_TAIL` digits of each number's national significant number.

    Whatever way a number is written, these digits appear in it contiguously (prefix
    transformations such as Argentina's ``15`` only rewrite the front, and a subscriber number
    has at least six digits); so text whose digits hold no tail cannot be any of these numbers.
    """
    tails: set[str] = set()
    for value in e164.dropna().unique():
        try:
            number = phonenumbers.parse(str(value), None)
        except phonenumbers.NumberParseException:  # pragma: no cover - E.164 always parses
            continue
        tails.add(phonenumbers.national_significant_number(number)[-_TAIL:])
    return tails


def _digits(text: str) -> str:
    digits = "".join(c for c in text if c.isdecimal())
    if not digits.isascii():  # full-width and other scripts' digits
        digits = "".join(str(unicodedata.decimal(c)) for c in digits)
    return digits


def _may_be_phone(values: pd.Series, tails: set[str], *, letters: bool) -> np.ndarray:
    """Return a mask: the text may hold one of the numbers ``tails`` came from.

    A cheap test per distinct value, so that ``phonenumbers`` reads only the few candidates.
    With ``letters``, text holding three or more letters always passes (``phonenumbers`` reads
    vanity letters as keypad digits).
    """
    lengths = sorted({len(t) for t in tails})

    def maybe(value: object) -> bool:
        text = str(value)
        if letters and len(_LETTER.findall(text)) >= 3:
            return True
        digits = _digits(text)
        return any(digits[i : i + n] in tails for n in lengths for i in range(len(digits) - n + 1))

    codes, uniques = pd.factorize(values)
    mapped = np.array([maybe(u) for u in uniques] + [False], dtype=bool)
    return mapped[np.where(codes >= 0, codes, len(uniques))]


def _memo_phones(text: str, region: str) -> list[str]:
    """Return the raw phone-number candidates written in one memo."""
    matcher = phonenumbers.PhoneNumberMatcher(
        text, region or "ZZ", leniency=phonenumbers.Leniency.POSSIBLE
    )
    return [match.raw_string for match in matcher]


def _memo_emails(text: str) -> list[str]:
    """Return the raw e-mail candidates (tokens holding an ``@``) of one memo."""
    if "@" not in text:
        return []
    return [t.strip(_EMAIL_TRIM) for t in _EMAIL_SPLIT.split(text) if "@" in t]


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": pd.array([], dtype="string"),
            "kind": pd.array([], dtype="string"),
            "matched_on": pd.array([], dtype="string"),
            "source": pd.array([], dtype="string"),
            "intel_first_seen": pd.Series([], dtype=_TS),
            "first_date": pd.Series([], dtype=_TS),
            "last_date": pd.Series([], dtype=_TS),
            "transactions": pd.Series([], dtype="int64"),
            "values": pd.Series([], dtype="int64"),
            "value_keys": pd.Series([], dtype=object),
        }
    )


# ---------------------------------------------------------------------------------------------
# The intel side: one row per (kind, region, normalised value, source)


def _prepare_intel(intel: pd.DataFrame, cutoff: pd.Timestamp, regions: list[str]) -> pd.DataFrame:
    """Return the usable intel, normalised: kind, region, norm, key, source, first_seen.

    ``region`` is "" except for phones, which are read once per account region (a number
    written without a country code means a different line in each country). ``key`` is an
    opaque integer per distinct (kind, normalised value).
    """
    kind = intel["kind"].astype("string").str.strip().str.lower()
    first_seen = (
        _utc(intel["first_seen"])
        if "first_seen" in intel.columns
        else pd.Series(pd.NaT, index=intel.index, dtype=_TS)
    )
    source = (
        intel["source"].astype("string")
        if "source" in intel.columns
        else pd.Series(pd.NA, index=intel.index, dtype="string")
    )
    keep = (
        kind.isin(_KINDS).to_numpy(dtype=bool, na_value=False)
        & intel["value"].notna().to_numpy()
        & (first_seen.isna() | (first_seen <= cutoff)).to_numpy(dtype=bool)
    )
    rows = pd.DataFrame(
        {
            "kind": kind[keep].astype(object),
            "value": intel.loc[keep, "value"].astype(object),
            "source": source[keep],
            "first_seen": first_seen[keep],
        }
    )
    # One row per distinct (kind, raw value, source): the earliest first_seen.
    rows = rows.groupby(["kind", "value", "source"], dropna=False, sort=False, as_index=False)[
        "first_seen"
    ].min()
    parts: list[pd.DataFrame] = []
    for name, group in rows.groupby("kind", sort=True):
        raw = pd.Series(group["value"].unique(), dtype=object)
        if name == "phone":
            for region in regions:
                norm = normalise_phones(raw, region or None)
                parts.append(_normalised(group, name, region, raw, norm))
            continue
        if name == "email":
            norm = normalise_emails(raw)
        elif name == "address":
            norm = normalise_addresses(raw)
        elif name == "merchant":
            norm = _descriptor(raw)
            norm = norm.mask(norm.str.len() < MIN_DESCRIPTOR_CHARS)
        elif name == "device":
            norm = normalise_devices(raw)
        else:  # ip
            norm = _ips(raw)
        parts.append(_normalised(group, str(name), _NO_REGION, raw, norm))
    if not parts:
        return pd.DataFrame(columns=["kind", "region", "norm", "key", "source", "first_seen"])
    table = pd.concat(parts, ignore_index=True)
    table = table.groupby(
        ["kind", "region", "norm", "source"], dropna=False, sort=False, as_index=False
    )["first_seen"].min()
    pairs = table[["kind", "norm"]].drop_duplicates().sort_values(["kind", "norm"])
    pairs["key"] = np.arange(len(pairs), dtype=np.int64)
    table = table.merge(pairs, on=["kind", "norm"], how="left")
    logger.debug(
        "intel: %d usable records, %d distinct normalised identifiers (%s)",
        int(keep.sum()),
        len(pairs),
        ", ".join(f"{k} {n}" for k, n in pairs["kind"].value_counts().sort_index().items()),
    )
    return table


def _normalised(
    group: pd.DataFrame, kind: str, region: str, raw: pd.Series, norm: pd.Series
) -> pd.DataFrame:
    lookup = pd.Series(norm.to_numpy(dtype=object), index=raw.to_numpy(dtype=object))
    out = pd.DataFrame(
        {
            "kind": kind,
            "region": region,
            "norm": group["value"].map(lookup).to_numpy(dtype=object),
            "source": group["source"].astype("string").array,
            "first_seen": group["first_seen"].astype(_TS).array,
        }
    )
    return out[out["norm"].notna()]


# ---------------------------------------------------------------------------------------------
# The bank side


def _kyc_hits(
    accounts: pd.DataFrame, table: pd.DataFrame, account_region: pd.Series, tails: set[str]
) -> pd.DataFrame:
    """Return (account_id, kind, matched_on, key) for KYC phones, e-mails and addresses."""
    if not len(accounts) or not len(table):
        return pd.DataFrame(columns=["account_id", "kind", "matched_on", "key", "region"])
    kinds = set(table["kind"])
    wanted = pd.DataFrame({"account_id": accounts["account_id"]})
    if "country" in accounts.columns:
        wanted["country"] = accounts["country"]
    if "phone" in accounts.columns and tails:
        phone = accounts["phone"]
        wanted["phone"] = phone.where(_may_be_phone(phone, tails, letters=True))
    for column in ("email", "address"):
        if column in accounts.columns and column in kinds:
            wanted[column] = accounts[column]
    kyc = account_identifiers(wanted)
    kyc = kyc.astype(object)
    kyc["region"] = _NO_REGION
    phone = (kyc["kind"] == "phone").to_numpy()
    kyc.loc[phone, "region"] = kyc.loc[phone, "account_id"].map(account_region).fillna(_NO_REGION)
    kyc = kyc.rename(columns={"value": "norm"})
    keys = table[["kind", "region", "norm", "key"]].drop_duplicates()
    hits = kyc.merge(keys, on=["kind", "region", "norm"], how="inner")
    hits["matched_on"] = "kyc_" + hits["kind"]
    return hits[["account_id", "kind", "matched_on", "key", "region"]]


def _codes(values: pd.Series, use: np.ndarray) -> tuple[np.ndarray, pd.Series]:
    """Factorize a transactions column once; rows outside ``use`` (and nulls) get code -1."""
    codes, uniques = pd.factorize(values)
    codes = np.where(use, codes, -1)
    return codes, pd.Series(np.asarray(uniques, dtype=object), dtype=object)


def _code_hits(
    codes: np.ndarray, code_keys: pd.DataFrame, matched_on: str, rows: np.ndarray | None = None
) -> pd.DataFrame:
    """Spread (code, kind, region, key) matches over the rows whose code matched.

    ``codes`` holds one code per transaction (-1: not searched), or one per position in
    ``rows`` when it is given.
    """
    if not len(code_keys):
        return pd.DataFrame(columns=["row", "kind", "region", "key", "matched_on"])
    lut = np.zeros(int(codes.max(initial=-1)) + 2, dtype=bool)
    lut[code_keys["code"].to_numpy(dtype=np.int64)] = True
    sel = np.flatnonzero(lut[codes])  # code -1 reads the last slot, which is never set
    picked = pd.DataFrame({"row": sel if rows is None else rows[sel], "code": codes[sel]})
    out = picked.merge(code_keys, on="code", how="inner").drop(columns="code")
    out["matched_on"] = matched_on
    return out


def _memo_hits(
    transactions: pd.DataFrame,
    in_time: np.ndarray,
    account_region: pd.Series,
    table: pd.DataFrame,
    tails: set[str],
) -> list[pd.DataFrame]:
    """Phones and e-mails written in memos (one search per distinct memo, and region)."""
    codes, uniques = _codes(transactions["memo"], in_time)
    texts = [str(u) for u in uniques]
    out: list[pd.DataFrame] = []

    phones = table[table["kind"] == "phone"][["kind", "region", "norm", "key"]].drop_duplicates()
    if tails and len(phones):
        phone_memo = np.append(_may_be_phone(uniques, tails, letters=False), False)
        rows = np.flatnonzero(phone_memo[codes])
        # The region of a memo is its account's country: one search per (memo, region) pair.
        region = transactions["account_id"].iloc[rows].map(account_region).to_numpy(object)
        region[pd.isna(region)] = _NO_REGION
        region_codes, region_uniques = pd.factorize(region)
        width = max(len(region_uniques), 1)
        pair_codes, pair_uniques = pd.factorize(codes[rows].astype(np.int64) * width + region_codes)
        cand_pair: list[int] = []
        cand_raw: list[str] = []
        cand_region: list[str] = []
        for pair, unique in enumerate(pair_uniques):
            reg = str(region_uniques[unique % width])
            for raw in _memo_phones(texts[unique // width], reg):
                cand_pair.append(pair)
                cand_raw.append(raw)
                cand_region.append(reg)
        logger.debug(
            "memo phones: %d distinct (memo, region) pairs searched, %d candidate numbers",
            len(pair_uniques),
            len(cand_raw),
        )
        if cand_raw:
            cand = pd.DataFrame({"code": cand_pair, "region": cand_region})
            cand["norm"] = normalise_phones(
                pd.Series(cand_raw, dtype=object),
                pd.Series(cand_region, dtype=object).replace(_NO_REGION, None),
            ).astype(object)
            code_keys = cand.merge(phones, on=["region", "norm"], how="inner")
            code_keys = code_keys[["code", "kind", "region", "key"]].drop_duplicates()
            out.append(_code_hits(pair_codes, code_keys, "memo_phone", rows))

    emails = table[table["kind"] == "email"][["kind", "region", "norm", "key"]].drop_duplicates()
    if len(emails):
        cand_code: list[int] = []
        cand_raw = []
        for code, text in enumerate(texts):
            for raw in _memo_emails(text):
                cand_code.append(code)
                cand_raw.append(raw)
        logger.debug("memo e-mails: %d candidate addresses", len(cand_raw))
        if cand_raw:
            cand = pd.DataFrame({"code": cand_code})
            cand["norm"] = normalise_emails(pd.Series(cand_raw, dtype=object)).astype(object)
            code_keys = cand.merge(emails, on="norm", how="inner")
            code_keys = code_keys[["code", "kind", "region", "key"]].drop_duplicates()
            out.append(_code_hits(codes, code_keys, "memo_email"))
    return out


def _descriptor_hits(names: pd.Series, use: np.ndarray, table: pd.DataFrame) -> pd.DataFrame:
    """Counterparty names holding an intel descriptor (one search per distinct name)."""
    merchants = table[table["kind"] == "merchant"][["kind", "region", "norm", "key"]]
    merchants = merchants.drop_duplicates()
    codes, uniques = _codes(names, use)
    folded = _descriptor(uniques)
    descriptors = sorted(merchants["norm"].unique(), key=len, reverse=True)
    pattern = "|".join(re.escape(d) for d in descriptors)
    hit = folded.str.contains(pattern, regex=True).to_numpy(dtype=bool, na_value=False)
    found_code: list[int] = []
    found_norm: list[str] = []
    for code in np.flatnonzero(hit):
        text = str(folded.iloc[code])
        for descriptor in descriptors:
            if descriptor in text:
                found_code.append(int(code))
                found_norm.append(descriptor)
    logger.debug(
        "descriptors: %d distinct counterparty names, %d contain an intel descriptor",
        len(uniques),
        len(set(found_code)),
    )
    found = pd.DataFrame({"code": found_code, "norm": found_norm}, dtype=object)
    code_keys = found.merge(merchants, on="norm", how="inner")[["code", "kind", "region", "key"]]
    return _code_hits(codes, code_keys, "descriptor")


def _column_hits(
    values: pd.Series, use: np.ndarray, table: pd.DataFrame, kind: str
) -> pd.DataFrame:
    """Device ids or IP addresses equal to intel values (normalised once per distinct value)."""
    wanted = table[table["kind"] == kind][["kind", "region", "norm", "key"]].drop_duplicates()
    codes, uniques = _codes(values, use)
    norm = normalise_devices(uniques) if kind == "device" else _ips(uniques)
    found = pd.DataFrame({"code": np.arange(len(uniques)), "norm": norm.astype(object)})
    code_keys = found.merge(wanted, on="norm", how="inner")[["code", "kind", "region", "key"]]
    return _code_hits(codes, code_keys, kind)


# ---------------------------------------------------------------------------------------------
# Public API


def match_intel(
    transactions: pd.DataFrame,
    accounts: pd.DataFrame | None,
    intel: pd.DataFrame | None,
    *,
    as_of: str | pd.Timestamp | datetime | None = None,
) -> pd.DataFrame:
    """Find outside intelligence in the bank's KYC data and transactions, one row per finding.

    Intel phones are compared with KYC phones and with numbers written in memos; e-mails with KYC
    e-mails and e-mails in memos; merchant descriptors (ad sites) with the counterparty names of
    card and ``other``-channel transactions (case-insensitive substring); addresses with KYC
    addresses; devices and IP addresses with ``transactions.device_id`` and ``transactions.ip``
    when those optional columns are present. Intel numbers and memo numbers written without a
    country code are read in the country of the account they are compared with. Every value is
    normalised by :mod:`fintrak.identifiers` once per distinct value.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Canonical transactions (:data:`fintrak.schema.TRANSACTIONS`): ``account_id``,
        ``timestamp`` and any of ``channel``, ``counterparty_name``, ``memo``, ``device_id``,
        ``ip``.
    accounts : pandas.DataFrame or None
        Canonical accounts (``account_id`` and any of ``phone``, ``email``, ``address``,
        ``country``). Without it there are no KYC matches and memo numbers need a country code.
    intel : pandas.DataFrame or None
        Canonical intel (``kind``, ``value``, optional ``source`` and ``first_seen``). Kinds
        ``url``, ``handle`` and ``name`` are not matched.
    as_of : str, Timestamp, datetime or None, optional
        Cut-off: transactions after it and intel first seen after it are ignored (intel without
        ``first_seen`` is kept). A date means the end of that day; naive times are UTC. Default:
        the last transaction's timestamp.

    Returns
    -------
    pandas.DataFrame
        One row per (``account_id``, ``kind``, ``matched_on``, ``source``), sorted by them:

        - ``kind`` : the intel kind (phone, email, merchant, address, device, ip);
        - ``matched_on`` : one of :data:`MATCHED_ON`;
        - ``source`` : the intel source (null when the intel row had none);
        - ``intel_first_seen`` : earliest ``first_seen`` of the matched intel values (UTC);
        - ``first_date``, ``last_date`` : first and last matching transaction (UTC; null for
          KYC matches);
        - ``transactions`` : matching transactions (0 for KYC matches);
        - ``values`` : distinct intel identifiers matched (after normalising);
        - ``value_keys`` : sorted list of opaque integer keys of those identifiers, valid within
          this result only (so that :func:`intel_match_counts` counts each identifier once per
          account); they reveal nothing about the values.

        No raw or normalised identifier appears in the result.

    Raises
    ------
    ValueError
        If a table lacks a column this function needs, or ``as_of`` is None and there are no
        transactions.

    See Also
    --------
    intel_match_counts : distinct intel identifiers per account.
    evidence_records : the JSON evidence of one account.

    Examples
    --------
    >>> transactions = pd.DataFrame({
    ...     "account_id": ["A1", "A2", "A2"],
    ...     "timestamp": pd.to_datetime(["2025-01-03", "2025-01-05", "2025-02-01"], utc=True),
    ...     "channel": ["p2p", "card", "card"],
    ...     "counterparty_name": [None, "SQ *NIGHTLISTR.COM 800", "GROCERY"],
    ...     "memo": ["call me 415.555.0132", None, None]})
    >>> accounts = pd.DataFrame({"account_id": ["A1", "A2"],
    ...                          "phone": ["(415) 555-0132", "(212) 555-0199"],
    ...                          "country": ["US", "US"]})
    >>> intel = pd.DataFrame({"kind": ["phone", "merchant"],
    ...                       "value": ["text me +1 415 555 0132", "nightlistr.com"],
    ...                       "source": ["ad-scraper", "ngo"],
    ...                       "first_seen": pd.to_datetime(["2024-12-01", "2024-11-01"], utc=True)})
    >>> matches = match_intel(transactions, accounts, intel)
    >>> matches[["account_id", "matched_on", "source", "transactions", "values"]]
      account_id  matched_on      source  transactions  values
    0         A1   kyc_phone  ad-scraper             0       1
    1         A1  memo_phone  ad-scraper             1       1
    2         A2  descriptor         ngo             1       1
    """
    for name, table, needed in (
        ("transactions", transactions, ("account_id", "timestamp")),
        ("accounts", accounts, ("account_id",)),
        ("intel", intel, ("kind", "value")),
    ):
        if table is None:
            continue
        missing = [c for c in needed if c not in table.columns]
        if missing:
            raise ValueError(
                f"{name} must have columns {list(needed)}. Got columns {list(table.columns)} "
                "instead."
            )
    if intel is None or not len(intel):
        return _empty()
    timestamps = transactions["timestamp"]
    if getattr(timestamps.dtype, "tz", None) is None:
        timestamps = _utc(timestamps)
    cutoff = resolve_as_of(as_of, timestamps)

    if accounts is not None and len(accounts):
        kyc = accounts.drop_duplicates("account_id")
        country = kyc["country"] if "country" in kyc.columns else pd.Series(pd.NA, index=kyc.index)
        account_region = pd.Series(
            _region_key(country).to_numpy(), index=kyc["account_id"].to_numpy(dtype=object)
        )
    else:
        kyc = None
        account_region = pd.Series([], dtype=object)
    regions = sorted(set(account_region.tolist()) | {_NO_REGION})
    table = _prepare_intel(intel, cutoff, regions)
    if not len(table):
        return _empty()
    tails = _phone_tails(table.loc[table["kind"] == "phone", "norm"])

    # Transactions up to the cut-off: masks and codes only, no copy of the table.
    in_time = (timestamps <= cutoff).to_numpy(dtype=bool, na_value=False)
    hits: list[pd.DataFrame] = []
    if "memo" in transactions.columns:
        hits.extend(_memo_hits(transactions, in_time, account_region, table, tails))
    if "counterparty_name" in transactions.columns and (table["kind"] == "merchant").any():
        use = in_time
        if "channel" in transactions.columns:
            codes, uniques = pd.factorize(transactions["channel"])
            folded = pd.Series(np.asarray(uniques, dtype=object), dtype="string")
            wanted = folded.str.strip().str.lower().isin(DESCRIPTOR_CHANNELS)
            ok = np.append(wanted.to_numpy(dtype=bool, na_value=False), False)
            use = use & ok[codes]
        hits.append(_descriptor_hits(transactions["counterparty_name"], use, table))
    for column, kind in (("device_id", "device"), ("ip", "ip")):
        if column in transactions.columns and (table["kind"] == kind).any():
            hits.append(_column_hits(transactions[column], in_time, table, kind))

    parts: list[pd.DataFrame] = []
    hits = [h for h in hits if len(h)]
    if hits:
        txn_hits = pd.concat(hits, ignore_index=True)
        positions = txn_hits["row"].to_numpy(dtype=np.int64)
        txn_hits["account_id"] = (
            transactions["account_id"].iloc[positions].astype(object).to_numpy(dtype=object)
        )
        txn_hits["timestamp"] = timestamps.iloc[positions].astype(_TS).reset_index(drop=True)
        parts.append(txn_hits)
    if kyc is not None:
        kyc_hits = _kyc_hits(kyc, table, account_region, tails)
        if len(kyc_hits):
            kyc_hits["row"] = -1
            kyc_hits["timestamp"] = pd.Series(pd.NaT, index=kyc_hits.index, dtype=_TS)
            parts.append(kyc_hits)
    if not parts:
        return _empty()
    found = pd.concat(parts, ignore_index=True)
    found["timestamp"] = found["timestamp"].astype(_TS)
    sources = table[["kind", "region", "key", "source", "first_seen"]]
    found = found.merge(sources, on=["kind", "region", "key"], how="inner")
    return _summarise(found)


def _summarise(found: pd.DataFrame) -> pd.DataFrame:
    """Aggregate matched (row, key, source) triples to one row per account, kind, place, source."""
    found["source"] = found["source"].astype("string")
    found["account_id"] = found["account_id"].astype("string")
    grouped = found.groupby(_GROUP, dropna=False, sort=False)
    out = grouped.agg(
        intel_first_seen=("first_seen", "min"),
        first_date=("timestamp", "min"),
        last_date=("timestamp", "max"),
        values=("key", "nunique"),
    )
    in_txn = found[found["row"] >= 0]
    counts = in_txn.groupby(_GROUP, dropna=False, sort=False)["row"].nunique()
    out["transactions"] = counts.reindex(out.index).fillna(0).astype("int64")
    keys = grouped["key"].agg(lambda k: sorted({int(v) for v in k}))
    out["value_keys"] = keys.reindex(out.index)
    out = out.reset_index()
    out["matched_on"] = pd.Categorical(out["matched_on"], categories=MATCHED_ON, ordered=True)
    out = out.sort_values(["account_id", "kind", "matched_on", "source"], ignore_index=True)
    result = pd.DataFrame(
        {
            "account_id": out["account_id"].astype("string"),
            "kind": out["kind"].astype("string"),
            "matched_on": out["matched_on"].astype(object).astype("string"),
            "source": out["source"].astype("string"),
            "intel_first_seen": out["intel_first_seen"].astype(_TS),
            "first_date": out["first_date"].astype(_TS),
            "last_date": out["last_date"].astype(_TS),
            "transactions": out["transactions"].astype("int64"),
            "values": out["values"].astype("int64"),
            "value_keys": out["value_keys"].astype(object),
        }
    )
    logger.debug(
        "intel matches: %d rows for %d accounts (%s)",
        len(result),
        result["account_id"].nunique(),
        ", ".join(f"{k} {n}" for k, n in result["matched_on"].value_counts().sort_index().items()),
    )
    return result


def intel_match_counts(matches: pd.DataFrame, account_ids: Any) -> pd.Series:
    """Return the number of distinct intel identifiers matched per account (0 where none).

    An identifier found in several places (the KYC phone and a memo) or reported by several
    sources counts once.

    Parameters
    ----------
    matches : pandas.DataFrame
        The result of :func:`match_intel`.
    account_ids : array-like
        The accounts to report, in order (e.g. the scored accounts).

    Returns
    -------
    pandas.Series
        ``int64``, named ``intel_matches``, indexed by ``account_ids``.

    Examples
    --------
    >>> matches = pd.DataFrame({"account_id": ["A1", "A1", "A2"],
    ...                         "value_keys": [[0], [0, 3], [1]]})
    >>> intel_match_counts(matches, ["A1", "A2", "A3"]).tolist()
    [2, 1, 0]
    """
    index = pd.Index(account_ids, name="account_id")
    if not len(matches):
        return pd.Series(0, index=index, dtype="int64", name="intel_matches")
    pairs = matches[["account_id", "value_keys"]].explode("value_keys").dropna()
    counts = pairs.groupby(pairs["account_id"].astype(object))["value_keys"].nunique()
    out = counts.reindex(index.astype(object)).fillna(0).astype("int64")
    out.index = index
    out.name = "intel_matches"
    return out


def _iso_date(value: object) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date().isoformat()


def evidence_records(matches: pd.DataFrame, account_id: str) -> list[dict[str, Any]]:
    """Return the intel evidence of one account as JSON-ready records (no identifier values).

    Parameters
    ----------
    matches : pandas.DataFrame
        The result of :func:`match_intel`.
    account_id : str
        The alerted account.

    Returns
    -------
    list of dict
        One record per row of ``matches`` for the account, in its order: ``kind``,
        ``matched_on``, ``source`` (None when unknown), ``intel_first_seen``, ``first_date`` and
        ``last_date`` (ISO dates ``YYYY-MM-DD``, None when unknown or for KYC matches),
        ``transactions`` and ``values`` (ints). Empty when the account has no match.

    Examples
    --------
    >>> matches = pd.DataFrame({
    ...     "account_id": ["A1"], "kind": ["phone"], "matched_on": ["memo_phone"],
    ...     "source": ["ad-scraper"],
    ...     "intel_first_seen": pd.to_datetime(["2024-12-01"], utc=True),
    ...     "first_date": pd.to_datetime(["2025-01-03 22:10"], utc=True),
    ...     "last_date": pd.to_datetime(["2025-01-09 23:50"], utc=True),
    ...     "transactions": [4], "values": [1], "value_keys": [[0]]})
    >>> evidence_records(matches, "A1")  # doctest: +NORMALIZE_WHITESPACE
    [{'kind': 'phone', 'matched_on': 'memo_phone', 'source': 'ad-scraper',
      'intel_first_seen': '2024-12-01', 'first_date': '2025-01-03', 'last_date': '2025-01-09',
      'transactions': 4, 'values': 1}]
    """
    own = matches[(matches["account_id"] == account_id).to_numpy(dtype=bool, na_value=False)]
    records: list[dict[str, Any]] = []
    for row in own.itertuples(index=False):
        source = row.source
        records.append(
            {
                "kind": str(row.kind),
                "matched_on": str(row.matched_on),
                "source": None if source is None or pd.isna(source) else str(source),
                "intel_first_seen": _iso_date(row.intel_first_seen),
                "first_date": _iso_date(row.first_date),
                "last_date": _iso_date(row.last_date),
                "transactions": int(row.transactions),
                "values": int(row.values),
            }
        )
    return records
