"""Draft FinCEN SAR batch XML: one activity per case a human selected, for a compliance officer.

The file follows FinCEN's public BSA E-Filing schema for SAR batches (form type ``SARX``,
``EFL_SARXBatchSchema.xsd`` version 1.2, namespace ``www.fincen.gov/base``). It is a **draft**:
the schema checks form only, E-Filing applies further business rules, and a human reviews,
completes and files it. fintrak never files anything. See ``docs/sar-xml.md``.

How a case becomes an activity
------------------------------
* Everything about the case (subjects, potential victims, key term, totals, dates and the
  narrative) comes from :func:`fintrak.report.narrative.draft_narrative`; this module adds no
  judgement of its own.
* Key term "HUMAN TRAFFICKING FIN-2020-A008" (sex or labour trafficking, and a funnel the
  narrative links to trafficking): ``SuspiciousActivityTypeID`` 9 with subtype 927;
  "FIN-2023-HUMANSMUGGLING": subtype 926. The key term goes in field 2
  (``FilingInstitutionNotetoFinCEN``). A case with no key term is refused.
* Parties: transmitter (35), transmitter contact (37), filing institution (30), contact office
  (8), institution where the activity occurred (34, with its branch, 46, if given) from
  ``filer.yaml``; one subject (33) per customer among the narrative's *subjects*, with the
  accounts as its account information at the holding institution (41). Potential victims and
  other members are never parties: they appear only in the narrative. A case with no subject gets
  one subject party marked "all critical subject information unavailable".
* The narrative is split into at most 5 blocks of at most 4,000 characters (17,000 in all); a
  longer draft is shortened at a boundary and says so.

The file holds personal data of the subjects (names, dates of birth, addresses, phones, e-mails
from the accounts table). It is written to a file only; nothing here logs or prints it.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from fintrak.exceptions import FintrakError
from fintrak.io.atomic import check_output_file, write_text_atomic
from fintrak.report.narrative import (
    HT_KEY_TERM,
    SMUGGLING_KEY_TERM,
    draft_narrative,
)

__all__ = [
    "ACTIVITY_TYPE_OTHER",
    "NAMESPACE",
    "SUBTYPE_HUMAN_SMUGGLING",
    "SUBTYPE_HUMAN_TRAFFICKING",
    "CaseInputs",
    "FilerConfig",
    "NarrativeBlocks",
    "SarBatch",
    "SarCase",
    "SarXmlError",
    "build_sar_batch",
    "example_filer_path",
    "load_filer",
    "read_case_inputs",
    "sar_batch_for_run",
    "split_narrative",
    "write_sar_batch",
]

#: Target namespace of FinCEN's batch schemas.
NAMESPACE = "www.fincen.gov/base"
#: ``SuspiciousActivityTypeID`` 9: other suspicious activities.
ACTIVITY_TYPE_OTHER = 9
#: ``SuspiciousActivitySubtypeID`` for human trafficking (FIN-2020-A008).
SUBTYPE_HUMAN_TRAFFICKING = 927
#: ``SuspiciousActivitySubtypeID`` for human smuggling (FIN-2023-Alert001).
SUBTYPE_HUMAN_SMUGGLING = 926
#: Key term of SAR field 2 -> suspicious-activity subtype.
SUBTYPES = {HT_KEY_TERM: SUBTYPE_HUMAN_TRAFFICKING, SMUGGLING_KEY_TERM: SUBTYPE_HUMAN_SMUGGLING}
#: Narrative limits of the SAR form.
NARRATIVE_BLOCK_CHARS = 4000
NARRATIVE_MAX_BLOCKS = 5
NARRATIVE_MAX_TOTAL = 17000
#: Marker closing a shortened narrative (``{case_id}`` is filled in).
SHORTENED_MARKER = (
    "[narrative shortened for the SAR form; the full draft is in narratives/{case_id}.txt]"
)
_GENERIC_MARKER = "[narrative shortened for the SAR form; see the full draft]"

#: Primary federal regulator names (and codes) -> ``PrimaryRegulatorTypeCode``.
REGULATORS = {
    "CFTC": "9",
    "FEDERAL RESERVE": "1",
    "FRB": "1",
    "FDIC": "2",
    "IRS": "7",
    "NCUA": "3",
    "OCC": "4",
    "SEC": "6",
    "FHFA": "13",
    "NOT APPLICABLE": "99",
}
#: Institution types -> ``OrganizationTypeID``.
INSTITUTION_TYPES = {
    "casino": 1,
    "depository": 2,
    "insurance": 3,
    "msb": 4,
    "securities": 5,
    "loan_or_finance": 11,
    "housing_gse": 12,
}
#: Filing-institution TIN types -> ``PartyIdentificationTypeCode``.
TIN_TYPES = {"EIN": "2", "SSN/ITIN": "1", "foreign": "9"}
#: Other identification of an institution -> ``PartyIdentificationTypeCode``.
ID_TYPES = {
    "CRD": "10",
    "IARD": "11",
    "NFA": "12",
    "SEC": "13",
    "RSSD": "14",
    "NAIC": "32",
    "NMLS": "33",
}
_TIN = "4"  # PartyIdentificationTypeCode: TIN (transmitter, holding institution)
_TCC = "28"  # PartyIdentificationTypeCode: transmitter control code
_ACTIVITY_AFFECTED_ACCOUNT = "7"
_ACCOUNT_HELD_AT = "5"

_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_FIX = "see src/fintrak/report/filer.example.yaml and docs/sar-xml.md"
_ENTITIES = {"\r": "&#13;"}


class SarXmlError(FintrakError, ValueError):
    """A SAR batch cannot be drafted: bad ``filer.yaml``, unknown case, missing run file."""


# --------------------------------------------------------------------------- filer.yaml


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _one_line(value: str, limit: int) -> str:
    text = " ".join(value.split())
    if not text:
        raise ValueError("must not be empty")
    if len(text) > limit:
        raise ValueError(f"must be at most {limit} characters (got {len(text)})")
    return text


def _digits(value: str, *, low: int, high: int, what: str) -> str:
    cleaned = re.sub(r"[\s().+-]", "", value)
    if not cleaned.isdigit() or not low <= len(cleaned) <= high:
        span = f"{low}" if low == high else f"{low} to {high}"
        raise ValueError(f"must be a {what} of {span} digits (got {value!r})")
    return cleaned


class FilerAddress(_Model):
    """A postal address in ``filer.yaml``."""

    street: str
    city: str
    state: str | None = None
    zip: str
    country: str = "US"

    @field_validator("street")
    @classmethod
    def _street(cls, value: str) -> str:
        return _one_line(value, 100)

    @field_validator("city")
    @classmethod
    def _city(cls, value: str) -> str:
        return _one_line(value, 50)

    @field_validator("state")
    @classmethod
    def _state(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"[A-Za-z0-9]{2,3}", value):
            raise ValueError(f"must be a 2- or 3-letter state code such as VA (got {value!r})")
        return value.upper()

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            raise ValueError(f"must be a 2-letter ISO country code such as US (got {value!r})")
        return value.upper()

    @field_validator("zip")
    @classmethod
    def _zip(cls, value: str) -> str:
        cleaned = value.replace("-", "").replace(" ", "")
        if not re.fullmatch(r"[A-Za-z0-9]{1,9}", cleaned):
            raise ValueError(
                f"must be a ZIP or postal code of at most 9 characters (got {value!r})"
            )
        return cleaned.upper()

    @model_validator(mode="after")
    def _us(self) -> FilerAddress:
        if self.country in ("US", "CA", "MX") and self.state is None:
            raise ValueError(f"state is required when the country is {self.country}")
        if self.country == "US" and not re.fullmatch(r"\d{5}(\d{4})?", self.zip):
            raise ValueError(f"zip must be 5 or 9 digits for a US address (got {self.zip!r})")
        return self


class Institution(_Model):
    """A financial institution in ``filer.yaml`` (filing or where the activity occurred)."""

    name: str
    tin_type: Literal["EIN", "SSN/ITIN", "foreign"] = "EIN"
    tin: str
    primary_regulator: str
    institution_type: Literal[
        "casino", "depository", "insurance", "msb", "securities", "loan_or_finance", "housing_gse"
    ] = "depository"
    address: FilerAddress
    id_type: Literal["RSSD", "CRD", "IARD", "NFA", "SEC", "NAIC", "NMLS"] | None = None
    id_number: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _one_line(value, 150)

    @field_validator("tin")
    @classmethod
    def _tin(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("tin_type") == "foreign":
            return _one_line(value, 25)
        return _digits(value, low=9, high=9, what="TIN")

    @field_validator("primary_regulator")
    @classmethod
    def _regulator(cls, value: str) -> str:
        key = " ".join(value.split()).upper()
        if key in REGULATORS:
            return REGULATORS[key]
        if key in REGULATORS.values():
            return key
        raise ValueError(
            f"must be one of {', '.join(sorted(REGULATORS))} (or its FinCEN code). Got {value!r}"
        )

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str | None) -> str | None:
        return None if value is None else _one_line(value, 25)

    @model_validator(mode="after")
    def _pair(self) -> Institution:
        if (self.id_type is None) != (self.id_number is None):
            raise ValueError("id_type and id_number go together: give both or neither")
        return self


class Branch(_Model):
    """The branch where the activity occurred (party type 46)."""

    address: FilerAddress
    rssd: str | None = None

    @field_validator("rssd")
    @classmethod
    def _rssd(cls, value: str | None) -> str | None:
        return None if value is None else _one_line(value, 25)


class ActivityInstitution(Institution):
    """The institution where the activity occurred (party type 34), with its branch if any."""

    branch: Branch | None = None


class ContactOffice(_Model):
    """The designated contact office (party type 8)."""

    name: str
    phone: str
    phone_extension: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _one_line(value, 150)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return _digits(value, low=10, high=16, what="phone number")

    @field_validator("phone_extension")
    @classmethod
    def _ext(cls, value: str | None) -> str | None:
        return None if value is None else _digits(value, low=1, high=6, what="phone extension")


class Transmitter(_Model):
    """The transmitter of the batch (party types 35 and 37)."""

    name: str
    tin: str
    tcc: str
    address: FilerAddress
    phone: str
    contact_name: str

    @field_validator("name", "contact_name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _one_line(value, 150)

    @field_validator("tin")
    @classmethod
    def _tin(cls, value: str) -> str:
        return _digits(value, low=9, high=9, what="TIN")

    @field_validator("tcc")
    @classmethod
    def _tcc(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9]{1,25}", value):
            raise ValueError(f"must be the transmitter control code FinCEN issued (got {value!r})")
        return value.upper()

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return _digits(value, low=10, high=16, what="phone number")


class FilerConfig(_Model):
    """Who files: the contents of ``filer.yaml`` (see ``filer.example.yaml``).

    Attributes
    ----------
    filing_institution : Institution
        The filing institution (party type 30).
    contact_office : ContactOffice
        The designated contact office (party type 8).
    transmitter : Transmitter
        The transmitter and its contact (party types 35 and 37).
    activity_institution : ActivityInstitution or None
        Where the activity occurred (party type 34, branch 46); default the filing institution
        with no branch.
    """

    filing_institution: Institution
    contact_office: ContactOffice
    transmitter: Transmitter
    activity_institution: ActivityInstitution | None = None

    @property
    def where(self) -> ActivityInstitution:
        """The institution where the activity occurred (the filing institution by default)."""
        if self.activity_institution is not None:
            return self.activity_institution
        return ActivityInstitution(**self.filing_institution.model_dump())


_HINTS = {
    "tin": 'the 9-digit TIN in quotes, e.g. tin: "123456789" (unquoted digits are read as numbers)',
    "zip": 'the ZIP code in quotes, e.g. zip: "22101"',
    "phone": 'digits only, in quotes, e.g. phone: "7035550100"',
    "phone_extension": 'digits only, in quotes, e.g. phone_extension: "12"',
    "primary_regulator": f"one of {', '.join(sorted(REGULATORS))}",
    "tin_type": "one of EIN, SSN/ITIN, foreign",
    "id_type": "one of RSSD, CRD, IARD, NFA, SEC, NAIC, NMLS (or leave id_type and id_number out)",
    "institution_type": ", ".join(INSTITUTION_TYPES),
    "tcc": "the transmitter control code FinCEN issued for BSA E-Filing",
    "country": "a 2-letter ISO country code such as US",
    "state": "a 2-letter state code such as VA",
}


def _problem(error: Mapping[str, Any]) -> str:
    loc = [str(p) for p in error.get("loc", ()) if not str(p).startswith("function-")]
    name = ".".join(loc) or "(top level)"
    kind = str(error.get("type", ""))
    if kind == "missing":
        message = "is missing"
    elif kind == "extra_forbidden":
        message = "is not a known field (a typo?)"
    else:
        message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        if "input" in error and kind in ("string_type", "literal_error", "model_type"):
            message += f" (got {error['input']!r})"
    last = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        hint = f"remove or rename `{name}`; {_FIX}"
    elif last in _HINTS:
        hint = f"set `{name}` to {_HINTS[last]}"
    else:
        hint = f"set `{name}`; {_FIX}"
    return f"  - field `{name}` {message}\n    fix: {hint}"


def load_filer(path: str | os.PathLike[str]) -> FilerConfig:
    """Read and check a ``filer.yaml`` (the filing institution, contact office and transmitter).

    Parameters
    ----------
    path : path-like
        The YAML file; see ``fintrak/report/filer.example.yaml`` (:func:`example_filer_path`).

    Returns
    -------
    FilerConfig
        The checked configuration (phones and TINs as digits, codes upper-case).

    Raises
    ------
    SarXmlError
        If the file is missing or not YAML, or a field is missing or wrong: the message names the
        file, every field concerned and its fix.

    Examples
    --------
    >>> filer = load_filer(example_filer_path())
    >>> filer.filing_institution.tin_type, filer.where.branch is not None
    ('EIN', True)
    """
    file = Path(path)
    if not file.is_file():
        raise SarXmlError(
            f"file {file}: the filer configuration does not exist\n"
            f"  fix: copy {example_filer_path()} to {file} and fill in your institution's details"
        )
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" near line {where.line + 1}" if where is not None else ""
        raise SarXmlError(
            f"file {file}: cannot read it as YAML{line} ({exc.__class__.__name__})\n"
            f"  fix: correct the YAML syntax; {_FIX}"
        ) from None
    if not isinstance(data, dict):
        raise SarXmlError(
            f"file {file}: must hold a mapping with filing_institution, contact_office and "
            f"transmitter. Got {type(data).__name__} instead.\n  fix: {_FIX}"
        )
    try:
        return FilerConfig.model_validate(data)
    except ValidationError as exc:
        problems = "\n".join(_problem(e) for e in exc.errors())
        raise SarXmlError(
            f"file {file}: {exc.error_count()} problem(s) in the filer configuration:\n{problems}"
        ) from None


def example_filer_path() -> Path:
    """Return the path of the shipped ``filer.example.yaml`` (fake values, for copying)."""
    from importlib.resources import files

    return Path(str(files("fintrak.report") / "filer.example.yaml"))


# --------------------------------------------------------------------------- narrative


class NarrativeBlocks(list[str]):
    """The blocks of a narrative: a list of strings that also says whether it was shortened.

    Attributes
    ----------
    shortened : bool
        True when the text did not fit and the last block ends with the marker.
    kept_chars, total_chars : int
        Characters of the (stripped) text kept and in all.
    """

    def __init__(
        self, blocks: Iterable[str] = (), *, shortened: bool = False, kept: int = 0, total: int = 0
    ) -> None:
        super().__init__(blocks)
        self.shortened = shortened
        self.kept_chars = kept
        self.total_chars = total


_BOUNDARIES = (
    re.compile(r"\n[ \t]*\n\s*"),  # paragraph
    re.compile(r"\n\s*"),  # line
    re.compile(r"(?<=[.!?;:])\s+"),  # sentence
    re.compile(r"\s+"),  # word
)


def _cut(text: str, limit: int) -> int:
    """Return where to cut ``text`` (``0 < cut <= limit``), preferring the largest boundaries."""
    window = text[: limit + 1]
    for floor in (max(limit // 2, 1), 1):
        for pattern in _BOUNDARIES:
            starts = [m.start() for m in pattern.finditer(window) if floor <= m.start() <= limit]
            if starts:
                return starts[-1]
    return limit


def split_narrative(
    text: str,
    block_chars: int = NARRATIVE_BLOCK_CHARS,
    max_blocks: int = NARRATIVE_MAX_BLOCKS,
    max_total: int = NARRATIVE_MAX_TOTAL,
    *,
    marker: str = _GENERIC_MARKER,
) -> NarrativeBlocks:
    r"""Split a narrative into SAR blocks at paragraph, line, sentence, then word boundaries.

    Each block is stripped of leading and trailing whitespace and holds at most ``block_chars``
    characters; there are at most ``max_blocks`` blocks and ``max_total`` characters in all. A
    text that does not fit is cut at a boundary and its last block ends with ``marker``.

    Parameters
    ----------
    text : str
        The narrative.
    block_chars, max_blocks, max_total : int
        The form's limits (4,000 characters, 5 blocks, 17,000 characters).
    marker : str
        Closes a shortened narrative; must fit in a block with room to spare.

    Returns
    -------
    NarrativeBlocks
        The blocks (a ``list`` of ``str``), with ``.shortened``, ``.kept_chars`` and
        ``.total_chars``. Empty for a blank text.

    Raises
    ------
    ValueError
        If a limit is below 1 or the marker does not fit in half a block.

    Examples
    --------
    >>> text = "First paragraph.\n\nSecond one is here."
    >>> blocks = split_narrative(text, block_chars=30, marker="[cut]")
    >>> list(blocks), blocks.shortened
    (['First paragraph.', 'Second one is here.'], False)
    >>> short = split_narrative("word " * 100, 60, 2, 100, marker="[cut]")
    >>> short.shortened, short[-1].endswith("[cut]"), sum(map(len, short)) <= 100
    (True, True, True)
    """
    marker = " ".join(marker.split())
    if min(block_chars, max_blocks, max_total) < 1:
        raise ValueError(
            "block_chars, max_blocks and max_total must be at least 1. "
            f"Got {block_chars}, {max_blocks} and {max_total} instead."
        )
    if 2 * (len(marker) + 1) > min(block_chars, max_total):
        raise ValueError(
            f"marker must fit twice in a block of {min(block_chars, max_total)} characters. "
            f"Got {len(marker)} characters instead."
        )
    rest = text.strip()
    total = len(rest)
    blocks: list[str] = []
    used = 0
    while rest:
        remaining = max_total - used
        room = min(block_chars, remaining)
        if len(rest) <= room:
            blocks.append(rest)
            return NarrativeBlocks(blocks, kept=total, total=total)
        final = len(blocks) == max_blocks - 1 or remaining - block_chars < len(marker) + 1
        if final:
            content_room = room - len(marker) - 1
            cut = _cut(rest, content_room)
            kept = rest[:cut].rstrip()
            blocks.append(f"{kept}\n{marker}" if kept else marker)
            kept_chars = total - len(rest) + len(kept)
            return NarrativeBlocks(blocks, shortened=True, kept=kept_chars, total=total)
        cut = _cut(rest, room)
        block = rest[:cut].rstrip()
        blocks.append(block)
        used += len(block)
        rest = rest[cut:].lstrip()
    return NarrativeBlocks(blocks, kept=total, total=total)


# --------------------------------------------------------------------------- XML tree


@dataclass
class _Node:
    tag: str
    text: str | None = None
    children: list[_Node] = field(default_factory=list)
    seq: bool = True

    def el(self, tag: str) -> _Node:
        node = _Node(tag)
        self.children.append(node)
        return node

    def leaf(self, tag: str, value: Any) -> None:
        if value is not None:
            self.children.append(_Node(tag, str(value), seq=False))

    def leaves(self, order: Sequence[str], values: Mapping[str, Any]) -> None:
        """Add leaves in the schema's order (``values`` may hold them in any order)."""
        unknown = set(values) - set(order)
        if unknown:  # a programming error, never user input
            raise AssertionError(f"elements {sorted(unknown)} are not in {order}")
        for tag in order:
            self.leaf(tag, values.get(tag))


