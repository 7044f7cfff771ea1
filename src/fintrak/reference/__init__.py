"""Reference data shipped with fintrak: the indicator catalogue and versioned lists.

Each file in this folder is YAML with a ``provenance`` block (where the list comes from, its
version) and its content. A bank extends a list by passing its own file of the same shape (see
:func:`load_reference`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Catalogue", "load_catalogue", "load_reference", "reference_path"]


def reference_path(name: str) -> Path:
    """Return the path of the shipped reference file ``name`` (without ``.yaml``)."""
    return Path(str(files("fintrak.reference") / f"{name}.yaml"))


@cache
def _read(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_reference(name: str, extra: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Load a shipped reference list, optionally merged with a bank's own file of the same shape.

    Parameters
    ----------
    name : str
        File stem in ``fintrak/reference`` (e.g. ``"catalogue"``).
    extra : path-like, optional
        A YAML file whose top-level mappings are merged into (and override) the shipped ones and
        whose lists are appended.

    Returns
    -------
    dict

    Examples
    --------
    >>> "A1" in load_reference("catalogue")["indicators"]
    True
    """
    data = dict(_read(str(reference_path(name))))
    if extra is not None:
        more = _read(str(Path(extra)))
        for key, value in more.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            elif isinstance(value, list) and isinstance(data.get(key), list):
                data[key] = [*data[key], *value]
            else:
                data[key] = value
    return data


@dataclass(frozen=True)
class Catalogue:
    """The published red flags (rows ``A1``..``J5``) and their source documents (``F20``, ...)."""

    indicators: dict[str, dict[str, Any]]
    sources: dict[str, dict[str, Any]]

    def resolves(self, ref: str) -> bool:
        """Return whether ``ref`` is a known row id or source key."""
        return ref in self.indicators or ref in self.sources

    def describe(self, ref: str) -> str:
        """Return a one-line description of a row id or source key, for reports and docs."""
        if ref in self.indicators:
            row = self.indicators[ref]
            return f"{ref} {row['name']} ({', '.join(row['sources'])})"
        return f"{ref}: {self.sources[ref]['document']}"


@cache
def load_catalogue() -> Catalogue:
    """Return the indicator catalogue.

    Examples
    --------
    >>> cat = load_catalogue()
    >>> len(cat.indicators), cat.resolves("F20"), cat.resolves("Z9")
    (62, True, False)
    """
    data = load_reference("catalogue")
    return Catalogue(indicators=data["indicators"], sources=data["sources"])
