"""Matplotlib figures as inline SVG for fintrak's offline pages (reports, backtests).

Pages must open offline and be byte-identical for the same inputs, so a figure is written with a
fixed hash salt, text kept as text, no creation date, and without the XML prologue, DOCTYPE and
metadata (which carry web addresses). Element ids get a per-figure prefix so several figures can
share one page.
"""

from __future__ import annotations

import io
import re
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure

__all__ = ["figure_svg", "plot_style"]

_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
_UNWANTED = re.compile(
    r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*|<metadata>.*?</metadata>\s*"
    r'|\s+xmlns(?::\w+)?="[^"]*"',
    re.DOTALL,
)


def plot_style(hashsalt: str) -> dict[str, Any]:
    """Return the matplotlib settings of fintrak's figures (use with ``mpl.rc_context``).

    Parameters
    ----------
    hashsalt : str
        Fixed salt of the SVG ids, so the same figure gives the same bytes.

    Returns
    -------
    dict
        rcParams: the salt, text as text, DejaVu Sans 9 pt, no top or right spine.
    """
    return {
        "svg.hashsalt": hashsalt,
        "svg.fonttype": "none",
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "text.parse_math": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def figure_svg(fig: Figure, prefix: str, label: str, style: dict[str, Any]) -> str:
    """Return ``fig`` as an inline ``<svg>`` element with ids prefixed and an accessible label.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    prefix : str
        Prefix of every element id (unique per figure on a page).
    label : str
        ``aria-label`` of the image (escaped here).
    style : dict
        From :func:`plot_style`.

    Returns
    -------
    str
        The ``<svg>`` element and a newline.
    """
    buffer = io.StringIO()
    with mpl.rc_context(style):
        fig.savefig(buffer, format="svg", metadata=_METADATA)
    text = _UNWANTED.sub("", buffer.getvalue())
    text = re.sub(r'\bid="', f'id="{prefix}-', text)
    text = text.replace('href="#', f'href="#{prefix}-').replace("url(#", f"url(#{prefix}-")
    label = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return text.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1).strip() + "\n"
