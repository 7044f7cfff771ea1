"""The three kinds of report page: the index, one page per alert, one page per case.

Each function takes a :class:`Context` (the run and what is shared between pages) and returns a
whole HTML document. Sections carry stable ids (:data:`ALERT_SECTIONS`, :data:`CASE_SECTIONS`,
:data:`INDEX_SECTIONS`). No page shows a name, date of birth, phone number, e-mail address, street
address, memo, device or IP address: accounts are named by account id and customer id only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fintrak.features.settings import FeatureSettings
from fintrak.report.flagged import (
    FLAG_WINDOW_DAYS,
    NETWORK_LABEL,
    flag_rows,
    rules_for_features,
)
from fintrak.report.markup import (
    Redactor,
    esc,
    fmt_amount,
    fmt_number,
    link,
    page,
    section,
    table,
)
from fintrak.report.plots import Step, cities_svg, network_svg, timeline_svg, waterfall_svg
from fintrak.report.rundata import RunData
from fintrak.report.sources import source_titles

__all__ = [
    "ALERT_SECTIONS",
    "CASE_SECTIONS",
    "INDEX_SECTIONS",
    "MAX_FLAGGED_ROWS",
    "TOP_COUNTERPARTIES",
    "Context",
    "alert_page",
    "case_page",
    "index_page",
]

#: Section ids of an alert page, in page order.
ALERT_SECTIONS = ("profile", "timeline", "shap", "rules", "intel", "counterparties", "where")
#: Section ids of a case page, in page order.
CASE_SECTIONS = ("members", "network", "links", "money", "evidence", "where")
#: Section ids of the index page.
INDEX_SECTIONS = ("alerts", "cases")
#: Flagged rows listed in an alert page's table (the most recent; the plot shows all).
MAX_FLAGGED_ROWS = 200
#: Counterparties listed in each direction.
TOP_COUNTERPARTIES = 10

_NOTICE = (
    "Internal use only. This page holds personal and account data of bank customers: keep it "
    "inside the bank's investigation team, and never tell a customer or anyone outside the "
    "investigation that an alert exists or that a suspicious activity report is being considered."
)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$")
_ROLE_WORDS = {
    "controller": "collector: receives money from other members and sends little back",
    "recruiter": "second collector: takes fees or part of the members' money",
    "employer": "pays wages to two or more members",
    "funnel": "cash deposited in one place and withdrawn or sent on elsewhere",
    "victim": "hands most of what it receives to a collector of the network",
    "worker": "receives a wage from the network's employer",
    "other": "no money pattern of its own in the network",
}


def file_name(ident: str) -> str:
    """Return a safe file name for an alert or case id.

    Examples
    --------
    >>> file_name("case-7a5116a0a8a20aca6c64")
    'case-7a5116a0a8a20aca6c64.html'
    >>> file_name("../x")
    'id-...html'
    """
    if _SAFE_NAME.match(ident) and ".." not in ident:
        return f"{ident}.html"
    import hashlib

    return f"id-{hashlib.sha256(ident.encode()).hexdigest()[:20]}.html"


@dataclass
class Context:
    """What every page of one report shares.

    Parameters
    ----------
    run : RunData
        The run folder's tables.
    settings : FeatureSettings, optional
        MCC groups for the flagged rows; default the shipped ones.
    """

    run: RunData
    settings: FeatureSettings = field(default_factory=FeatureSettings.default)
    redactor: Redactor = field(init=False)
    alert_files: dict[str, str] = field(init=False)
    case_files: dict[str, str] = field(init=False)
    alert_of_account: dict[str, dict[str, Any]] = field(init=False)
    members_of_network: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        run = self.run
        self.redactor = Redactor(run.contacts)
        self.alert_files = {str(a["alert_id"]): file_name(str(a["alert_id"])) for a in run.alerts}
        self.case_files = {str(c["case_id"]): file_name(str(c["case_id"])) for c in run.cases}
        self.alert_of_account = {str(a["account_id"]): a for a in run.alerts}
        nets = run.networks
        self.members_of_network = {
            str(k): sorted(str(a) for a in v)
            for k, v in nets.groupby("network_id", sort=True)["account_id"]
        }

    def alert_href(self, alert_id: Any, *, up: bool) -> str | None:
        """Return the relative link to an alert page, or None when the run has no such alert."""
        name = self.alert_files.get(str(alert_id)) if alert_id else None
        if name is None:
            return None
        return f"../alerts/{name}" if up else f"alerts/{name}"

    def case_href(self, case_id: Any, *, up: bool) -> str | None:
        """Return the relative link to a case page, or None when the run has no such case."""
        name = self.case_files.get(str(case_id)) if case_id else None
        if name is None:
            return None
        return f"../cases/{name}" if up else f"cases/{name}"


# --------------------------------------------------------------------------- small helpers


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


def _day(value: Any) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    stamp = pd.Timestamp(value)
    if stamp is pd.NaT:
        return ""
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%d")


def _words(value: Any) -> str:
    return _text(value).replace("_", " ")


def _facts(pairs: list[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in pairs)
    return f'<dl class="facts">{items}</dl>'


def _account_cell(ctx: Context, account_id: Any, *, up: bool) -> str:
    alert = ctx.alert_of_account.get(_text(account_id))
    href = ctx.alert_href(alert["alert_id"], up=up) if alert else None
    return link(href, _text(account_id)) if href else esc(account_id)


def _top_nav(up: bool, extra: str = "") -> str:
    index = "../index.html" if up else "index.html"
    return f"<p>{link(index, '← all alerts')}{extra}</p>"


def _toc(ids: tuple[str, ...], titles: dict[str, str]) -> str:
    items = " ".join(link(f"#{i}", titles[i]) for i in ids)
    return f'<nav class="toc">{items}</nav>'


def _run_line(ctx: Context) -> str:
    scoring = ctx.run.scoring
    return (
        f"as of {esc(ctx.run.as_of.strftime('%Y-%m-%d %H:%M UTC'))} · model "
        f"{esc(scoring.get('model_version', ''))} · alert threshold "
        f"{fmt_number(scoring.get('alert_threshold'))}"
    )


# --------------------------------------------------------------------------- index


def _alert_rows(ctx: Context) -> tuple[list[list[str]], list[str]]:
    ranked = sorted(ctx.run.alerts, key=lambda a: (-float(a.get("score") or 0), a["alert_id"]))
    rows, attrs = [], []
    for rank, alert in enumerate(ranked, start=1):
        scores = _score_row(ctx, alert["account_id"])
        case = ctx.case_href(alert.get("case_id"), up=False)
        rows.append(
            [
                str(rank),
                link(ctx.alert_href(alert["alert_id"], up=False) or "#", alert["alert_id"]),
                esc(alert["account_id"]),
                fmt_number(alert.get("score")),
                fmt_number(scores.get("rule_score")),
                fmt_number(scores.get("model_score")),
                esc(_words(alert.get("typology"))),
                esc(_text(alert.get("role_hypothesis"))),
                esc(_text(alert.get("network_role"))),
                link(case, alert["case_id"]) if case else "",
            ]
        )
        attrs.append(f'data-typology="{esc(_text(alert.get("typology")))}"')
    return rows, attrs


def _case_rows(ctx: Context) -> tuple[list[list[str]], list[str]]:
    ranked = sorted(ctx.run.cases, key=lambda c: (c.get("priority") or 0, c["case_id"]))
    rows, attrs = [], []
    for case in ranked:
        evidence = case.get("evidence") or {}
        rows.append(
            [
                esc(case.get("priority")),
                link(ctx.case_href(case["case_id"], up=False) or "#", case["case_id"]),
                esc(_words(case.get("typology"))),
                fmt_number(case.get("score")),
                esc(len(case.get("members") or [])),
                esc(evidence.get("alerted_members", "")),
                fmt_amount(evidence.get("money_inside")),
            ]
        )
        attrs.append(f'data-typology="{esc(_text(case.get("typology")))}"')
    return rows, attrs


_FILTER_SCRIPT = """
(function () {
  var box = document.getElementById("filter-box");
  var pick = document.getElementById("typology-filter");
  var count = document.getElementById("shown-count");
  box.hidden = false;
  function apply() {
    var value = pick.value, shown = 0;
    var rows = document.querySelectorAll("#alert-table tbody tr, #case-table tbody tr");
    for (var i = 0; i < rows.length; i++) {
      var keep = value === "all" || rows[i].getAttribute("data-typology") === value;
      rows[i].hidden = !keep;
      if (keep && rows[i].closest("#alert-table")) { shown++; }
    }
    count.textContent = shown + " alert(s) shown";
  }
  pick.addEventListener("change", apply);
  apply();
})();
"""


def index_page(ctx: Context) -> str:
    """Return ``index.html``: every alert ranked by score and every case, filterable by typology.

    Parameters
    ----------
    ctx : Context

    Returns
    -------
    str
    """
    typologies = sorted({_text(a.get("typology")) for a in ctx.run.alerts} - {""})
    options = '<option value="all">all typologies</option>' + "".join(
        f'<option value="{esc(t)}">{esc(_words(t))}</option>' for t in typologies
    )
    filter_box = (
        '<div class="filter" id="filter-box" hidden><label for="typology-filter">Typology: '
        f'</label><select id="typology-filter">{options}</select> '
        '<span id="shown-count"></span></div>'
    )
    alert_rows, alert_attrs = _alert_rows(ctx)
    headers = [
        "rank",
        "alert",
        "account",
        "score",
        "rule score",
        "model score",
        "typology",
        "rules suggest",
        "network role",
        "case",
    ]
    alerts = table(
        headers, alert_rows, numeric=(0, 3, 4, 5), row_attrs=alert_attrs, table_id="alert-table"
    )
    case_rows, case_attrs = _case_rows(ctx)
    cases = table(
        ["priority", "case", "typology", "score", "members", "alerted", "money inside"],
        case_rows,
        numeric=(0, 3, 4, 5, 6),
        row_attrs=case_attrs,
        table_id="case-table",
    )
    body = (
        f'<p class="notice">{esc(_NOTICE)}</p>\n{filter_box}\n'
        + section(
            "alerts",
            f"Alerts ({len(alert_rows)})",
            alerts,
            "Ranked by combined score; open an alert for its evidence.",
        )
        + section(
            "cases",
            f"Cases ({len(case_rows)})",
            cases,
            "One case per suspicious network; open it for the members and the money between them.",
        )
    )
    header = f"<h1>fintrak alerts</h1>\n<p>{_run_line(ctx)}</p>"
    return page("fintrak alerts", header, body, script=_FILTER_SCRIPT)


# --------------------------------------------------------------------------- alert page


def _score_row(ctx: Context, account_id: Any) -> dict[str, Any]:
    scores = ctx.run.scores
    key = _text(account_id)
    return scores.loc[key].to_dict() if key in scores.index else {}


def _network_row(ctx: Context, account_id: str) -> dict[str, Any]:
    nets = ctx.run.networks
    hit = nets[nets["account_id"] == account_id]
    return hit.iloc[0].to_dict() if len(hit) else {}


def _profile(ctx: Context, alert: dict[str, Any]) -> str:
    account_id = str(alert["account_id"])
    kyc = ctx.run.account(account_id)
    scores = _score_row(ctx, account_id)
    net = _network_row(ctx, account_id)
    clean = ctx.redactor.text
    case = ctx.case_href(alert.get("case_id"), up=True)
    income = kyc.get("declared_income")
    pairs = [
        ("account id", esc(account_id)),
        ("customer id", esc(_text(kyc.get("customer_id")))),
        ("account type", clean(kyc.get("account_type"))),
        ("opened", esc(_day(kyc.get("opened_at")))),
        (
            "home city",
            clean(", ".join(_text(kyc.get(k)) for k in ("city", "country") if _text(kyc.get(k)))),
        ),
        ("occupation", clean(kyc.get("occupation")) or "not given"),
        ("declared income", fmt_amount(income) if _text(income) else "not given"),
        ("score", fmt_number(alert.get("score"))),
        ("rule score", fmt_number(scores.get("rule_score"))),
        ("model score", fmt_number(scores.get("model_score"))),
        ("typology", esc(_words(alert.get("typology")))),
        ("role the rules suggest", esc(_text(alert.get("role_hypothesis")) or "none")),
        (
            "network role",
            esc(_text(alert.get("network_role")))
            + (
                f" — {esc(_ROLE_WORDS[alert['network_role']])}"
                if alert.get("network_role") in _ROLE_WORDS
                else ""
            ),
        ),
        (
            "network",
            esc(_text(alert.get("network_id")))
            + (f" ({esc(net.get('network_size'))} accounts)" if net else ""),
        ),
        ("case", link(case, str(alert["case_id"])) if case else "none"),
    ]
    note = "" if kyc else "<p>No KYC row for this account in the run.</p>"
    return section(
        "profile",
        "Profile",
        _facts(pairs) + note,
        "Who the account is, by ids only (no name or contact details).",
    )


def _alert_features(ctx: Context, alert: dict[str, Any]) -> pd.DataFrame:
    hits = ctx.run.rule_hits
    fired = {h.get("indicator") for h in alert.get("rule_hits") or []}
    mine = hits[(hits["account_id"].astype(str) == str(alert["account_id"]))]
    return mine[mine["indicator"].isin(fired)]


def _counterparty_cell(ctx: Context, row: Any, *, up: bool) -> str:
    if _text(row.counterparty_id):  # a customer of the bank: named by account id only
        return f"account {_account_cell(ctx, row.counterparty_id, up=up)}"
    return ctx.redactor.text(row.counterparty_name)


def _flagged_table(ctx: Context, rows: pd.DataFrame, why: pd.Series) -> str:
    picked = rows[why != ""]
    total = len(picked)
    picked = picked.iloc[::-1].iloc[:MAX_FLAGGED_ROWS]
    reasons = why.loc[picked.index]
    body = [
        [
            esc(row.timestamp.strftime("%Y-%m-%d %H:%M")),
            esc(row.direction),
            esc(row.channel),
            fmt_amount(row.amount, row.currency),
            esc(_text(row.mcc)),
            _counterparty_cell(ctx, row, up=True),
            ctx.redactor.text(", ".join(x for x in (_text(row.city), _text(row.country)) if x)),
            esc(reason),
        ]
        for row, reason in zip(picked.itertuples(index=False), reasons, strict=True)
    ]
    shown = f"{len(body)} most recent of {total}" if total > len(body) else str(total)
    head = f"<h3>Flagged rows ({shown}, newest first, times in UTC)</h3>"
    if not body:
        return head + "<p>No row of the last 90 days is of a kind the fired rules count.</p>"
    headers = ["time", "direction", "channel", "amount", "MCC", "counterparty", "place", "why"]
    return head + f'<div class="scroll">{table(headers, body, numeric=(3,))}</div>'


def _timeline(ctx: Context, alert: dict[str, Any], rows: pd.DataFrame, why: pd.Series) -> str:
    features = _alert_features(ctx, alert)["feature"].astype(str).tolist()
    rules, unmatched = rules_for_features(features)
    families = [f"<li><b>{esc(r.family)}</b>: {esc(r.label)}</li>" for r in rules]
    families.append(f"<li><b>network</b>: {esc(NETWORK_LABEL)}</li>")
    explain = (
        f"<p>A row is <b>flagged</b> when it falls in the {FLAG_WINDOW_DAYS} days up to the "
        "as-of and is the kind of activity a fired rule counts, or moves money to or from "
        "another account of the same network. A flag marks what the rules looked at; it does "
        "not say that the row itself is suspicious. Families behind this alert:</p>"
        f"<ul>{''.join(families)}</ul>"
    )
    if unmatched:
        explain += (
            "<p>Fired rules about the account as a whole (no single row): "
            f"{esc(', '.join(unmatched))}.</p>"
        )
    flagged = (why != "").to_numpy(dtype=bool)
    plot = (
        timeline_svg(rows, flagged, ctx.run.as_of, FLAG_WINDOW_DAYS)
        if len(rows)
        else ("<p>No transactions up to the as-of.</p>")
    )
    return section(
        "timeline",
        "Timeline",
        plot + explain + _flagged_table(ctx, rows, why),
        "Every transaction up to the as-of, by channel; flagged rows ringed in black.",
    )


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _shap(ctx: Context, alert: dict[str, Any]) -> str:
    account_id = str(alert["account_id"])
    exp = ctx.run.explanations
    mine = exp[exp["account_id"].astype(str) == account_id].sort_values("rank")
    base = ctx.run.scoring.get("model_base_log_odds")
    model_score = _score_row(ctx, account_id).get("model_score")
    why = (
        "How the model moved from the average account to this one; contributions are in "
        "log-odds (SHAP values)."
    )
    if base is None or model_score is None or mine.empty:
        return section(
            "shap",
            "Model explanation (SHAP waterfall)",
            "<p>No model explanation in this run for this account.</p>",
            why,
        )
    total = _logit(float(model_score))
    listed = [
        Step(ctx.redactor.clean(t), float(c))
        for t, c in zip(mine["text"], mine["contribution"], strict=True)
    ]
    rest = total - float(base) - sum(s.delta for s in listed)
    steps = [*listed, Step("all other features", rest)]
    plot = waterfall_svg(float(base), steps, total, float(model_score), remainder=True)
    body = [
        [
            esc(r.rank),
            esc(r.feature),
            fmt_number(r.value, 2),
            fmt_number(r.peer_median, 2),
            fmt_number(r.contribution, 3),
            ctx.redactor.text(r.text),
        ]
        for r in mine.itertuples(index=False)
    ]
    body.append(["", "all other features", "", "", fmt_number(rest, 3), ""])
    numbers = table(
        ["rank", "feature", "value", "peer median", "log-odds", "in words"],
        body,
        numeric=(0, 2, 3, 4),
    )
    summary = (
        f"<p>Base value {fmt_number(base, 3)} + listed contributions "
        f"{fmt_number(sum(s.delta for s in listed), 3)} + all other features "
        f"{fmt_number(rest, 3)} = {fmt_number(total, 3)} log-odds (model score "
        f"{fmt_number(model_score)}).</p>"
    )
    return section("shap", "Model explanation (SHAP waterfall)", plot + summary + numbers, why)


def _sources_cell(text: Any) -> str:
    pairs = source_titles(_text(text))
    return ", ".join(f'<abbr title="{esc(t)}">{esc(k)}</abbr>' for k, t in pairs)


def _sources_list(hits: list[dict[str, Any]]) -> str:
    cited = dict(pair for hit in hits for pair in source_titles(_text(hit.get("source"))))
    if not cited:
        return ""
    items = "".join(f"<li><b>{esc(k)}</b>: {esc(cited[k])}</li>" for k in sorted(cited))
    return f"<h3>Sources cited</h3><ul>{items}</ul>"


def _rules(ctx: Context, alert: dict[str, Any]) -> str:
    detail = _alert_features(ctx, alert).drop_duplicates("indicator").set_index("indicator")
    hits = sorted(
        alert.get("rule_hits") or [],
        key=lambda h: (-float(h.get("points") or 0), _text(h.get("indicator"))),
    )
    body = []
    for hit in hits:
        indicator = _text(hit.get("indicator"))
        row = detail.loc[indicator] if indicator in detail.index else None
        measured = (
            f"{esc(row['feature'])} = {fmt_number(row['value'], 2)}" if row is not None else ""
        )
        body.append(
            [
                esc(indicator),
                esc(_words(hit.get("typology")))
                + (f" {esc(hit['typology_version'])}" if hit.get("typology_version") else ""),
                fmt_number(hit.get("points"), 0),
                ctx.redactor.text(hit.get("reason")),
                measured,
                _sources_cell(hit.get("source")),
            ]
        )
    if not body:
        content = "<p>No typology rule fired for this account.</p>"
    else:
        total = sum(float(h.get("points") or 0) for h in hits)
        content = (
            table(
                ["indicator", "typology", "points", "reason", "measured", "sources"],
                body,
                numeric=(2,),
            )
            + f"<p>Total points: {fmt_number(total, 0)}.</p>"
            + _sources_list(hits)
        )
    return section(
        "rules",
        "Rules that fired",
        content,
        "Published red flags this account matched, with their points and sources.",
    )


def _intel(ctx: Context, alert: dict[str, Any]) -> str:
    items = alert.get("intel_evidence") or []
    why = "Matches with the bank's intelligence lists (kinds and dates only, never the values)."
    if not items:
        return section("intel", "Intelligence matches", "<p>No intelligence matches.</p>", why)
    body = [
        [
            esc(_text(i.get("kind"))),
            esc(_words(i.get("matched_on"))),
            ctx.redactor.text(i.get("source")),
            esc(_text(i.get("intel_first_seen"))),
            esc(_text(i.get("first_date"))),
            esc(_text(i.get("last_date"))),
            esc(_text(i.get("transactions"))),
            esc(_text(i.get("values"))),
        ]
        for i in items
    ]
    headers = [
        "kind",
        "matched on",
        "intel source",
        "intel first seen",
        "first transaction",
        "last transaction",
        "transactions",
        "values",
    ]
    return section("intel", "Intelligence matches", table(headers, body, numeric=(6, 7)), why)


def _counterparty_table(ctx: Context, rows: pd.DataFrame, direction: str) -> str:
    part = rows[rows["direction"] == direction]
    if part.empty:
        return "<p>None.</p>"
    key = (
        part["counterparty_id"]
        .astype(object)
        .where(
            part["counterparty_id"].notna(),
            "name:" + part["counterparty_name"].astype(object).fillna("(no name)").astype(str),
        )
    )
    frame = part.assign(key=key.astype(str), currency=part["currency"].astype(object).fillna(""))
    grouped = (
        frame.groupby(["key", "currency"], sort=True)
        .agg(
            total=("amount", "sum"),
            n=("amount", "size"),
            first=("timestamp", "min"),
            last=("timestamp", "max"),
            counterparty_id=("counterparty_id", "first"),
            counterparty_name=("counterparty_name", "first"),
            channels=("channel", lambda c: ", ".join(sorted(set(c.astype(str))))),
        )
        .reset_index()
    )
    grouped = grouped.sort_values(["total", "key"], ascending=[False, True], kind="stable")
    body = [
        [
            _counterparty_cell(ctx, r, up=True),
            esc(r.n),
            fmt_amount(r.total, r.currency),
            esc(r.channels),
            esc(_day(r.first)),
            esc(_day(r.last)),
        ]
        for r in grouped.head(TOP_COUNTERPARTIES).itertuples(index=False)
    ]
    return table(
        ["counterparty", "transactions", "total", "channels", "first", "last"], body, numeric=(1, 2)
    )


def _counterparties(ctx: Context, rows: pd.DataFrame) -> str:
    body = (
        "<h3>Money in (credits)</h3>"
        + _counterparty_table(ctx, rows, "credit")
        + "<h3>Money out (debits)</h3>"
        + _counterparty_table(ctx, rows, "debit")
    )
    return section(
        "counterparties",
        "Top counterparties",
        body,
        f"The {TOP_COUNTERPARTIES} largest payers and payees up to the as-of; "
        "accounts of this bank are named by account id.",
    )


def _where_alert(ctx: Context, alert: dict[str, Any], rows: pd.DataFrame) -> str:
    home = _text(ctx.run.account(str(alert["account_id"])).get("city")) or None
    plot = cities_svg(rows, home=ctx.redactor.clean(home) if home else None)
    cities = rows["city"].dropna().astype(str).nunique()
    return section(
        "where",
        "Where",
        plot + f"<p>{cities} distinct cities in the rows.</p>",
        "Cities of the account's transactions over time (rows without a city, such "
        "as most online payments, are left out).",
    )


def alert_page(ctx: Context, alert: dict[str, Any]) -> str:
    """Return the page of one alert.

    Parameters
    ----------
    ctx : Context
    alert : dict
        One line of ``alerts.jsonl``.

    Returns
    -------
    str
    """
    account_id = str(alert["account_id"])
    rows = ctx.run.rows(account_id)
    members = ctx.members_of_network.get(_text(alert.get("network_id")), [])
    why = flag_rows(
        rows,
        _alert_features(ctx, alert)["feature"].astype(str),
        as_of=ctx.run.as_of,
        account_id=account_id,
        members=members,
        settings=ctx.settings,
    )
    titles = {
        "profile": "Profile",
        "timeline": "Timeline",
        "shap": "Model explanation",
        "rules": "Rules",
        "intel": "Intelligence",
        "counterparties": "Counterparties",
        "where": "Where",
    }
    body = (
        f'<p class="notice">{esc(_NOTICE)}</p>\n{_toc(ALERT_SECTIONS, titles)}\n'
        + _profile(ctx, alert)
        + _timeline(ctx, alert, rows, why)
        + _shap(ctx, alert)
        + _rules(ctx, alert)
        + _intel(ctx, alert)
        + _counterparties(ctx, rows)
        + _where_alert(ctx, alert, rows)
    )
    case = ctx.case_href(alert.get("case_id"), up=True)
    header = (
        f"<h1>Alert {esc(alert['alert_id'])} — account {esc(account_id)}</h1>\n"
        f"<p>{esc(_words(alert.get('typology')))} · score {fmt_number(alert.get('score'))} · "
        f"{_run_line(ctx)}</p>\n"
        + _top_nav(True, f" · {link(case, 'case ' + str(alert['case_id']))}" if case else "")
    )
    return page(f"Alert {alert['alert_id']} — fintrak", header, body)


# --------------------------------------------------------------------------- case page


def _members_frame(case: dict[str, Any]) -> pd.DataFrame:
    members = pd.DataFrame(
        case.get("members") or [], columns=["account_id", "role", "score", "alert", "alert_id"]
    )
    members["account_id"] = members["account_id"].astype(str)
    members["alert"] = members["alert"].fillna(False).astype(bool)
    order = list(_ROLE_WORDS)
    members["_role"] = members["role"].map(lambda r: order.index(r) if r in order else len(order))
    return members.sort_values(["_role", "account_id"], kind="stable").drop(columns="_role")


def _members(ctx: Context, case: dict[str, Any]) -> str:
    body = []
    for m in sorted(
        case.get("members") or [], key=lambda m: (-float(m.get("score") or 0), str(m["account_id"]))
    ):
        alert = ctx.alert_of_account.get(str(m["account_id"]))
        href = ctx.alert_href(m.get("alert_id"), up=True)
        body.append(
            [
                esc(m["account_id"]),
                esc(_text(m.get("role"))),
                esc(_ROLE_WORDS.get(_text(m.get("role")), "")),
                fmt_number(m.get("score")),
                link(href, str(m["alert_id"])) if href else ("yes" if m.get("alert") else "no"),
                esc(_words(alert.get("typology"))) if alert else "",
            ]
        )
    content = table(
        ["account", "network role", "what the role means", "score", "alert", "typology"],
        body,
        numeric=(3,),
    )
    return section(
        "members",
        f"Members ({len(body)})",
        content,
        "Everyone in the network, highest score first; roles come from the money between members.",
    )


def _network(case: dict[str, Any]) -> str:
    members = _members_frame(case)
    links = pd.DataFrame(
        case.get("links") or [],
        columns=["account_a", "account_b", "amount", "count", "kind", "weight"],
    )
    links = links.assign(
        account_a=links["account_a"].astype(str),
        account_b=links["account_b"].astype(str),
        amount=links["amount"].fillna(0.0),
        count=links["count"].fillna(0),
    )
    plot = network_svg(members, links)
    return section(
        "network",
        "Network",
        plot,
        "Members coloured by role (alerted members ringed in black); solid green "
        "lines carry money (total and number of transactions), dashed lines a shared "
        "identifier.",
    )


def _links(case: dict[str, Any]) -> str:
    links = pd.DataFrame(
        case.get("links") or [],
        columns=["account_a", "account_b", "amount", "count", "kind", "weight"],
    )
    if links.empty:
        return section("links", "Links", "<p>No links: a single account.</p>")
    kinds = (
        links.groupby("kind", sort=True)
        .agg(pairs=("kind", "size"), count=("count", "sum"), amount=("amount", "sum"))
        .reset_index()
    )
    summary = table(
        ["kind", "linked pairs", "count", "amount"],
        [
            [
                esc(r.kind),
                esc(r.pairs),
                esc(int(r.count)),
                fmt_amount(r.amount) if r.kind == "money" else "",
            ]
            for r in kinds.itertuples(index=False)
        ],
        numeric=(1, 2, 3),
    )
    ordered = links.sort_values(["kind", "account_a", "account_b"], kind="stable")
    detail = table(
        ["account", "account", "kind", "count", "amount"],
        [
            [
                esc(r.account_a),
                esc(r.account_b),
                esc(r.kind),
                esc(int(r.count or 0)),
                fmt_amount(r.amount) if r.kind == "money" else "",
            ]
            for r in ordered.itertuples(index=False)
        ],
        numeric=(3, 4),
    )
    every = f"<details><summary>Every link ({len(ordered)})</summary>{detail}</details>"
    return section(
        "links",
        "Links",
        summary + every,
        "What ties the members: kinds, counts and amounts only; the shared phone, "
        "e-mail, address or device itself is never shown.",
    )


def _member_money(ctx: Context, members: list[str]) -> pd.DataFrame:
    rows = pd.concat([ctx.run.rows(m) for m in members]) if members else pd.DataFrame()
    if rows.empty:
        return rows
    inside = rows[rows["counterparty_id"].astype(object).isin(members)]
    inside = inside[inside["counterparty_id"].astype(str) != inside["account_id"]]
    debit = inside["direction"] == "debit"
    sender = np.where(debit, inside["account_id"], inside["counterparty_id"].astype(str))
    receiver = np.where(debit, inside["counterparty_id"].astype(str), inside["account_id"])
    moves = pd.DataFrame(
        {
            "sender": sender,
            "receiver": receiver,
            "amount": inside["amount"].to_numpy(),
            "currency": inside["currency"].astype(object).fillna("").to_numpy(),
            "timestamp": inside["timestamp"].to_numpy(),
            "channel": inside["channel"].to_numpy(),
        }
    ).drop_duplicates(["sender", "receiver", "amount", "currency", "timestamp"])
    return moves


def _money(ctx: Context, case: dict[str, Any]) -> str:
    members = sorted(str(m["account_id"]) for m in case.get("members") or [])
    moves = _member_money(ctx, members)
    why = (
        "Transactions between members up to the as-of, from the bank's records (a transfer "
        "seen on both accounts is counted once)."
    )
    if moves.empty:
        return section(
            "money", "Money between members", "<p>No money moved between members.</p>", why
        )
    flows = (
        moves.groupby(["sender", "receiver", "currency"], sort=True)
        .agg(
            n=("amount", "size"),
            total=("amount", "sum"),
            first=("timestamp", "min"),
            last=("timestamp", "max"),
            channels=("channel", lambda c: ", ".join(sorted(set(c.astype(str))))),
        )
        .reset_index()
        .sort_values(["total", "sender", "receiver"], ascending=[False, True, True], kind="stable")
    )
    body = [
        [
            _account_cell(ctx, r.sender, up=True),
            _account_cell(ctx, r.receiver, up=True),
            esc(r.n),
            fmt_amount(r.total, r.currency),
            esc(r.channels),
            esc(_day(r.first)),
            esc(_day(r.last)),
        ]
        for r in flows.itertuples(index=False)
    ]
    content = table(
        ["from", "to", "transactions", "total", "channels", "first", "last"], body, numeric=(2, 3)
    )
    return section("money", "Money between members", content, why)


def _evidence_value(ctx: Context, value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{esc(k)}: {_evidence_value(ctx, v)}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        if value and all(isinstance(v, dict) and "text" in v for v in value):
            return (
                "<ul>"
                + "".join(f"<li>{ctx.redactor.text(v['text'])}</li>" for v in value)
                + "</ul>"
            )
        return ", ".join(_evidence_value(ctx, v) for v in value) or "none"
    if isinstance(value, float):
        return fmt_number(value, 2)
    return ctx.redactor.text(value)


def _evidence(ctx: Context, case: dict[str, Any]) -> str:
    evidence = case.get("evidence") or {}
    pairs = [
        ("trigger", esc(_text(case.get("trigger")))),
        ("priority", esc(_text(case.get("priority")))),
        ("case score", fmt_number(case.get("score"))),
    ]
    for key in sorted(evidence):
        value = evidence[key]
        if key == "top_alert_id":
            href = ctx.alert_href(value, up=True)
            shown = link(href, str(value)) if href else esc(value)
        elif key in {"top_member", "intel_members"}:
            ids = value if isinstance(value, list) else [value]
            shown = ", ".join(_account_cell(ctx, v, up=True) for v in ids if v) or "none"
        else:
            shown = _evidence_value(ctx, value)
        pairs.append((_words(key), shown))
    return section(
        "evidence", "Evidence", _facts(pairs), "Why the case was opened and what holds it together."
    )


def _where_case(ctx: Context, case: dict[str, Any]) -> str:
    members = sorted(str(m["account_id"]) for m in case.get("members") or [])
    frames = [ctx.run.rows(m) for m in members]
    rows = pd.concat(frames) if frames else ctx.run.transactions.iloc[:0]
    plot = cities_svg(rows)
    return section(
        "where",
        "Where",
        plot,
        "Cities where the members transacted, over time; colour counts the members "
        "transacting in that city and period.",
    )


def case_page(ctx: Context, case: dict[str, Any]) -> str:
    """Return the page of one network case.

    Parameters
    ----------
    ctx : Context
    case : dict
        One line of ``cases.jsonl``.

    Returns
    -------
    str
    """
    titles = {
        "members": "Members",
        "network": "Network",
        "links": "Links",
        "money": "Money",
        "evidence": "Evidence",
        "where": "Where",
    }
    body = (
        f'<p class="notice">{esc(_NOTICE)}</p>\n{_toc(CASE_SECTIONS, titles)}\n'
        + _members(ctx, case)
        + _network(case)
        + _links(case)
        + _money(ctx, case)
        + _evidence(ctx, case)
        + _where_case(ctx, case)
    )
    header = (
        f"<h1>Case {esc(case['case_id'])} — {esc(_words(case.get('typology')))}</h1>\n"
        f"<p>priority {esc(_text(case.get('priority')))} · score "
        f"{fmt_number(case.get('score'))} · {len(case.get('members') or [])} members · "
        f"{_run_line(ctx)}</p>\n" + _top_nav(True)
    )
    return page(f"Case {case['case_id']} — fintrak", header, body)
