"""Short titles of the published sources cited by typology rules (``"E1; F20"`` → titles).

Reads the same catalogue as the SAR narrative drafts (``fintrak/reference/catalogue.yaml``):
a source key such as ``F20`` names a document; its title is the document's first clause with any
web address removed, so a printed report carries no links.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["source_keys", "source_title", "source_titles"]

_URL = re.compile(r"\(?\s*(?:via\s+)?(?:https?://|www\.)\S+\s*\)?", re.IGNORECASE)
_MARKUP = re.compile(r"[*`]")
_ITALIC = re.compile(r"\*([^*]+)\*")


def source_keys(text: str | None) -> list[str]:
    """Split a rule's source field into its keys, in order, without repeats.

    Parameters
    ----------
    text : str or None
        The ``source`` of a rule hit, keys separated by ``;`` or ``,``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> source_keys("E1; F20, F20")
    ['E1', 'F20']
    >>> source_keys(None)
    []
    """
    if not text:
        return []
    keys = [k.strip() for k in re.split(r"[;,]", text) if k.strip()]
    return list(dict.fromkeys(keys))


def source_title(document: str) -> str:
    """Return a short, link-free title for a catalogue document description.

    Parameters
    ----------
    document : str
        The ``document`` field of a catalogue source.

    Returns
    -------
    str

    Examples
    --------
    >>> source_title("FinCEN Advisory FIN-2020-A008, *Supplemental Advisory*, 15 Oct 2020.")
    'FinCEN Advisory FIN-2020-A008, Supplemental Advisory'
    >>> source_title("A white paper (10 Jan 2014, https://example.org/x); Another (2018)")
    'A white paper'
    """
    bare = re.sub(r"\s+", " ", _URL.sub("", document))
    head = _MARKUP.sub("", bare.split(";")[0].split(",")[0])
    if head.count("(") > head.count(")"):
        head = head[: head.rindex("(")]
    head = head.strip(" .;:")
    named = _ITALIC.search(bare)
    if named and named.group(1) not in head:
        head = f"{head}, {named.group(1)}" if head else named.group(1)
    return head or document.strip()


def _row_title(key: str, row: dict) -> str:
    name = re.sub(r"^[a-z]{2}_", "", str(row.get("name", key))).replace("_", " ")
    return f"fintrak catalogue: {name}"


@cache
def _titles() -> dict[str, str]:
    from fintrak.reference import load_catalogue

    catalogue = load_catalogue()
    titles = {
        key: source_title(str(s.get("document", key))) for key, s in catalogue.sources.items()
    }
    for key, row in catalogue.indicators.items():
        titles.setdefault(key, _row_title(key, row))
    return titles


def source_titles(text: str | None) -> list[tuple[str, str]]:
    """Resolve a rule's source field to ``(key, title)`` pairs.

    Source documents get their short title; catalogue rows (``A1`` ... ``J5``) their one-line
    description; an unknown key is returned with itself as title.

    Parameters
    ----------
    text : str or None
        The ``source`` of a rule hit, e.g. ``"E1; F20"``.

    Returns
    -------
    list of tuple of (str, str)

    Examples
    --------
    >>> source_titles("F23")
    [('F23', 'FinCEN Alert FIN-2023-Alert001, Human Smuggling along the Southwest Border')]
    >>> source_titles("E3")
    [('E3', 'fintrak catalogue: cash only no ach')]
    >>> source_titles("NOPE")
    [('NOPE', 'NOPE')]
    """
    titles = _titles()
    return [(key, titles.get(key, key)) for key in source_keys(text)]
