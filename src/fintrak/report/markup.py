"""HTML building blocks for the report pages: escaping, redaction, tables, sections, the shell.

Every value that reaches a page goes through :meth:`Redactor.text` (free text: contact details
withheld, then escaped) or :func:`esc` (identifiers and numbers: escaped). The page shell carries
its own CSS and no reference to anything outside the file.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CSS",
    "WITHHELD",
    "Redactor",
    "esc",
    "fmt_amount",
    "fmt_number",
    "link",
    "page",
    "section",
    "table",
]

#: What replaces a phone number, e-mail address or KYC contact value in free text.
WITHHELD = "[withheld]"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(
    r"\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}[ .-]?\d{3,4}[ .-]?\d{3,4}\b"
    r"|\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b"
    r"|\b\d{7,}\b"
)

CSS = """
:root{--ink:#1d232a;--muted:#5b6670;--line:#d9dee3;--band:#f5f7f9;--accent:#1f4e79}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);
margin:0;background:#fff}
header.top{background:var(--accent);color:#fff;padding:12px 24px}
header.top h1{margin:0;font-size:20px}
header.top p{margin:4px 0 0;font-size:13px;opacity:.9}
header.top a{color:#fff}
main{padding:8px 24px 32px;max-width:1200px}
.notice{background:#fff4e5;border-left:4px solid #e08a00;padding:8px 12px;margin:12px 0;
font-size:13px}
section{margin:20px 0;padding-top:4px;border-top:1px solid var(--line)}
h2{font-size:17px;margin:10px 0 6px;color:var(--accent)}
h3{font-size:14px;margin:12px 0 4px}
p.why{color:var(--muted);margin:2px 0 8px;font-size:13px}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:var(--band);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td a{white-space:nowrap}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:6px 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
svg{max-width:100%;height:auto;display:block}
.tag{display:inline-block;padding:0 6px;border-radius:8px;background:var(--band);
border:1px solid var(--line);font-size:12px}
nav.toc a{margin-right:12px}
.filter{margin:10px 0}
.scroll{max-height:520px;overflow:auto;border:1px solid var(--line);display:inline-block}
.scroll table{margin:0}.scroll th{position:sticky;top:0}
details summary{cursor:pointer;margin:6px 0;font-weight:600}
@media print{header.top{background:#fff;color:#000}header.top a{color:#000}
nav.toc,.filter{display:none}.scroll{max-height:none;overflow:visible}}
"""


def esc(value: Any) -> str:
    """Escape a value for HTML text or a quoted attribute (``None`` → empty).

    Examples
    --------
    >>> esc('<script>"x"</script>')
    '&lt;script&gt;&quot;x&quot;&lt;/script&gt;'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


@dataclass
class Redactor:
    """Withholds contact details from free text before it is escaped.

    Parameters
    ----------
    secrets : iterable of str
        Known contact values (KYC phones, e-mails, addresses); each is withheld wherever it
        appears as a substring. Patterns of phone numbers, e-mail addresses and runs of seven or
        more digits are withheld too.

    Examples
    --------
    >>> r = Redactor(["12 Elm St"])
    >>> r.text("RENT 12 Elm St <b> call +1 617 555 0142 or a.b@example.org")
    'RENT [withheld] &lt;b&gt; call [withheld] or [withheld]'
    """

    secrets: Iterable[str] = ()
    _known: dict[int, set[str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for secret in {str(s).strip() for s in self.secrets if s is not None}:
            if len(secret) >= 5:
                self._known.setdefault(len(secret), set()).add(secret.casefold())

    def clean(self, value: Any) -> str:
        """Return ``value`` as text with contact details withheld (not escaped)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        text = str(value)
        folded = text.casefold()
        for length in sorted(self._known, reverse=True):
            if length > len(folded):
                continue
            found = self._known[length]
            for start in range(len(folded) - length + 1):
                if folded[start : start + length] in found:
                    return self.clean(text[:start] + WITHHELD + text[start + length :])
        return _PHONE.sub(WITHHELD, _EMAIL.sub(WITHHELD, text))

    def text(self, value: Any) -> str:
        """Return ``value`` with contact details withheld, escaped for HTML."""
        return esc(self.clean(value))


def fmt_number(value: Any, digits: int = 4) -> str:
    """Format a number (``""`` for missing).

    Examples
    --------
    >>> fmt_number(0.123456), fmt_number(None), fmt_number(3.0, 0)
    ('0.1235', '', '3')
    """
    if value is None:
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return esc(value)
    if math.isnan(number):
        return ""
    return f"{number:,.{digits}f}"


def fmt_amount(value: Any, currency: Any = None) -> str:
    """Format a money amount with thousands separators and an optional currency.

    Examples
    --------
    >>> fmt_amount(1234.5, "USD")
    '1,234.50 USD'
    """
    text = fmt_number(value, 2)
    return f"{text} {esc(currency)}" if text and currency else text


def link(href: str, text: str) -> str:
    """Return an ``<a>`` element; both arguments are escaped here.

    Examples
    --------
    >>> link("alerts/a.html", "a & b")
    '<a href="alerts/a.html">a &amp; b</a>'
    """
    return f'<a href="{esc(href)}">{esc(text)}</a>'


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Sequence[int] = (),
    row_attrs: Iterable[str] | None = None,
    table_id: str | None = None,
) -> str:
    """Return an HTML table; headers are escaped, cells must already be HTML.

    Parameters
    ----------
    headers : sequence of str
        Column titles (plain text).
    rows : iterable of sequence of str
        Cells as HTML fragments (escape values before passing them).
    numeric : sequence of int
        Columns aligned right.
    row_attrs : iterable of str, optional
        Extra attributes (already escaped) of each ``<tr>``.
    table_id : str, optional
        The table's ``id``.

    Returns
    -------
    str

    Examples
    --------
    >>> print(table(["a"], [["1"]]))
    <table><thead><tr><th>a</th></tr></thead><tbody>
    <tr><td>1</td></tr>
    </tbody></table>
    """
    right = set(numeric)
    head = "".join(
        f'<th class="num">{esc(h)}</th>' if i in right else f"<th>{esc(h)}</th>"
        for i, h in enumerate(headers)
    )
    attrs = iter(row_attrs) if row_attrs is not None else None
    body = []
    for row in rows:
        extra = f" {next(attrs)}" if attrs is not None else ""
        cells = "".join(
            f'<td class="num">{c}</td>' if i in right else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr{extra}>{cells}</tr>")
    ident = f' id="{esc(table_id)}"' if table_id else ""
    return (
        f"<table{ident}><thead><tr>{head}</tr></thead><tbody>\n"
        + "\n".join(body)
        + "\n</tbody></table>"
    )


def section(ident: str, title: str, body: str, why: str = "") -> str:
    """Return a ``<section>`` with a stable id, a heading and an optional one-line purpose.

    Examples
    --------
    >>> section("rules", "Rules", "<p>x</p>").splitlines()[0]
    '<section id="rules">'
    """
    note = f'<p class="why">{esc(why)}</p>\n' if why else ""
    return f'<section id="{esc(ident)}">\n<h2>{esc(title)}</h2>\n{note}{body}\n</section>\n'


def page(title: str, header: str, body: str, *, script: str = "") -> str:
    """Return a whole HTML document: inline CSS, optional inline script, nothing external.

    Parameters
    ----------
    title : str
        The ``<title>`` (plain text).
    header : str
        HTML of the page's top band.
    body : str
        HTML of the main part.
    script : str
        JavaScript run at the end of the body (the page works without it).

    Returns
    -------
    str
    """
    tail = f"<script>\n{script.strip()}\n</script>\n" if script else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<header class="top">\n{header}\n</header>\n<main>\n{body}</main>\n{tail}</body>\n'
        "</html>\n"
    )
