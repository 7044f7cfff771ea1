"""SAR narrative drafts: one per case, in plain factual sentences an investigator edits.

A draft answers who, what, when, where and why for one case (``cases.jsonl``, see
``docs/cases.md``) from the case record, the run's alerts, the bank's transactions and, when
given, its accounts table. It is marked as a draft for a human investigator, is never filed, and
is internal: it holds personal data and must not reveal to anyone outside the investigation that
a SAR is being considered. See ``docs/sar-narratives.md``.

Key terms and SAR fields (``shared/reference/indicators.md`` §4 and the FinCEN README):

* sex or labour trafficking, and a funnel case linked to trafficking: "HUMAN TRAFFICKING
  FIN-2020-A008" (FinCEN Advisory FIN-2020-A008) in SAR field 2 and the narrative; field 38(h);
* human smuggling, and a funnel case linked only to smuggling: "FIN-2023-HUMANSMUGGLING" (FinCEN
  Alert FIN-2023-Alert001) in field 2 and the narrative; field 38(g);
* anything else: no key term; the investigator decides.

Who is a subject
----------------
FinCEN (FIN-2020-A008) says a potential victim is never the subject of a SAR. Each member is
put in one of three groups from its network role (``docs/networks.md``: it describes the money
between members) and, only when that role says nothing, the role its alert's rules suggest
(``role_hypothesis``). The first rule that applies wins:

1. **potential victim**: the network role is ``victim`` (a feeder: hands most of what it receives
   to a collector) or ``worker`` (paid a wage by the network's employer);
2. **subject**: the network role is ``controller`` (the collector; a funnel's coordinator gets
   this role), ``recruiter``, ``employer`` or ``funnel`` (the account that moves the cash);
3. **potential victim**: the network role is ``other`` or unknown and the alert's rules suggest
   ``victim``;
4. **other member**: everyone else (family, buyers, ordinary contacts, and members the rules call
   controllers without the money to show it); named without a judgement, for the investigator
   to place.

The rules' suggestion never makes anyone a subject: it can only move a member towards the
potential victims. When it disagrees with a subject's network role the draft says so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fintrak.exceptions import FintrakError
from fintrak.io.atomic import write_text_atomic
from fintrak.report.sources import source_keys

__all__ = [
    "DRAFT_MARKER",
    "HT_KEY_TERM",
    "SMUGGLING_KEY_TERM",
    "Narrative",
    "NarrativeError",
    "classify_member",
    "draft_narrative",
    "narratives_for_run",
    "write_narratives",
]

#: The first line of every draft.
DRAFT_MARKER = "DRAFT — for review by a human investigator; not filed"
#: FinCEN Advisory FIN-2020-A008 key term (SAR field 2 and narrative).
HT_KEY_TERM = "HUMAN TRAFFICKING FIN-2020-A008"
#: FinCEN Alert FIN-2023-Alert001 key term (SAR field 2 and narrative).
SMUGGLING_KEY_TERM = "FIN-2023-HUMANSMUGGLING"
HT_FIELD = "38(h) human trafficking"
SMUGGLING_FIELD = "38(g) human smuggling"

TRAFFICKING_TYPOLOGIES = frozenset({"sex_trafficking", "labour_trafficking"})
SMUGGLING_TYPOLOGIES = frozenset({"human_smuggling"})
VICTIM_ROLES = frozenset({"victim", "worker"})
SUBJECT_ROLES = frozenset({"controller", "recruiter", "employer", "funnel"})
#: Model reasons (SHAP) quoted per alerted member.
TOP_MODEL_REASONS = 3

TYPOLOGY_WORDS = {
    "sex_trafficking": "sex trafficking",
    "labour_trafficking": "labour trafficking",
    "human_smuggling": "human smuggling",
    "funnel": "funnel-account activity",
}
ROLE_WORDS = {
    "controller": "receives money from other members and sends little back (collector)",
    "recruiter": "a second collector: takes fees or part of the members' money",
    "employer": "pays wages to two or more members",
    "funnel": "cash deposited in one place and withdrawn or sent on elsewhere",
    "victim": "hands most of what it receives to a collector of the network",
    "worker": "receives a wage from the network's employer",
}

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(
    r"\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}[ .-]?\d{3,4}[ .-]?\d{3,4}\b"
    r"|\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b"
)
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_REDACTED = "[identifier withheld]"


class NarrativeError(FintrakError, ValueError):
    """A case or table cannot be turned into a narrative."""


@dataclass(frozen=True)
class Narrative:
    """One SAR narrative draft.

    Attributes
    ----------
    markdown : str
        The draft in Markdown.
    text : str
        The same draft in plain text.
    fields : dict
        The facts behind it, JSON-ready: ``case_id``, ``typology``, ``key_term``,
        ``sar_field_38``, ``subjects``, ``potential_victims``, ``other_members``,
        ``date_start``, ``date_end``, ``currencies``, ``totals`` (per member, channel and
        currency), ``alert_ids``, ``draft`` (always True).
    """

    markdown: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if np.ndim(value) == 0 else False
    except (TypeError, ValueError):
        return False


def _str(value: Any) -> str | None:
    return None if _missing(value) else str(value)


def _records(value: Any) -> list[dict[str, Any]]:
    if _missing(value) or not isinstance(value, list | tuple | np.ndarray):
        return []
    return [dict(v) for v in value if isinstance(v, dict)]


def classify_member(role: str | None, role_hypothesis: str | None = None) -> str:
    """Return ``"potential_victim"``, ``"subject"`` or ``"other"`` for one case member.

    Parameters
    ----------
    role : str or None
        The member's network role (``controller``, ``victim``, ``worker``, ...).
    role_hypothesis : str or None
        The role its alert suggests (``victim``, ``controller``, ``facilitator``, ...).

    Examples
    --------
    >>> classify_member("controller"), classify_member("victim"), classify_member("worker")
    ('subject', 'potential_victim', 'potential_victim')
    >>> classify_member("other", "victim"), classify_member(None, "victim")
    ('potential_victim', 'potential_victim')
    >>> classify_member("other", "controller")  # the rules alone never make a subject
    'other'
    >>> classify_member("worker", "controller")
    'potential_victim'
    """
    if role in VICTIM_ROLES:
        return "potential_victim"
    if role in SUBJECT_ROLES:
        return "subject"
    if role in (None, "other") and role_hypothesis == "victim":
        return "potential_victim"
    return "other"


def _money(amount: float, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


def _day(value: pd.Timestamp | None) -> str:
    return "unknown" if value is None or pd.isna(value) else value.strftime("%Y-%m-%d")


@cache
def _source_titles() -> dict[str, str]:
    from fintrak.reference import load_catalogue

    titles = {}
    for key, source in load_catalogue().sources.items():
        document = str(source.get("document", ""))
        titles[key] = document.split(",")[0].strip() or key
    return titles


def _scrub(text: str, secrets: Iterable[str]) -> str:
    """Withhold any phone, e-mail or known contact value that slipped into ``text``."""
    for secret in sorted({s for s in secrets if len(s) >= 5}, key=lambda s: (-len(s), s)):
        text = text.replace(secret, _REDACTED)
    text = _EMAIL.sub(_REDACTED, text)
    return _PHONE.sub(_REDACTED, text)


# --------------------------------------------------------------------------- blocks


@dataclass
class _Doc:
    blocks: list[tuple[str, Any]] = field(default_factory=list)

    def h(self, text: str) -> None:
        self.blocks.append(("h", text))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def ul(self, items: Sequence[str]) -> None:
        if items:
            self.blocks.append(("ul", list(items)))

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        if rows:
            self.blocks.append(("table", (list(header), [list(r) for r in rows])))

    def markdown(self, title: str) -> str:
        out = [f"# {title}", ""]
        for kind, body in self.blocks:
            if kind == "h":
                out += [f"## {body}", ""]
            elif kind == "p":
                out += [body, ""]
            elif kind == "ul":
                out += [f"- {item}" for item in body] + [""]
            else:
                header, rows = body
                out.append("| " + " | ".join(header) + " |")
                out.append("|" + "|".join("---" for _ in header) + "|")
                out += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows]
                out.append("")
        return "\n".join(out).rstrip("\n") + "\n"

    def text(self, title: str) -> str:
        plain = re.compile(r"\*\*|`")
        out = [title.upper(), "=" * len(title), ""]
        for kind, body in self.blocks:
            if kind == "h":
                out += [body.upper(), "-" * len(body), ""]
            elif kind == "p":
                out += [plain.sub("", body), ""]
            elif kind == "ul":
                out += [f"* {plain.sub('', item)}" for item in body] + [""]
            else:
                header, rows = body
                widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
                for line in [header, *rows]:
                    out.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
                out.append("")
        return "\n".join(line.rstrip() for line in out).rstrip("\n") + "\n"


# --------------------------------------------------------------------------- facts


def _key_term(typology: str | None, typologies_seen: set[str], roles: set[str]):
    """Return (key term, SAR field 38 box, why) for the case."""
    if typology in TRAFFICKING_TYPOLOGIES:
        return HT_KEY_TERM, HT_FIELD, None
    if typology in SMUGGLING_TYPOLOGIES:
        return SMUGGLING_KEY_TERM, SMUGGLING_FIELD, None
    if typology == "funnel":
        if typologies_seen & TRAFFICKING_TYPOLOGIES or roles & VICTIM_ROLES:
            return (
                HT_KEY_TERM,
                HT_FIELD,
                (
                    "the funnel is linked to trafficking: "
                    + (
                        "members are alerted for trafficking"
                        if typologies_seen & TRAFFICKING_TYPOLOGIES
                        else "members feed a collector as victims or workers"
                    )
                ),
            )
        if typologies_seen & SMUGGLING_TYPOLOGIES:
            return (
                SMUGGLING_KEY_TERM,
                SMUGGLING_FIELD,
                ("the funnel is linked to human smuggling: members are alerted for smuggling"),
            )
    return None, None, None


def _case_transactions(
    transactions: pd.DataFrame, members: list[str], as_of: str | None
) -> pd.DataFrame:
    missing = {"account_id", "timestamp", "amount", "direction"} - set(transactions.columns)
    if missing:
        raise NarrativeError(
            f"transactions must have columns {sorted(missing)}. Got {list(transactions.columns)}"
            " instead; pass the canonical transactions table."
        )
    ids = transactions["account_id"].astype(str)
    rows = transactions.loc[ids.isin(members)].copy()
    rows["account_id"] = rows["account_id"].astype(str)
    rows["timestamp"] = pd.to_datetime(rows["timestamp"], utc=True)
    if as_of:
        try:
            end = pd.Timestamp(as_of)
            end = end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")
        except (TypeError, ValueError):
            end = None
        if end is not None:
            rows = rows[rows["timestamp"] <= end]
    for col, default in (("currency", "XXX"), ("channel", "unknown"), ("city", None)):
        if col not in rows:
            rows[col] = default
    rows["currency"] = rows["currency"].astype("object").fillna("XXX").astype(str)
    rows["channel"] = rows["channel"].astype("object").fillna("unknown").astype(str)
    rows["amount"] = pd.to_numeric(rows["amount"], errors="coerce").fillna(0.0).abs()
    rows["direction"] = rows["direction"].astype(str)
    return rows.sort_values(["account_id", "timestamp"], kind="stable")


def _totals(rows: pd.DataFrame) -> list[dict[str, Any]]:
    if rows.empty:
        return []
    credit = rows["direction"].eq("credit")
    frame = rows.assign(
        credits=rows["amount"].where(credit, 0.0),
        debits=rows["amount"].where(~credit, 0.0),
        n_credits=credit.astype(int),
        n_debits=(~credit).astype(int),
    )
    agg = frame.groupby(["account_id", "channel", "currency"], sort=True).agg(
        credits=("credits", "sum"),
        n_credits=("n_credits", "sum"),
        debits=("debits", "sum"),
        n_debits=("n_debits", "sum"),
        first=("timestamp", "min"),
        last=("timestamp", "max"),
    )
    return [
        {
            "account_id": str(acc),
            "channel": str(ch),
            "currency": str(cur),
            "credits": round(float(r.credits), 2),
            "n_credits": int(r.n_credits),
            "debits": round(float(r.debits), 2),
            "n_debits": int(r.n_debits),
            "first_date": _day(r.first),
            "last_date": _day(r.last),
        }
        for (acc, ch, cur), r in agg.iterrows()
    ]


def _alerts_by_account(alerts: pd.DataFrame | None, members: list[str]) -> dict[str, dict]:
    if alerts is None or len(alerts) == 0 or "account_id" not in alerts:
        return {}
    rows = alerts[alerts["account_id"].astype(str).isin(members)]
    if "score" in rows:
        rows = rows.sort_values(["score"], ascending=False, kind="stable")
    out: dict[str, dict] = {}
    for record in rows.to_dict(orient="records"):
        out.setdefault(str(record["account_id"]), record)
    return out


def _kyc(accounts: pd.DataFrame | None, members: list[str]) -> tuple[dict[str, dict], set[str]]:
    """Safe KYC facts per member (type, opened, home city) and every contact value to withhold."""
    if accounts is None or len(accounts) == 0 or "account_id" not in accounts:
        return {}, set()
    rows = accounts[accounts["account_id"].astype(str).isin(members)]
    secrets: set[str] = set()
    for col in ("phone", "email", "address", "name"):
        if col in rows:
            secrets |= {str(v) for v in rows[col].dropna().astype(str)}
    out = {}
    for record in rows.to_dict(orient="records"):
        opened = record.get("opened_at")
        out[str(record["account_id"])] = {
            "account_type": _str(record.get("account_type")),
            "opened": None if _missing(opened) else _day(pd.Timestamp(opened)),
            "city": _str(record.get("city")),
            "country": _str(record.get("country")),
        }
    return out, secrets


def _member_label(account: str, group: str) -> str:
    if group == "potential_victim":
        return f"account {account} (POTENTIAL VICTIM)"
    if group == "subject":
        return f"account {account} (subject)"
    return f"account {account}"


# --------------------------------------------------------------------------- public


def draft_narrative(
    case: dict[str, Any],
    alerts: pd.DataFrame | None,
    transactions: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
) -> Narrative:
    """Draft the SAR narrative of one case.

    Parameters
    ----------
    case : dict
        One case (``ScoreResult.cases`` or a line of ``cases.jsonl``): ``case_id``,
        ``typology``, ``members`` (``account_id``, ``role``, ``score``, ``alert``,
        ``alert_id``), ``links``, ``as_of``.
    alerts : pandas.DataFrame or None
        The run's alerts (``ScoreResult.alerts`` or ``alerts.jsonl``): ``account_id``,
        ``alert_id``, ``score``, ``typology``, ``role_hypothesis``, ``reasons``, ``rule_hits``
        and optionally ``intel_evidence``. Rows of other accounts are ignored.
    transactions : pandas.DataFrame
        Canonical transactions: ``account_id``, ``timestamp``, ``amount``, ``direction`` and
        optionally ``currency``, ``channel``, ``city``. Rows after the case's ``as_of`` are left
        out.
    accounts : pandas.DataFrame, optional
        Canonical accounts. Only the account type, opening date and home city are used; phone,
        e-mail, address and name never enter the draft (any that slip into a reason text are
        withheld).

    Returns
    -------
    Narrative
        ``.markdown``, ``.text`` and ``.fields``.

    Raises
    ------
    NarrativeError
        If the case has no ``case_id`` or members, or ``transactions`` lacks a needed column.

    Examples
    --------
    >>> case = {"case_id": "case-demo", "typology": "sex_trafficking", "as_of": "2025-03-31",
    ...     "members": [{"account_id": "C1", "role": "controller", "alert": True},
    ...                 {"account_id": "V1", "role": "victim", "alert": False}], "links": []}
    >>> txn = pd.DataFrame({"account_id": ["V1", "C1"], "amount": [500.0, 500.0],
    ...     "direction": ["debit", "credit"], "channel": ["p2p", "p2p"], "currency": "USD",
    ...     "timestamp": pd.to_datetime(["2025-03-01", "2025-03-01"], utc=True)})
    >>> n = draft_narrative(case, None, txn)
    >>> n.fields["key_term"], n.fields["sar_field_38"]
    ('HUMAN TRAFFICKING FIN-2020-A008', '38(h) human trafficking')
    >>> n.fields["subjects"], n.fields["potential_victims"]
    (['C1'], ['V1'])
    >>> n.markdown.splitlines()[2]
    '**DRAFT — for review by a human investigator; not filed.** Internal and confidential.'
    """
    case_id = _str(case.get("case_id"))
    if not case_id:
        raise NarrativeError("case must have a `case_id`. Got a case without one instead.")
    member_records = [m for m in case.get("members") or [] if isinstance(m, dict)]
    if not member_records:
        raise NarrativeError(f"case {case_id} must have members. Got none instead.")
    members = [str(m["account_id"]) for m in member_records]
    as_of = _str(case.get("as_of"))
    typology = _str(case.get("typology"))

    by_alert = _alerts_by_account(alerts, members)
    kyc, secrets = _kyc(accounts, members)
    rows = _case_transactions(transactions, members, as_of)
    totals = _totals(rows)

    roles = {str(m["account_id"]): _str(m.get("role")) for m in member_records}
    hyps = {a: _str(r.get("role_hypothesis")) for a, r in by_alert.items()}
    groups = {a: classify_member(roles[a], hyps.get(a)) for a in members}
    subjects = [a for a in members if groups[a] == "subject"]
    victims = [a for a in members if groups[a] == "potential_victim"]
    others = [a for a in members if groups[a] == "other"]

    seen = {str(r["typology"]) for r in by_alert.values() if _str(r.get("typology"))}
    key_term, sar_field, link_note = _key_term(typology, seen, {r for r in roles.values() if r})
    currencies = sorted(rows["currency"].unique()) if len(rows) else []
    start = rows["timestamp"].min() if len(rows) else None
    end = rows["timestamp"].max() if len(rows) else None
    typology_words = TYPOLOGY_WORDS.get(typology or "", typology or "unclassified activity")

    doc = _Doc()
    doc.p(f"**{DRAFT_MARKER}.** Internal and confidential.")
    doc.p(
        "Do not share this text, or the fact that a report is being considered, with the "
        "customer or anyone outside the investigation."
    )
    if key_term:
        doc.p(f"**{key_term}**")
        doc.ul(
            [
                f"SAR field 2 (Filing Institution Note to FinCEN): `{key_term}`",
                f"SAR field 38: check {sar_field}" + (f" ({link_note})" if link_note else ""),
            ]
        )
    else:
        doc.p(
            "No FinCEN key term applies on the evidence fintrak holds "
            f"(typology: {typology or 'none'}); the investigator decides the key term and the "
            "field 38 box."
        )

    # Summary -----------------------------------------------------------------------------
    first = f"{key_term}. " if key_term else ""
    period = f"from {_day(start)} to {_day(end)}" if start is not None else "(no transactions)"
    summary = (
        f"{first}Transaction monitoring identified activity consistent with {typology_words} "
        f"involving {len(members)} accounts {period}."
    )
    if subjects:
        summary += f" Subjects: {', '.join('account ' + a for a in subjects)}."
    else:
        summary += " No subject is identified yet."
    if victims:
        summary += (
            f" Potential victims (not subjects): {', '.join('account ' + a for a in victims)}."
        )
    doc.h("Summary")
    doc.p(summary)

    # Who ---------------------------------------------------------------------------------
    doc.h("Who")

    def who_line(account: str) -> str:
        role = roles[account]
        basis = ROLE_WORDS.get(role or "", "no network role beyond a link to the members")
        line = f"Account {account}: network role {role or 'unknown'} ({basis})"
        hyp = hyps.get(account)
        if hyp and hyp != "unknown":
            line += f"; its alert's rules suggest the role {hyp}"
            if groups[account] == "subject" and hyp == "victim":
                line += " (confirm the holder is not a victim before naming a subject)"
        facts = kyc.get(account)
        if facts:
            bits = [
                f"{facts['account_type']} account" if facts["account_type"] else None,
                f"opened {facts['opened']}" if facts["opened"] else None,
                f"home city {facts['city']}" if facts["city"] else None,
            ]
            if any(bits):
                line += "; " + ", ".join(b for b in bits if b)
        return line + "."

    doc.p("Subjects (suspected of running or profiting from the activity):")
    doc.ul([who_line(a) for a in subjects] or ["None identified by fintrak."])
    if victims:
        doc.p("POTENTIAL VICTIMS: described here for law enforcement; not subjects of the report.")
        doc.ul([f"POTENTIAL VICTIM — {who_line(a)}" for a in victims])
    if others:
        doc.p("Other members (not named as subjects; the investigator places them):")
        doc.ul([who_line(a) for a in others])

    # What --------------------------------------------------------------------------------
    doc.h("What")
    if totals:
        per: dict[tuple[str, str], list[float]] = {}
        for t in totals:
            acc = per.setdefault((t["account_id"], t["currency"]), [0.0, 0, 0.0, 0])
            acc[0] += t["credits"]
            acc[1] += t["n_credits"]
            acc[2] += t["debits"]
            acc[3] += t["n_debits"]
        lines = []
        for (account, cur), (cr, ncr, db, ndb) in sorted(per.items()):
            label = _member_label(account, groups.get(account, "other"))
            lines.append(
                f"{label[0].upper()}{label[1:]} received {_money(cr, cur)} in {ncr} credits and "
                f"sent {_money(db, cur)} in {ndb} debits."
            )
        doc.ul(lines)
        doc.p("Totals per member and channel:")
        doc.table(
            ["account", "channel", "credits", "count", "debits", "count", "first", "last"],
            [
                [
                    t["account_id"],
                    t["channel"],
                    _money(t["credits"], t["currency"]),
                    str(t["n_credits"]),
                    _money(t["debits"], t["currency"]),
                    str(t["n_debits"]),
                    t["first_date"],
                    t["last_date"],
                ]
                for t in totals
            ],
        )
    else:
        doc.p("No transactions of the members were found up to the case's as-of date.")
    money_links = sorted(
        (
            link
            for link in case.get("links") or []
            if isinstance(link, dict) and link.get("kind") == "money"
        ),
        key=lambda link: (str(link.get("account_a")), str(link.get("account_b"))),
    )
    other_links = sorted(
        {
            str(link.get("kind"))
            for link in case.get("links") or []
            if isinstance(link, dict) and link.get("kind") not in (None, "money")
        }
    )
    cur_word = currencies[0] if len(currencies) == 1 else "the transactions' currencies"
    link_lines = [
        f"Accounts {link.get('account_a')} and {link.get('account_b')} moved "
        + (
            _money(float(link.get("amount") or 0.0), cur_word)
            if len(currencies) == 1
            else f"{float(link.get('amount') or 0.0):,.2f} (in {cur_word})"
        )
        + (f" between them in {int(link['count'])} transfers." if link.get("count") else "")
        + ("" if link.get("count") else " between them.")
        for link in money_links
    ]
    if link_lines:
        doc.p("Money moved between members:")
        doc.ul(link_lines)
    if other_links:
        doc.p(
            "Members also share identifiers of these kinds (values held by the bank, not copied "
            f"here): {', '.join(other_links)}."
        )

    # When --------------------------------------------------------------------------------
    doc.h("When")
    if start is not None:
        doc.p(
            f"The activity described runs from {_day(start)} to {_day(end)} (every transaction "
            f"of the members up to the run's as-of, {as_of or 'unknown'})."
        )
    else:
        doc.p(f"No transactions up to the run's as-of ({as_of or 'unknown'}).")

    # Where -------------------------------------------------------------------------------
    doc.h("Where")
    where = []
    for account in members:
        own = rows[rows["account_id"] == account]
        cities = own["city"].dropna().astype(str) if "city" in own else pd.Series([], dtype=str)
        counts = cities.value_counts()
        counts = counts.sort_index().sort_values(ascending=False, kind="stable")
        home = kyc.get(account, {}).get("city")
        if counts.empty and not home:
            continue
        line = f"Account {account}:"
        if home:
            line += f" home city {home};"
        if not counts.empty:
            top = ", ".join(f"{c} ({n})" for c, n in counts.head(5).items())
            word = "city" if len(counts) == 1 else "cities"
            line += f" activity in {len(counts)} {word}, most in {top}"
        where.append(line.rstrip(";") + ".")
    doc.ul(where or ["No locations in the data."])

    # Why ---------------------------------------------------------------------------------
    doc.h("Why: red flags")
    cited: set[str] = set()
    alert_ids = []
    for account in members:
        record = by_alert.get(account)
        if record is None:
            continue
        alert_ids.append(_str(record.get("alert_id")))
        score = record.get("score")
        head = f"{_member_label(account, groups[account])}"
        head = head[0].upper() + head[1:]
        if not _missing(score):
            head += f", alert {record.get('alert_id')} (score {float(score):.2f})"
        doc.p(f"{head}:")
        items = []
        relevant = {typology, _str(record.get("typology"))} - {None}
        elsewhere: dict[str, int] = {}
        for hit in _records(record.get("rule_hits")):
            if _missing(hit.get("points")) or float(hit["points"]) <= 0:
                continue
            if _str(hit.get("typology")) not in relevant:
                name = str(hit.get("typology"))
                elsewhere[name] = elsewhere.get(name, 0) + 1
                continue
            keys = source_keys(_str(hit.get("source")))
            cited |= set(keys)
            items.append(
                f"Rule {hit.get('indicator')}: {hit.get('reason')}"
                + (f" (sources: {', '.join(keys)})" if keys else "")
            )
        reasons = [r for r in _records(record.get("reasons")) if r.get("text")]
        reasons = [r for r in reasons if not _missing(r.get("contribution"))]
        reasons = sorted(reasons, key=lambda r: (-float(r["contribution"]), str(r.get("feature"))))
        for r in reasons[:TOP_MODEL_REASONS]:
            if float(r["contribution"]) > 0:
                items.append(f"Model: {r['text']}")
        if elsewhere:
            items.append(
                "Bands of other typologies also fired (see the alert): "
                + ", ".join(f"{k} {v}" for k, v in sorted(elsewhere.items()))
            )
        doc.ul(items or ["No rule or model reason recorded."])
    if not alert_ids:
        doc.p("No member is alerted; the case rests on the members' combined scores.")

    # Intelligence ------------------------------------------------------------------------
    intel_lines = []
    for account in members:
        record = by_alert.get(account)
        for ev in _records(record.get("intel_evidence")) if record else []:
            dates = [
                f"listed since {ev['intel_first_seen']}" if ev.get("intel_first_seen") else None,
                (
                    f"seen in {ev.get('transactions')} transactions from {ev['first_date']} to "
                    f"{ev.get('last_date')}"
                )
                if ev.get("first_date")
                else None,
            ]
            intel_lines.append(
                f"Account {account}: a {ev.get('kind')} matched on {ev.get('matched_on')} "
                f"against intelligence from {ev.get('source') or 'an unknown source'}"
                + (f" ({'; '.join(d for d in dates if d)})" if any(dates) else "")
                + "."
            )
    doc.h("Intelligence matches")
    doc.p(
        "Identifier values are held by the bank and not copied here; "
        "look them up in the intelligence table."
        if intel_lines
        else "No member's identifiers match the intelligence table."
    )
    doc.ul(intel_lines)

    # Sources and to-do -------------------------------------------------------------------
    if cited:
        titles = _source_titles()
        doc.h("Published sources of the red flags")
        doc.ul([f"{k}: {titles[k]}" for k in sorted(cited) if k in titles])
    doc.h("For the investigator")
    doc.ul(
        [
            "Verify every fact above against the bank's records; fintrak's scores and roles are "
            "leads, not findings.",
            "Add names, dates of birth, identification documents, phone numbers, e-mail and IP "
            "addresses of subjects from KYC and channel logs, as FIN-2020-A008 asks.",
            "Describe each potential victim in the narrative only; never enter one as a subject.",
            "Add behavioural observations and the staff who witnessed them.",
            "Decide whether to file; rewrite this draft in your own words before filing.",
        ]
    )

    title = f"SAR narrative draft — case {case_id}"
    markdown = _scrub(doc.markdown(title), secrets)
    text = _scrub(doc.text(title), secrets)
    fields = {
        "case_id": case_id,
        "typology": typology,
        "key_term": key_term,
        "sar_field_2": key_term,
        "sar_field_38": sar_field,
        "subjects": subjects,
        "potential_victims": victims,
        "other_members": others,
        "date_start": _day(start) if start is not None else None,
        "date_end": _day(end) if end is not None else None,
        "currencies": [str(c) for c in currencies],
        "totals": totals,
        "alert_ids": [a for a in alert_ids if a],
        "as_of": as_of,
        "draft": True,
    }
    return Narrative(markdown=markdown, text=text, fields=fields)


def write_narratives(
    cases: Iterable[dict[str, Any]],
    alerts: pd.DataFrame | None,
    transactions: pd.DataFrame,
    accounts: pd.DataFrame | None,
    out_dir: str | Path,
) -> list[Path]:
    """Write ``narratives/<case_id>.md`` and ``.txt`` under ``out_dir``, each atomically.

    Parameters
    ----------
    cases : iterable of dict
        The cases (``ScoreResult.cases`` or the lines of ``cases.jsonl``).
    alerts, transactions, accounts : pandas.DataFrame
        As for :func:`draft_narrative`.
    out_dir : path-like
        The run's output folder; ``narratives/`` is created inside it.

    Returns
    -------
    list of pathlib.Path
        The files written, two per case, in the cases' order.

    Raises
    ------
    NarrativeError
        If a ``case_id`` is not usable as a file name.
    """
    folder = Path(out_dir) / "narratives"
    cases = list(cases)
    for case in cases:
        cid = str(case.get("case_id", ""))
        if not _SAFE_ID.match(cid):
            raise NarrativeError(
                f"case_id must hold only letters, digits, '.', '_' and '-'. Got {cid!r} instead."
            )
    written = []
    for case in cases:
        narrative = draft_narrative(case, alerts, transactions, accounts)
        cid = str(case["case_id"])
        written.append(write_text_atomic(folder / f"{cid}.md", narrative.markdown))
        written.append(write_text_atomic(folder / f"{cid}.txt", narrative.text))
    return written


def narratives_for_run(
    run_dir: str | Path,
    out_dir: str | Path,
    case_ids: Sequence[str] | None = None,
) -> list[Path]:
    """Draft the narratives of a scoring run's cases into ``out_dir/narratives/``.

    Parameters
    ----------
    run_dir : path-like
        The run folder (``cases.jsonl``, ``alerts.jsonl``, ``transactions.parquet`` and, when
        present, ``accounts.parquet``).
    out_dir : path-like
        Where ``narratives/`` is created.
    case_ids : sequence of str, optional
        Only these cases (default: every case of the run).

    Returns
    -------
    list of pathlib.Path
        The files written, two per case.

    Raises
    ------
    fintrak.exceptions.InputFileError
        If a run file is missing or unreadable.
    """
    from fintrak.exceptions import InputFileError
    from fintrak.export import read_jsonl

    folder = Path(run_dir)
    cases = read_jsonl(folder / "cases.jsonl", "case")
    if case_ids is not None:
        wanted = set(case_ids)
        cases = [c for c in cases if c.get("case_id") in wanted]
    members = sorted({str(m["account_id"]) for c in cases for m in c.get("members") or []})
    alerts = pd.DataFrame(read_jsonl(folder / "alerts.jsonl", "alert"))
    transactions_file = folder / "transactions.parquet"
    if not transactions_file.is_file():
        raise InputFileError(
            str(transactions_file),
            "the file does not exist",
            "pass the --out folder of `fintrak score` (for `fintrak demo`, its run/ subfolder)",
        )
    transactions = pd.read_parquet(
        transactions_file,
        columns=["account_id", "timestamp", "amount", "direction", "currency", "channel", "city"],
        filters=[("account_id", "in", members)] if members else None,
    )
    accounts_file = folder / "accounts.parquet"
    accounts = (
        pd.read_parquet(accounts_file, filters=[("account_id", "in", members)] if members else None)
        if accounts_file.is_file()
        else None
    )
    return write_narratives(cases, alerts, transactions, accounts, out_dir)