def _render(node: _Node, counter: list[int], depth: int, out: list[str]) -> None:
    pad = "  " * depth
    tag = f"fc2:{node.tag}"
    if not node.seq:
        out.append(f"{pad}<{tag}>{escape(node.text or '', _ENTITIES)}</{tag}>")
        return
    counter[0] += 1
    attrs = f" SeqNum={quoteattr(str(counter[0]))}"
    if not node.children:
        out.append(f"{pad}<{tag}{attrs}/>")
        return
    out.append(f"{pad}<{tag}{attrs}>")
    for child in node.children:
        _render(child, counter, depth + 1, out)
    out.append(f"{pad}</{tag}>")


_PARTY_FIELDS = (
    "ActivityPartyTypeCode",
    "AdmissionConfessionNoIndicator",
    "AdmissionConfessionYesIndicator",
    "AllCriticalSubjectInformationUnavailableIndicator",
    "BirthDateUnknownIndicator",
    "BothPurchaserSenderPayeeReceiveIndicator",
    "ContactDateText",
    "FemaleGenderIndicator",
    "IndividualBirthDateText",
    "LossToFinancialAmountText",
    "MaleGenderIndicator",
    "NoBranchActivityInvolvedIndicator",
    "NoKnownAccountInvolvedIndicator",
    "NonUSFinancialInstitutionIndicator",
    "PartyAsEntityOrganizationIndicator",
    "PayeeReceiverIndicator",
    "PayLocationIndicator",
    "PrimaryRegulatorTypeCode",
    "PurchaserSenderIndicator",
    "SellingLocationIndicator",
    "SellingPayingLocationIndicator",
    "UnknownGenderIndicator",
)
_ADDRESS_FIELDS = (
    "CityUnknownIndicator",
    "CountryCodeUnknownIndicator",
    "RawCityText",
    "RawCountryCodeText",
    "RawStateCodeText",
    "RawStreetAddress1Text",
    "RawZIPCode",
    "StateCodeUnknownIndicator",
    "StreetAddressUnknownIndicator",
    "ZIPCodeUnknownIndicator",
)
_NAME_FIELDS = (
    "EntityLastNameUnknownIndicator",
    "FirstNameUnknownIndicator",
    "PartyNameTypeCode",
    "RawEntityIndividualLastName",
    "RawIndividualFirstName",
    "RawIndividualMiddleName",
    "RawIndividualNameSuffixText",
    "RawPartyFullName",
)
_ID_FIELDS = (
    "IdentificationPresentUnknownIndicator",
    "OtherIssuerCountryText",
    "OtherIssuerStateText",
    "OtherPartyIdentificationTypeText",
    "PartyIdentificationNumberText",
    "PartyIdentificationTypeCode",
    "TINUnknownIndicator",
)
_Y = "Y"


