"""The canonical tables: every column fintrak reads, its type, and what it means.

This module is the input contract. The validator, the synthetic bank, the docs and (later) the
feature registry all read these specifications; nothing else restates them.

Five tables exist:

``transactions``
    One row per posted transaction of one of the bank's accounts.
``accounts``
    One row per account (KYC and profile data). Optional as a file; every account seen in
    ``transactions`` is scored whether or not it has a row here.
``intel``
    Optional intelligence: identifiers (phones, emails, merchant descriptors, ...) from outside the
    bank, for example phone numbers scraped from online commercial-sex advertisements.
``labels``
    Training only: which accounts were involved in trafficking.
``observations``
    Optional: behaviour that branch or contact-centre staff saw and coded (a third party speaking
    for the customer, signs of abuse, small bills exchanged for large ones, ...). Features that need
    it are skipped, with the reason in the run manifest, when it is not given.

``transactions`` also has two optional digital-channel columns, ``device_id`` and ``ip``, that
banks with online-banking logs can fill in for card-not-present, P2P and online transfers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ACCOUNTS",
    "CHANNELS",
    "DIRECTIONS",
    "INTEL",
    "INTEL_KINDS",
    "LABELS",
    "OBSERVATIONS",
    "OBSERVATION_CHANNELS",
    "OBSERVATION_CODES",
    "TABLES",
    "TRANSACTIONS",
    "ACCOUNT_TYPES",
    "ColumnSpec",
    "TableSpec",
]

ColumnKind = Literal["string", "float", "int", "timestamp", "date", "flag"]
Domain = Literal["iso4217", "iso3166_alpha2", "iana_tz", "email", "ip"]

DIRECTIONS: tuple[str, ...] = ("credit", "debit")
CHANNELS: tuple[str, ...] = ("card", "atm", "cash", "ach", "wire", "p2p", "check", "other")
ACCOUNT_TYPES: tuple[str, ...] = ("personal", "business")
INTEL_KINDS: tuple[str, ...] = (
    "phone",
    "email",
    "merchant",
    "address",
    "url",
    "handle",
    "name",
    "ip",
    "device",
)

#: Staff observation codes: the behavioural indicators of FinCEN FIN-2020-A008 section II (F20,
#: items 1-10, citing OSCE 2019), escorting for transfers abroad (F20 section I.3, F14) and the
#: denomination exchanges of FinCEN FIN-2023-Alert001 (F23, flag 4). Code -> what staff saw.
OBSERVATION_CODES: dict[str, str] = {
    "third_party_speaks_for_customer": "a third party speaks on behalf of the customer, or insists "
    "on translating (F20 behavioural 1)",
    "third_party_insists_on_presence": "a third party insists on being present for every aspect of "
    "the transaction (F20 behavioural 2)",
    "third_party_fills_paperwork": "a third party fills out paperwork without consulting the "
    "customer (F20 behavioural 3)",
    "third_party_holds_documents": "a third party holds the customer's documents or money (F20 "
    "behavioural 4)",
    "third_party_claims_kinship": "a third party claims to be related to the customer but does not "
    "know critical details (F20 behavioural 5)",
    "id_presented_by_other_person": "someone uses, or tries to use, the identification of a person "
    "who is not present (F20 behavioural 6)",
    "minor_account_by_non_guardian": "a third party tries to open an account for an unqualified "
    "minor (F20 behavioural 7)",
    "third_party_aggression": "a third party is physically aggressive or intimidating towards the "
    "customer (F20 behavioural 8)",
    "signs_of_abuse_or_poor_wellbeing": "poor hygiene, malnourishment, fatigue, signs of physical "
    "or sexual abuse, restraint, confinement or torture (F20 behavioural 9)",
    "disoriented_or_scripted": "does not know where they are or live; scripted, confused or "
    "inconsistent answers (F20 behavioural 10)",
    "escorted_by_third_party": "escorted by a third party to make the transaction (F20 I.3, F14)",
    "interpreter_insisted": "a companion insisted on interpreting for the customer (F20 I.3, F14)",
    "small_bills_exchanged_for_large": "exchanged small-denomination bills for larger ones at the "
    "counter (F23 flag 4)",
}
OBSERVATION_CHANNELS: tuple[str, ...] = ("branch", "phone", "online")

#: Largest amount accepted in one transaction, in currency units. Larger values are treated as
#: data errors (a misplaced decimal separator, an account number in the amount column).
MAX_AMOUNT = 1e10


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a canonical table.

    Parameters
    ----------
    name : str
        Canonical column name.
    kind : {"string", "float", "int", "timestamp", "date", "flag"}
        Logical type. ``timestamp`` values are stored as UTC; ``date`` values as midnight, naive;
        ``flag`` values as 0/1.
    required : bool
        A required column must be present in the file; a row with a missing or invalid value in it
        is rejected. An optional column may be absent or null; an invalid value in it is nulled and
        reported as a warning, and the row is kept.
    description : str
        What the column means, in plain words (used for the docs and in error messages).
    allowed : tuple of str, optional
        Closed vocabulary of values (compared after lower-casing and trimming).
    pii : bool
        Personal data: never echoed in logs, messages or the warnings file.
    unique : bool
        Values must be unique within the table; later repeats of a value are rejected.
    minimum, maximum : float, optional
        Bounds for numeric columns (``minimum`` is exclusive when ``minimum_exclusive``).
    minimum_exclusive : bool
        Whether ``minimum`` itself is out of range.
    domain : {"iso4217", "iso3166_alpha2", "iana_tz", "email"}, optional
        A standard the values must belong to (checked against pycountry / the IANA database).
    """

    name: str
    kind: ColumnKind
    required: bool
    description: str
    allowed: tuple[str, ...] | None = None
    pii: bool = False
    unique: bool = False
    minimum: float | None = None
    maximum: float | None = None
    minimum_exclusive: bool = False
    domain: Domain | None = None


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: its name, its columns and its primary key.

    Parameters
    ----------
    name : str
        Table name, also the stem of its file in a run folder (``transactions.parquet``).
    columns : tuple of ColumnSpec
        Columns in canonical order.
    description : str
        One line on what a row is.
    """

    name: str
    columns: tuple[ColumnSpec, ...]
    description: str
    _by_name: dict[str, ColumnSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical column names in order."""
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the required columns."""
        return tuple(c.name for c in self.columns if c.required)

    def __getitem__(self, name: str) -> ColumnSpec:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name


TRANSACTIONS = TableSpec(
    name="transactions",
    description="One posted transaction of one of the bank's accounts.",
    columns=(
        ColumnSpec("txn_id", "string", True, "Unique identifier of the row.", unique=True),
        ColumnSpec(
            "account_id",
            "string",
            True,
            "The bank's account this row belongs to (numeric ids are read as text).",
        ),
        ColumnSpec(
            "timestamp",
            "timestamp",
            True,
            "When it happened, stored in UTC. In CSV: ISO-8601 with an offset; values without an "
            "offset are read in the column map's assume_tz (default UTC) and counted.",
        ),
        ColumnSpec(
            "amount",
            "float",
            True,
            "Size of the transaction in currency units, > 0; direction gives the sign.",
            minimum=0.0,
            minimum_exclusive=True,
            maximum=MAX_AMOUNT,
        ),
        ColumnSpec(
            "currency", "string", True, "ISO 4217 currency code, e.g. USD.", domain="iso4217"
        ),
        ColumnSpec(
            "direction",
            "string",
            True,
            "credit = money into the account, debit = money out.",
            allowed=DIRECTIONS,
        ),
        ColumnSpec(
            "channel",
            "string",
            True,
            "How the money moved: card, atm, cash (branch), ach, wire, p2p, check or other.",
            allowed=CHANNELS,
        ),
        ColumnSpec(
            "mcc",
            "int",
            False,
            "Merchant category code (ISO 18245), 0-9999.",
            minimum=0,
            maximum=9999,
        ),
        ColumnSpec(
            "counterparty_id",
            "string",
            False,
            "The other account; an internal account_id when the bank holds it.",
        ),
        ColumnSpec(
            "counterparty_name",
            "string",
            False,
            "Merchant or payee descriptor as it appears on the statement.",
        ),
        ColumnSpec(
            "city", "string", False, "Where it happened (for wires: the other side's city)."
        ),
        ColumnSpec(
            "country",
            "string",
            False,
            "ISO 3166-1 alpha-2 country where it happened (for wires: the other side).",
            domain="iso3166_alpha2",
        ),
        ColumnSpec("memo", "string", False, "Free text, e.g. a P2P note.", pii=True),
        ColumnSpec(
            "device_id",
            "string",
            False,
            "Identifier of the device that initiated it (online banking, app or card-not-present "
            "logs); null for in-person transactions.",
            pii=True,
        ),
        ColumnSpec(
            "ip",
            "string",
            False,
            "IP address (IPv4 or IPv6) the transaction was initiated from; null for in-person "
            "transactions.",
            pii=True,
            domain="ip",
        ),
    ),
)

ACCOUNTS = TableSpec(
    name="accounts",
    description="One account of the bank, with what KYC knows about its holder.",
    columns=(
        ColumnSpec("account_id", "string", True, "The bank's account identifier.", unique=True),
        ColumnSpec("customer_id", "string", False, "The holder; one customer may hold several."),
        ColumnSpec("account_type", "string", False, "personal or business.", allowed=ACCOUNT_TYPES),
        ColumnSpec("opened_at", "timestamp", False, "When the account was opened (UTC)."),
        ColumnSpec("date_of_birth", "date", False, "Holder's date of birth.", pii=True),
        ColumnSpec("occupation", "string", False, "Declared occupation or line of business."),
        ColumnSpec(
            "declared_income",
            "float",
            False,
            "Declared yearly income or turnover, in the account's currency, >= 0.",
            minimum=0.0,
            maximum=MAX_AMOUNT,
        ),
        ColumnSpec("name", "string", False, "Holder's name.", pii=True),
        ColumnSpec(
            "nationality",
            "string",
            False,
            "ISO 3166-1 alpha-2 nationality.",
            domain="iso3166_alpha2",
        ),
        ColumnSpec("phone", "string", False, "Holder's phone number, as captured.", pii=True),
        ColumnSpec("email", "string", False, "Holder's e-mail address.", pii=True, domain="email"),
        ColumnSpec("address", "string", False, "Holder's street address.", pii=True),
        ColumnSpec("city", "string", False, "Holder's city of residence."),
        ColumnSpec(
            "country",
            "string",
            False,
            "ISO 3166-1 alpha-2 country of residence.",
            domain="iso3166_alpha2",
        ),
        ColumnSpec(
            "timezone",
            "string",
            False,
            "IANA time zone of the holder (e.g. America/Chicago); local clock times for "
            "time-of-day features come from it.",
            domain="iana_tz",
        ),
    ),
)

INTEL = TableSpec(
    name="intel",
    description="One identifier known from outside the bank (e.g. a phone number in an online ad).",
    columns=(
        ColumnSpec(
            "kind",
            "string",
            True,
            "What the value is: phone, email, merchant, address, url, handle, name, ip or device.",
            allowed=INTEL_KINDS,
        ),
        ColumnSpec(
            "value",
            "string",
            True,
            "The identifier, written however the source wrote it.",
            pii=True,
        ),
        ColumnSpec(
            "source", "string", False, "Where it came from (scraper, NGO, law enforcement)."
        ),
        ColumnSpec("first_seen", "timestamp", False, "When the source first saw it (UTC)."),
    ),
)

LABELS = TableSpec(
    name="labels",
    description="Training labels: one row per labelled account (extra columns are ignored).",
    columns=(
        ColumnSpec("account_id", "string", True, "The labelled account.", unique=True),
        ColumnSpec(
            "is_trafficking",
            "flag",
            True,
            "1 for every account involved (controllers, victims, recruiters, employers, workers, "
            "funnels), else 0. Accepts 1/0, true/false, yes/no.",
        ),
        ColumnSpec("typology", "string", False, "The bank's own typology name (free vocabulary)."),
        ColumnSpec("role", "string", False, "The account's role (free vocabulary)."),
        ColumnSpec(
            "case_id",
            "string",
            False,
            "The case or ring the account belongs to; training keeps one case's accounts in one "
            "fold so that a model is never scored on a ring it has half seen.",
        ),
    ),
)

OBSERVATIONS = TableSpec(
    name="observations",
    description="One behaviour that branch or contact-centre staff observed and coded for an "
    "account's holder (optional table).",
    columns=(
        ColumnSpec("observation_id", "string", True, "Unique identifier of the row.", unique=True),
        ColumnSpec("account_id", "string", True, "The account whose holder was observed."),
        ColumnSpec("timestamp", "timestamp", True, "When it was observed, stored in UTC."),
        ColumnSpec(
            "code",
            "string",
            True,
            "What was observed: "
            + "; ".join(f"`{code}` = {text}" for code, text in OBSERVATION_CODES.items())
            + ".",
            allowed=tuple(OBSERVATION_CODES),
        ),
        ColumnSpec(
            "channel",
            "string",
            False,
            "Where: branch, phone or online.",
            allowed=OBSERVATION_CHANNELS,
        ),
        ColumnSpec(
            "staff_id",
            "string",
            False,
            "The member of staff who witnessed it (F20 asks that they be named in the SAR).",
        ),
        ColumnSpec("note", "string", False, "Free-text note by the staff member.", pii=True),
    ),
)

TABLES: dict[str, TableSpec] = {
    t.name: t for t in (TRANSACTIONS, ACCOUNTS, INTEL, LABELS, OBSERVATIONS)
}