def _clean(value: Any) -> str | None:
    """Text without XML-illegal characters; None for a missing value."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = _XML_ILLEGAL.sub("", str(value))
    return text if text.strip() else None


def _restricted(value: Any, limit: int) -> str | None:
    """One line, single spaces, no outer whitespace, at most ``limit`` characters."""
    text = _clean(value)
    if text is None:
        return None
    text = " ".join(text.split())[:limit].rstrip()
    return text or None


def _party(activity: _Node, code: str, **indicators: Any) -> _Node:
    party = activity.el("Party")
    party.leaves(_PARTY_FIELDS, {"ActivityPartyTypeCode": code, **indicators})
    return party


def _full_name(party: _Node, name: str, kind: str = "L") -> None:
    party.el("PartyName").leaves(
        _NAME_FIELDS, {"PartyNameTypeCode": kind, "RawPartyFullName": _restricted(name, 150)}
    )


def _address(party: _Node, address: FilerAddress) -> None:
    party.el("Address").leaves(
        _ADDRESS_FIELDS,
        {
            "RawCityText": address.city,
            "RawCountryCodeText": address.country,
            "RawStateCodeText": address.state,
            "RawStreetAddress1Text": address.street,
            "RawZIPCode": address.zip,
        },
    )


def _identification(party: _Node, number: str, code: str) -> None:
    party.el("PartyIdentification").leaves(
        _ID_FIELDS, {"PartyIdentificationNumberText": number, "PartyIdentificationTypeCode": code}
    )


def _phone(party: _Node, number: str, extension: str | None = None) -> None:
    party.el("PhoneNumber").leaves(
        ("PhoneNumberExtensionText", "PhoneNumberText", "PhoneNumberTypeCode"),
        {"PhoneNumberExtensionText": extension, "PhoneNumberText": number},
    )


def _institution(party: _Node, inst: Institution) -> None:
    _full_name(party, inst.name)
    _address(party, inst.address)
    _identification(party, inst.tin, TIN_TYPES[inst.tin_type])
    if inst.id_type is not None and inst.id_number is not None:
        _identification(party, inst.id_number, ID_TYPES[inst.id_type])
    party.el("OrganizationClassificationTypeSubtype").leaves(
        (
            "OrganizationSubtypeID",
            "OrganizationTypeID",
            "OtherOrganizationSubTypeText",
            "OtherOrganizationTypeText",
        ),
        {"OrganizationTypeID": INSTITUTION_TYPES[inst.institution_type]},
    )


def _filer_parties(activity: _Node, filer: FilerConfig) -> None:
    t = filer.transmitter
    party = _party(activity, "35")
    _full_name(party, t.name)
    _address(party, t.address)
    _phone(party, t.phone)
    _identification(party, t.tin, _TIN)
    _identification(party, t.tcc, _TCC)

    _full_name(_party(activity, "37"), t.contact_name)

    fi = filer.filing_institution
    _institution(_party(activity, "30", PrimaryRegulatorTypeCode=fi.primary_regulator), fi)

    office = _party(activity, "8")
    _full_name(office, filer.contact_office.name)
    _phone(office, filer.contact_office.phone, filer.contact_office.phone_extension)

    where = filer.where
    party = _party(
        activity,
        "34",
        NoBranchActivityInvolvedIndicator=_Y if where.branch is None else None,
        PrimaryRegulatorTypeCode=where.primary_regulator,
    )
    _institution(party, where)
    if where.branch is not None:
        branch = party.el("PartyAssociation").el("Party")
        branch.leaves(_PARTY_FIELDS, {"ActivityPartyTypeCode": "46"})
        _address(branch, where.branch.address)
        if where.branch.rssd is not None:
            _identification(branch, where.branch.rssd, ID_TYPES["RSSD"])


# --------------------------------------------------------------------------- subjects


@dataclass(frozen=True)
class _Subject:
    accounts: tuple[str, ...]
    kyc: Mapping[str, Any]


def _subjects(subject_ids: Sequence[str], accounts: pd.DataFrame | None) -> list[_Subject]:
    """Group subject accounts by customer (first appearance order); KYC of the first account."""
    rows: dict[str, dict[str, Any]] = {}
    if accounts is not None and len(accounts) and "account_id" in accounts:
        frame = accounts[accounts["account_id"].astype(str).isin(subject_ids)]
        for record in frame.to_dict(orient="records"):
            rows.setdefault(str(record["account_id"]), record)
    groups: dict[str, list[str]] = {}
    for account in subject_ids:
        customer = _clean(rows.get(account, {}).get("customer_id"))
        key = f"customer:{customer}" if customer else f"account:{account}"
        groups.setdefault(key, []).append(account)
    return [_Subject(tuple(accs), rows.get(accs[0], {})) for accs in groups.values()]


def _phone_digits(value: Any) -> str | None:
    text = _clean(value)
    if text is None:
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]  # North American number: FinCEN wants the 10 digits
    return digits if 1 <= len(digits) <= 16 else None


def _birth_date(value: Any) -> str | None:
    if _clean(value) is None:
        return None
    try:
        day = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    return day.strftime("%Y%m%d") if 1900 <= day.year <= 2099 else None


def _subject_party(
    activity: _Node, subject: _Subject, where: ActivityInstitution, notes: list[str]
) -> None:
    kyc = subject.kyc
    business = str(kyc.get("account_type") or "") == "business"
    name = _clean(kyc.get("name"))
    dob = None if business else _birth_date(kyc.get("date_of_birth"))
    party = _party(
        activity,
        "33",
        BirthDateUnknownIndicator=_Y if not business and dob is None else None,
        IndividualBirthDateText=dob,
        PartyAsEntityOrganizationIndicator=_Y if business else None,
        UnknownGenderIndicator=None if business else _Y,
    )
    words = (name or "").split()
    if business and words:
        names: dict[str, Any] = {"RawEntityIndividualLastName": _restricted(name, 150)}
    elif len(words) >= 2:
        names = {
            "RawEntityIndividualLastName": _restricted(words[-1], 150),
            "RawIndividualFirstName": _restricted(words[0], 35),
            "RawIndividualMiddleName": _restricted(" ".join(words[1:-1]), 35),
        }
        notes.append("name split into first, middle and last name automatically")
    elif words:
        names = {"RawEntityIndividualLastName": _restricted(name, 150)}
        names["FirstNameUnknownIndicator"] = None if business else _Y
    else:
        names = {"EntityLastNameUnknownIndicator": _Y}
        names["FirstNameUnknownIndicator"] = None if business else _Y
        notes.append("name unknown")
    party.el("PartyName").leaves(_NAME_FIELDS, {"PartyNameTypeCode": "L", **names})

    street = _restricted(kyc.get("address"), 100)
    city = _restricted(kyc.get("city"), 50)
    country = _restricted(kyc.get("country"), 2)
    country = country.upper() if country and re.fullmatch(r"[A-Za-z]{2}", country) else None
    party.el("Address").leaves(
        _ADDRESS_FIELDS,
        {
            "CityUnknownIndicator": None if city else _Y,
            "CountryCodeUnknownIndicator": None if country else _Y,
            "RawCityText": city,
            "RawCountryCodeText": country,
            "RawStreetAddress1Text": street,
            "StateCodeUnknownIndicator": _Y,
            "StreetAddressUnknownIndicator": None if street else _Y,
            "ZIPCodeUnknownIndicator": _Y,
        },
    )
    phone = _phone_digits(kyc.get("phone"))
    if phone is not None:
        _phone(party, phone)
    party.el("PartyIdentification").leaves(_ID_FIELDS, {"TINUnknownIndicator": _Y})
    party.el("PartyIdentification").leaves(
        _ID_FIELDS, {"IdentificationPresentUnknownIndicator": _Y}
    )
    occupation = None if business else _restricted(kyc.get("occupation"), 50)
    if occupation is not None:
        party.el("PartyOccupationBusiness").leaf("OccupationBusinessText", occupation)
    email = _restricted(kyc.get("email"), 517)
    if email is not None:
        party.el("ElectronicAddress").leaves(
            ("ElectronicAddressText", "ElectronicAddressTypeCode"),
            {"ElectronicAddressText": email, "ElectronicAddressTypeCode": "E"},
        )
    party.el("PartyAssociation").leaves(
        ("CustomerIndicator", "SubjectRelationshipFinancialInstitutionTINText"),
        {
            "CustomerIndicator": _Y,
            "SubjectRelationshipFinancialInstitutionTINText": _restricted(where.tin, 25),
        },
    )
    link = party.el("PartyAccountAssociation")
    link.leaf("PartyAccountAssociationTypeCode", _ACTIVITY_AFFECTED_ACCOUNT)
    holder = link.el("Party")
    holder.leaf("ActivityPartyTypeCode", "41")
    _identification(holder, where.tin, _TIN)
    for account in subject.accounts:
        node = holder.el("Account")
        node.leaf("AccountNumberText", _restricted(account, 40))
        node.el("PartyAccountAssociation").leaf("PartyAccountAssociationTypeCode", _ACCOUNT_HELD_AT)


def _unknown_subject(activity: _Node) -> None:
    party = _party(
        activity,
        "33",
        AllCriticalSubjectInformationUnavailableIndicator=_Y,
        BirthDateUnknownIndicator=_Y,
        UnknownGenderIndicator=_Y,
    )
    party.el("PartyName").leaves(
        _NAME_FIELDS,
        {
            "EntityLastNameUnknownIndicator": _Y,
            "FirstNameUnknownIndicator": _Y,
            "PartyNameTypeCode": "L",
        },
    )
    party.el("Address").leaves(
        _ADDRESS_FIELDS,
        {
            "CityUnknownIndicator": _Y,
            "CountryCodeUnknownIndicator": _Y,
            "StateCodeUnknownIndicator": _Y,
            "StreetAddressUnknownIndicator": _Y,
            "ZIPCodeUnknownIndicator": _Y,
        },
    )
    party.el("PartyIdentification").leaves(_ID_FIELDS, {"TINUnknownIndicator": _Y})


# --------------------------------------------------------------------------- batch


@dataclass(frozen=True)
class SarCase:
    """What one activity of the batch holds (no names or contact data: safe to show).

    Attributes
    ----------
    case_id : str
    key_term : str
        SAR field 2.
    subtype : int
        ``SuspiciousActivitySubtypeID`` (927 human trafficking, 926 human smuggling).
    subjects : tuple of str
        Accounts entered as subjects (party type 33), in the narrative's order.
    subject_parties : int
        Subject parties (one per customer; 1 with "all critical information unavailable" when
        the case has no subject).
    potential_victims, other_members : tuple of str
        Accounts named only in the narrative.
    amount : int or None
        ``TotalSuspiciousAmountText`` in whole US dollars (None: amount unknown).
    amount_accounts : tuple of str
        Accounts whose credits make up the amount.
    date_start, date_end : str
        ``YYYY-MM-DD``.
    narrative_blocks : int
    narrative_shortened : bool
    """

    case_id: str
    key_term: str
    subtype: int
    subjects: tuple[str, ...]
    subject_parties: int
    potential_victims: tuple[str, ...]
    other_members: tuple[str, ...]
    amount: int | None
    amount_accounts: tuple[str, ...]
    date_start: str
    date_end: str
    narrative_blocks: int
    narrative_shortened: bool


@dataclass(frozen=True)
class SarBatch:
    """A draft FinCEN SAR batch.

    Attributes
    ----------
    xml : str
        The batch file (UTF-8 text). Holds personal data: write it, never log it.
    cases : tuple of SarCase
        One per activity, in order.
    warnings : tuple of str
        What the compliance officer must check or complete (case and account ids only).
    created_at : str
        The filing date written (``YYYY-MM-DD``).
    """

    xml: str
    cases: tuple[SarCase, ...]
    warnings: tuple[str, ...]
    created_at: str


def _day(created_at: str | date | datetime | None) -> date:
    if created_at is None:
        return datetime.now(UTC).date()
    if isinstance(created_at, datetime):
        return created_at.date()
    if isinstance(created_at, date):
        return created_at
    try:
        return pd.Timestamp(created_at).date()
    except (TypeError, ValueError):
        raise SarXmlError(
            f"created_at must be a date such as 2025-07-01. Got {created_at!r} instead."
        ) from None


def _as_frame(table: Any) -> pd.DataFrame | None:
    if table is None:
        return None
    if isinstance(table, pd.DataFrame):
        return table
    return pd.DataFrame(list(table))


def _amount(fields: Mapping[str, Any], case_id: str, warnings: list[str]):
    """Whole US dollars received by the subjects' and potential victims' accounts."""
    focus = list(fields["subjects"]) + list(fields["potential_victims"])
    totals = fields["totals"]
    if not focus:
        focus = sorted({t["account_id"] for t in totals})
    rows = [t for t in totals if t["account_id"] in set(focus)]
    usd = sum(float(t["credits"]) for t in rows if t["currency"] == "USD")
    other = sorted({t["currency"] for t in rows if t["currency"] != "USD"})
    if other:
        warnings.append(
            f"case {case_id}: amounts in {', '.join(other)} are left out of the total "
            "suspicious amount; convert them to US dollars"
        )
    if usd <= 0:
        warnings.append(f"case {case_id}: no US-dollar amount; the amount is marked unknown")
        return None, tuple(focus)
    return math.ceil(round(usd, 2)), tuple(focus)


def _yyyymmdd(value: str) -> str:
    return value.replace("-", "")


def build_sar_batch(
    cases: Sequence[Mapping[str, Any]],
    alerts: Any,
    transactions: pd.DataFrame,
    accounts: pd.DataFrame | None,
    filer: FilerConfig,
    *,
    created_at: str | date | datetime | None = None,
) -> SarBatch:
    """Draft a FinCEN SAR batch with one activity per case, for a compliance officer.

    Parameters
    ----------
    cases : sequence of dict
        The cases a human selected (lines of ``cases.jsonl``), in the order of the activities.
    alerts : pandas.DataFrame or list of dict or None
        The run's alerts (``alerts.jsonl``).
    transactions : pandas.DataFrame
        Canonical transactions (at least the members' rows).
    accounts : pandas.DataFrame or None
        Canonical accounts: the subjects' name, date of birth, address, city, country, phone,
        e-mail, occupation, account type and customer id fill the subject parties.
    filer : FilerConfig
        From :func:`load_filer`.
    created_at : str or date, optional
        The filing date written in each activity; default today (UTC). Same inputs and
        ``created_at`` give a byte-identical file.

    Returns
    -------
    SarBatch
        ``.xml``, ``.cases`` (what each activity holds) and ``.warnings``.

    Raises
    ------
    SarXmlError
        If no case is given, a case id repeats, a case has no human-trafficking or smuggling key
        term, or a case has no transactions (the activity's start date is required).
    """
    if not isinstance(filer, FilerConfig):
        raise SarXmlError(
            f"filer must be a FilerConfig from load_filer(). Got {type(filer).__name__} instead."
        )
    cases = list(cases)
    if not cases:
        raise SarXmlError("select at least one case. Got none instead.")
    ids = [str(c.get("case_id")) for c in cases]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise SarXmlError(f"each case may be selected once. Got {', '.join(repeated)} twice.")
    alert_frame = _as_frame(alerts)
    day = _day(created_at)
    where = filer.where

    activities: list[_Node] = []
    facts: list[SarCase] = []
    warnings: list[str] = []
    for case in cases:
        narrative = draft_narrative(dict(case), alert_frame, transactions, accounts)
        f = narrative.fields
        case_id = str(f["case_id"])
        key_term = f["key_term"]
        if key_term not in SUBTYPES:
            raise SarXmlError(
                f"case {case_id} (typology {f['typology'] or 'none'}) has no human-trafficking or "
                "human-smuggling key term, so fintrak cannot classify it.\n"
                "  fix: leave it out of --cases and report it by hand if it is suspicious"
            )
        if not f["date_start"]:
            raise SarXmlError(
                f"case {case_id} has no transactions up to its as-of date, and the SAR needs the "
                "date the activity started.\n  fix: leave it out of --cases"
            )
        activity = _Node("Activity")
        activity.leaf("FilingDateText", day.strftime("%Y%m%d"))
        activity.leaf("FilingInstitutionNotetoFinCEN", _restricted(key_term, 50))
        activity.el("ActivityAssociation").leaf("InitialReportIndicator", _Y)
        _filer_parties(activity, filer)

        subject_ids = [str(a) for a in f["subjects"]]
        if subject_ids:
            groups = _subjects(subject_ids, accounts)
            notes: list[str] = []
            for subject in groups:
                _subject_party(activity, subject, where, notes)
            if notes:
                warnings.append(
                    f"case {case_id}: subject details to check: {', '.join(sorted(set(notes)))}; "
                    "TIN, identification, gender, state and ZIP are marked unknown"
                )
        else:
            groups = []
            _unknown_subject(activity)
            warnings.append(
                f"case {case_id}: no subject identified; the subject is marked 'all critical "
                "subject information unavailable' (the potential victims are not subjects)"
            )

        amount, amount_accounts = _amount(f, case_id, warnings)
        suspicious = activity.el("SuspiciousActivity")
        suspicious.leaves(
            (
                "AmountUnknownIndicator",
                "CumulativeTotalViolationAmountText",
                "NoAmountInvolvedIndicator",
                "SuspiciousActivityFromDateText",
                "SuspiciousActivityToDateText",
                "TotalSuspiciousAmountText",
            ),
            {
                "AmountUnknownIndicator": _Y if amount is None else None,
                "SuspiciousActivityFromDateText": _yyyymmdd(f["date_start"]),
                "SuspiciousActivityToDateText": _yyyymmdd(f["date_end"] or f["date_start"]),
                "TotalSuspiciousAmountText": None if amount is None else str(amount),
            },
        )
        suspicious.el("SuspiciousActivityClassification").leaves(
            (
                "OtherSuspiciousActivityTypeText",
                "SuspiciousActivitySubtypeID",
                "SuspiciousActivityTypeID",
            ),
            {
                "SuspiciousActivitySubtypeID": SUBTYPES[key_term],
                "SuspiciousActivityTypeID": ACTIVITY_TYPE_OTHER,
            },
        )
        text = (_clean(narrative.text) or "").replace("\r\n", "\n").replace("\r", "\n")
        blocks = split_narrative(text, marker=SHORTENED_MARKER.format(case_id=case_id))
        if blocks.shortened:
            warnings.append(
                f"case {case_id}: narrative shortened from {blocks.total_chars:,} to "
                f"{blocks.kept_chars:,} characters for the form; rewrite it within "
                f"{NARRATIVE_MAX_TOTAL:,} characters"
            )
        for number, block in enumerate(blocks, start=1):
            node = activity.el("ActivityNarrativeInformation")
            node.leaf("ActivityNarrativeSequenceNumber", number)
            node.leaf("ActivityNarrativeText", block)
        activities.append(activity)
        facts.append(
            SarCase(
                case_id=case_id,
                key_term=key_term,
                subtype=SUBTYPES[key_term],
                subjects=tuple(subject_ids),
                subject_parties=max(len(groups), 1),
                potential_victims=tuple(str(a) for a in f["potential_victims"]),
                other_members=tuple(str(a) for a in f["other_members"]),
                amount=amount,
                amount_accounts=amount_accounts,
                date_start=str(f["date_start"]),
                date_end=str(f["date_end"] or f["date_start"]),
                narrative_blocks=len(blocks),
                narrative_shortened=blocks.shortened,
            )
        )
        warnings.append(
            f"case {case_id}: the total suspicious amount counts every credit of accounts "
            f"{', '.join(amount_accounts)} up to the as-of date; reduce it to the suspicious part"
        )

    parties = sum(1 for a in activities for c in a.children if c.tag == "Party")
    total = sum(c.amount or 0 for c in facts)
    head = (
        f'<fc2:EFilingBatchXML xmlns:fc2="{NAMESPACE}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'ActivityAttachmentCount="0" ActivityCount="{len(activities)}" AttachmentCount="0" '
        f'PartyCount="{parties}" TotalAmount="{total}">'
    )
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!-- DRAFT SAR batch written by fintrak for review by a compliance officer; not filed. "
        "It holds personal data and must not reveal to anyone outside the investigation that "
        "a SAR is being considered. -->",
        head,
        "  <fc2:FormTypeCode>SARX</fc2:FormTypeCode>",
    ]
    counter = [0]
    for activity in activities:
        _render(activity, counter, 1, out)
    out.append("</fc2:EFilingBatchXML>")
    return SarBatch(
        xml="\n".join(out) + "\n",
        cases=tuple(facts),
        warnings=tuple(warnings),
        created_at=day.isoformat(),
    )


def write_sar_batch(
    batch: SarBatch, path: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write a batch to ``path`` atomically (UTF-8) and return the path.

    Parameters
    ----------
    batch : SarBatch
        From :func:`build_sar_batch` or :func:`sar_batch_for_run`.
    path : path-like
        The ``.xml`` file; its folder is created if needed.
    overwrite : bool
        Replace an existing file (perhaps a draft an officer has edited).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    OutputExistsError
        If the file exists and ``overwrite`` is false.
    """
    return write_text_atomic(check_output_file(path, overwrite=overwrite), batch.xml)


_TXN_COLUMNS = ("account_id", "timestamp", "amount", "direction", "currency", "channel", "city")


def sar_batch_for_run(
    run_dir: str | os.PathLike[str],
    case_ids: Iterable[str],
    filer_path: str | os.PathLike[str],
    *,
    created_at: str | date | datetime | None = None,
) -> SarBatch:
    """Draft a SAR batch for the chosen cases of a finished run folder.

    Parameters
    ----------
    run_dir : path-like
        The folder of ``fintrak score --out`` (``DIR/run`` for ``fintrak demo``): it must hold
        ``cases.jsonl``, ``alerts.jsonl``, ``transactions.parquet`` and ``accounts.parquet``.
    case_ids : iterable of str
        The cases a human selected, in the order of the activities (repeats are dropped).
    filer_path : path-like
        The ``filer.yaml``.
    created_at : str or date, optional
        As for :func:`build_sar_batch`.

    Returns
    -------
    SarBatch

    Raises
    ------
    SarXmlError
        If the filer file is wrong, a run file is missing, no case is given or a case id is not in
        the run (the message lists the run's case ids).
    fintrak.exceptions.InputFileError
        If ``cases.jsonl`` or ``alerts.jsonl`` is corrupt.
    """
    filer = load_filer(filer_path)
    inputs = read_case_inputs(run_dir, case_ids)
    return build_sar_batch(
        inputs.cases,
        inputs.alerts,
        inputs.transactions,
        inputs.accounts,
        filer,
        created_at=created_at,
    )


@dataclass(frozen=True)
class CaseInputs:
    """What a SAR batch and the narratives of chosen cases need from a run folder.

    Attributes
    ----------
    cases : list of dict
        The chosen lines of ``cases.jsonl``, in the order chosen.
    alerts : pandas.DataFrame
        The alerts of the cases' members.
    transactions : pandas.DataFrame
        The members' transactions (the columns the drafts use).
    accounts : pandas.DataFrame
        The members' accounts.
    """

    cases: list[dict[str, Any]]
    alerts: pd.DataFrame
    transactions: pd.DataFrame
    accounts: pd.DataFrame


def read_case_inputs(run_dir: str | os.PathLike[str], case_ids: Iterable[str]) -> CaseInputs:
    """Read the chosen cases of a run folder and their members' alerts, rows and accounts.

    Parameters
    ----------
    run_dir : path-like
        As for :func:`sar_batch_for_run`.
    case_ids : iterable of str
        The cases, in order (repeats are dropped).

    Returns
    -------
    CaseInputs

    Raises
    ------
    SarXmlError
        If a run file is missing, no case is given or a case id is not in the run.
    fintrak.exceptions.InputFileError
        If ``cases.jsonl`` or ``alerts.jsonl`` is corrupt.
    """
    from fintrak.export import read_jsonl

    folder = Path(run_dir)
    fix = "pass the --out folder of `fintrak score` (for `fintrak demo`, its run/ subfolder)"
    if not folder.is_dir():
        raise SarXmlError(f"run folder {folder} does not exist or is not a folder\n  fix: {fix}")
    names = ("cases.jsonl", "alerts.jsonl", "transactions.parquet", "accounts.parquet")
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise SarXmlError(
            f"run folder {folder} lacks {', '.join(missing)}\n  fix: {fix}, or score again"
        )
    wanted = list(dict.fromkeys(str(c).strip() for c in case_ids if str(c).strip()))
    if not wanted:
        raise SarXmlError("select at least one case id (--cases ID,...). Got none instead.")
    cases = {str(c["case_id"]): c for c in read_jsonl(folder / "cases.jsonl", "case")}
    unknown = [c for c in wanted if c not in cases]
    if unknown:
        available = list(cases)
        shown = ", ".join(available[:10]) + (
            f", ... ({len(available)} in all)" if len(available) > 10 else ""
        )
        raise SarXmlError(
            f"file {folder / 'cases.jsonl'}: no case {', '.join(unknown)}\n"
            f"  fix: choose among the run's cases: {shown or 'none (the run has no case)'}"
        )
    chosen = [cases[c] for c in wanted]
    members = sorted({str(m["account_id"]) for c in chosen for m in c.get("members") or []})
    alerts = [
        a
        for a in read_jsonl(folder / "alerts.jsonl", "alert")
        if str(a.get("account_id")) in members
    ]
    try:
        import pyarrow.parquet as pq

        present = set(pq.read_schema(folder / "transactions.parquet").names)
        transactions = pd.read_parquet(
            folder / "transactions.parquet",
            columns=[c for c in _TXN_COLUMNS if c in present],
            filters=[("account_id", "in", members)],
        )
        accounts = pd.read_parquet(
            folder / "accounts.parquet", filters=[("account_id", "in", members)]
        )
    except (OSError, ValueError, KeyError) as exc:
        raise SarXmlError(
            f"run folder {folder}: cannot read transactions.parquet or accounts.parquet "
            f"({exc.__class__.__name__})\n  fix: {fix}, or score again"
        ) from None
    return CaseInputs(chosen, _as_frame(alerts), transactions, accounts)
