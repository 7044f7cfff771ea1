"""Plots for the report pages, drawn with matplotlib and returned as inline SVG text.

Every plot is drawn on its own :class:`matplotlib.figure.Figure` (no pyplot, so no GUI backend
and no global figure state), with a fixed SVG hash salt, text kept as text and no date in the
metadata, so the same data gives byte-identical SVG. The XML prologue, the DOCTYPE and the
metadata block are removed (they name web addresses), and every element id is prefixed per plot
so several plots can share a page.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from fintrak.svg import figure_svg, plot_style

__all__ = [
    "CHANNEL_COLOURS",
    "HUB_ROLES",
    "KIND_COLOURS",
    "ROLE_COLOURS",
    "Step",
    "cities_svg",
    "network_svg",
    "timeline_svg",
    "waterfall_svg",
]

#: Colour of each transaction channel on the timeline.
CHANNEL_COLOURS = {
    "card": "#4e79a7",
    "ach": "#59a14f",
    "p2p": "#f28e2b",
    "cash": "#e15759",
    "atm": "#b07aa1",
    "wire": "#76b7b2",
    "check": "#9c755f",
}
#: Colour of each network role in the network drawing.
ROLE_COLOURS = {
    "controller": "#d62728",
    "recruiter": "#ff7f0e",
    "employer": "#9467bd",
    "funnel": "#8c564b",
    "victim": "#1f77b4",
    "worker": "#17becf",
    "other": "#aaaaaa",
}
#: Colour of each link kind in the network drawing.
KIND_COLOURS = {
    "money": "#2ca02c",
    "phone": "#e377c2",
    "email": "#bcbd22",
    "address": "#7f7f7f",
    "device": "#1f77b4",
    "customer": "#ff7f0e",
    "beneficiary": "#8c564b",
}
#: Roles drawn in the middle of the network drawing.
HUB_ROLES = frozenset({"controller", "recruiter", "employer"})
_OTHER_COLOUR = "#555555"
_RC = plot_style("fintrak-report")


def _svg(fig: Figure, prefix: str, label: str) -> str:
    return figure_svg(fig, prefix, label, _RC)


def _figure(width: float, height: float) -> Figure:
    with mpl.rc_context(_RC):
        return Figure(figsize=(width, height), dpi=72, layout="constrained")


def _naive(stamps: pd.Series) -> np.ndarray:
    return stamps.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()


def _money(value: float, _pos: object = None) -> str:
    return f"{value:,.0f}"


def timeline_svg(rows: pd.DataFrame, flagged: np.ndarray, as_of: pd.Timestamp, days: int) -> str:
    """Draw one account's transactions over time: credits up, debits down, one colour per channel.

    Parameters
    ----------
    rows : pandas.DataFrame
        ``timestamp`` (UTC), ``amount``, ``direction``, ``channel``.
    flagged : numpy.ndarray of bool
        Rows to ring in black.
    as_of : pandas.Timestamp
        The run's as-of; the ``days`` before it are shaded.
    days : int
        Length of the flag window.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    with mpl.rc_context(_RC):
        fig = _figure(10, 3.8)
        ax = fig.add_subplot()
        when = _naive(rows["timestamp"])
        sign = np.where(rows["direction"].astype(object).to_numpy() == "credit", 1.0, -1.0)
        signed = sign * rows["amount"].to_numpy(dtype=float)
        end = as_of.tz_convert("UTC").tz_localize(None)
        ax.axvspan(
            end - pd.Timedelta(days=days),
            end,
            color="#fff3c4",
            zorder=0,
            label=f"{days} days to the as-of",
        )
        ax.axhline(0, color="#333333", linewidth=0.6)
        channels = rows["channel"].astype(object).fillna("other").to_numpy()
        for channel in sorted(set(channels), key=lambda c: (c not in CHANNEL_COLOURS, c)):
            pick = channels == channel
            ax.scatter(
                when[pick],
                signed[pick],
                s=9,
                alpha=0.75,
                linewidths=0,
                color=CHANNEL_COLOURS.get(channel, _OTHER_COLOUR),
                label=str(channel),
            )
        if flagged.any():
            ax.scatter(
                when[flagged],
                signed[flagged],
                s=36,
                facecolors="none",
                edgecolors="black",
                linewidths=0.7,
                label="flagged row",
            )
        ax.set_yscale("symlog", linthresh=100)
        ax.yaxis.set_major_formatter(FuncFormatter(_money))
        ax.set_ylabel("amount (credits up, debits down)")
        ax.legend(
            loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False, markerscale=1.6
        )
        ax.grid(axis="y", color="#e5e5e5", linewidth=0.5)
    return _svg(fig, "tl", "Transactions over time, flagged rows ringed")


@dataclass(frozen=True)
class Step:
    """One bar of a waterfall: its label and its change in log-odds."""

    label: str
    delta: float


def waterfall_svg(
    base: float, steps: Sequence[Step], total: float, score: float, *, remainder: bool = True
) -> str:
    """Draw a SHAP waterfall from the base log-odds to the model's log-odds.

    Parameters
    ----------
    base : float
        The model's base log-odds.
    steps : sequence of Step
        Listed contributions, then the "all other features" remainder.
    total : float
        The model's log-odds for the account (``base + sum of steps``).
    score : float
        The model score (probability) shown beside the total.
    remainder : bool
        The last step is the remainder of all other features (drawn in a paler colour).

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    labels = ["base value (average account)"] + [s.label for s in steps]
    labels.append(f"model log-odds (score {score:.4f})")
    wrapped = [textwrap.fill(t, 58) for t in labels]
    lines = sum(w.count("\n") + 1 for w in wrapped)
    with mpl.rc_context(_RC):
        fig = _figure(10, 0.9 + 0.2 * lines + 0.18 * len(labels))
        ax = fig.add_subplot()
        y = np.arange(len(labels))[::-1]
        ax.barh(y[0], base, color="#9e9e9e", height=0.6)
        running = base
        last = len(steps) - 1
        for i, (row, step) in enumerate(zip(y[1:-1], steps, strict=True)):
            colour = "#d62728" if step.delta > 0 else "#1f77b4"
            if i == last and remainder:
                colour = "#f2a7a8" if step.delta > 0 else "#a9c6e3"
            ax.barh(row, step.delta, left=running, color=colour, height=0.6)
            ax.text(
                running + step.delta,
                row,
                f" {step.delta:+.2f} ",
                va="center",
                fontsize=8,
                ha="left" if step.delta > 0 else "right",
            )
            ax.plot([running, running], [row + 0.3, row + 0.7], color="#777777", linewidth=0.6)
            running += step.delta
        ax.barh(y[-1], total, color="#333333", height=0.6)
        ax.text(
            total,
            y[-1],
            f" {total:+.2f} ",
            va="center",
            fontsize=8,
            ha="left" if total >= 0 else "right",
        )
        ax.text(
            base,
            y[0],
            f" {base:+.2f} ",
            va="center",
            fontsize=8,
            ha="left" if base >= 0 else "right",
        )
        ax.axvline(0, color="#333333", linewidth=0.6)
        ax.set_yticks(y, wrapped, fontsize=8)
        ax.set_xlabel("log-odds (red raises the score, blue lowers it)")
        low = min(0.0, base, total, *np.cumsum([base] + [s.delta for s in steps]))
        high = max(0.0, base, total, *np.cumsum([base] + [s.delta for s in steps]))
        pad = 0.12 * (high - low or 1.0)
        ax.set_xlim(low - pad, high + pad)
    return _svg(fig, "wf", "SHAP waterfall from the base value to the model's log-odds")


def _period_start(stamps: pd.Series, freq: str) -> pd.Series:
    naive = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive.dt.to_period(freq).dt.start_time


def cities_svg(rows: pd.DataFrame, *, home: str | None = None, top: int = 12) -> str:
    """Draw which cities transactions happened in, per week (per month beyond 26 weeks).

    Parameters
    ----------
    rows : pandas.DataFrame
        ``timestamp`` (UTC), ``city`` and ``account_id``; rows without a city are left out.
    home : str, optional
        The account's home city, marked "(home)".
    top : int
        Cities shown; the rest are pooled as "other cities".

    Returns
    -------
    str
        An ``<svg>`` element (a note when no row has a city).
    """
    placed = rows[rows["city"].notna()]
    with mpl.rc_context(_RC):
        if placed.empty:
            fig = _figure(6, 0.8)
            fig.text(0.5, 0.5, "no transaction carries a city", ha="center", va="center")
            return _svg(fig, "wh", "No cities")
        span = placed["timestamp"].max() - placed["timestamp"].min()
        freq = "W" if span <= pd.Timedelta(weeks=26) else "M"
        city = placed["city"].astype(str)
        ranked = city.value_counts().sort_index().sort_values(ascending=False, kind="stable")
        keep = list(ranked.index[:top])
        city = city.where(city.isin(keep), "other cities")
        frame = pd.DataFrame(
            {
                "period": _period_start(placed["timestamp"], freq),
                "city": city,
                "account": placed["account_id"].astype(str),
            }
        )
        grid = (
            frame.groupby(["city", "period"])
            .agg(rows=("account", "size"), accounts=("account", "nunique"))
            .reset_index()
        )
        order = keep + (["other cities"] if (city == "other cities").any() else [])
        ypos = {c: len(order) - 1 - i for i, c in enumerate(order)}
        fig = _figure(10, 1.3 + 0.28 * len(order))
        ax = fig.add_subplot()
        sizes = 12 + 18 * np.sqrt(grid["rows"].to_numpy(dtype=float))
        many = frame["account"].nunique() > 1
        colour = grid["accounts"].to_numpy() if many else "#4e79a7"
        points = ax.scatter(
            grid["period"].to_numpy(),
            grid["city"].map(ypos).to_numpy(),
            s=sizes,
            c=colour,
            cmap="viridis" if many else None,
            alpha=0.8,
            linewidths=0,
        )
        if many:
            bar = fig.colorbar(points, ax=ax, pad=0.01)
            bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            bar.set_label("accounts transacting")
        names = [f"{c} (home)" if home and c == home else c for c in order]
        ax.set_yticks([ypos[c] for c in order], names)
        ax.set_ylim(-0.7, len(order) - 0.3)
        unit = "week" if freq == "W" else "month"
        ax.set_xlabel(f"{unit} (dot size: number of transactions)")
        ax.grid(axis="y", color="#eeeeee", linewidth=0.5)
    return _svg(fig, "wh", f"Cities transacted in, per {unit}")


def _ring(nodes: Sequence[str], radius: float, turn: float) -> dict[str, tuple[float, float]]:
    if len(nodes) == 1 and radius < 1:
        return {nodes[0]: (0.0, 0.0)}
    if len(nodes) <= 2 and radius >= 1:  # a fan over the top, never a line through the middle
        angles = np.pi / 2 + np.array([np.pi / 3, -np.pi / 3])[: len(nodes)]
    else:
        angles = np.pi / 2 + turn - 2 * np.pi * np.arange(len(nodes)) / len(nodes)
    return {
        n: (radius * float(np.cos(a)), radius * float(np.sin(a)))
        for n, a in zip(nodes, angles, strict=True)
    }


def _layout(nodes: Sequence[str], roles: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Place collectors and employers in the middle, everyone else on an outer circle."""
    if len(nodes) == 1:
        return {nodes[0]: (0.0, 0.0)}
    hubs = [n for n, r in zip(nodes, roles, strict=True) if r in HUB_ROLES]
    rest = [n for n in nodes if n not in set(hubs)]
    if not hubs or not rest:
        return _ring(nodes, 1.0, 0.0)
    return {**_ring(hubs, 0.3, np.pi / 4), **_ring(rest, 1.0, 0.0)}


def _edge_label_point(
    a: tuple[float, float], b: tuple[float, float], rad: float
) -> tuple[float, float]:
    (x1, y1), (x2, y2) = a, b
    cx, cy = (x1 + x2) / 2 + rad * (y2 - y1), (y1 + y2) / 2 - rad * (x2 - x1)
    return 0.25 * x1 + 0.5 * cx + 0.25 * x2, 0.25 * y1 + 0.5 * cy + 0.25 * y2


def _node_label(ax: Any, x: float, y: float, text: str, size: float) -> None:
    """Write a node's label beside it: outwards on the circle, to the right in the middle."""
    if math.hypot(x, y) < 0.9:  # a hub in the middle
        where, align = (x + 0.07, y), "left"
    elif abs(x) > 0.35:
        where, align = (x + math.copysign(0.08, x), y), "left" if x > 0 else "right"
    else:
        where, align = (x, y + math.copysign(0.16, y)), "center"
    box = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8}
    ax.text(*where, text, fontsize=size, ha=align, va="center", zorder=5, bbox=box)


def network_svg(members: pd.DataFrame, links: pd.DataFrame) -> str:
    """Draw a case's network: members on a circle coloured by role, links coloured by kind.

    Parameters
    ----------
    members : pandas.DataFrame
        ``account_id``, ``role``, ``alert`` (bool). Members with a role in :data:`HUB_ROLES` are
        placed in the middle; the others on a circle, in this order, clockwise from the top.
    links : pandas.DataFrame
        ``account_a``, ``account_b``, ``kind``, ``amount``, ``count``; money links are labelled
        with their amount and count.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    nodes = [str(a) for a in members["account_id"]]
    where = _layout(nodes, [str(r) for r in members["role"]])
    small = len(nodes) > 14
    with mpl.rc_context(_RC):
        fig = _figure(9, 7.5) if len(nodes) > 6 else _figure(8, 5.5)
        ax = fig.add_subplot()
        pairs = links.groupby(["account_a", "account_b"], sort=True)
        for (a, b), group in pairs:
            if a not in where or b not in where:
                continue
            group = group.sort_values("kind")
            for k, link in enumerate(group.itertuples(index=False)):
                rad = 0.12 * (k - (len(group) - 1) / 2)
                colour = KIND_COLOURS.get(link.kind, _OTHER_COLOUR)
                money = link.kind == "money"
                width = 1.0 + 2.5 * min(1.0, math.log10(1 + float(link.amount or 0)) / 6)
                ax.add_patch(
                    FancyArrowPatch(
                        where[a],
                        where[b],
                        arrowstyle="-",
                        connectionstyle=f"arc3,rad={rad}",
                        color=colour,
                        linewidth=width if money else 1.0,
                        linestyle="-" if money else (0, (4, 2)),
                        alpha=0.85,
                        zorder=1,
                        shrinkA=0,
                        shrinkB=0,
                    )
                )
                if money:
                    x, y = _edge_label_point(where[a], where[b], rad)
                    ax.text(
                        x,
                        y,
                        f"{float(link.amount):,.0f} ({int(link.count)})",
                        fontsize=6.5 if small else 7.5,
                        ha="center",
                        va="center",
                        zorder=3,
                        color="#1b5e20",
                        bbox={
                            "boxstyle": "round,pad=0.15",
                            "fc": "white",
                            "ec": "none",
                            "alpha": 0.85,
                        },
                    )
        for member in members.itertuples(index=False):
            x, y = where[str(member.account_id)]
            ax.scatter(
                [x],
                [y],
                s=260 if not small else 150,
                zorder=4,
                color=ROLE_COLOURS.get(member.role, _OTHER_COLOUR),
                edgecolors="black" if member.alert else "white",
                linewidths=2.0 if member.alert else 1.0,
            )
            _node_label(ax, x, y, f"{member.account_id}\n{member.role}", 6.5 if small else 8)
        roles = list(dict.fromkeys(str(r) for r in members["role"]))
        kinds = sorted(set(links["kind"].astype(str))) if not links.empty else []
        handles = [
            Patch(color=ROLE_COLOURS.get(r, _OTHER_COLOUR), label=f"role: {r}") for r in roles
        ]
        handles += [
            Line2D(
                [],
                [],
                color=KIND_COLOURS.get(k, _OTHER_COLOUR),
                linestyle="-" if k == "money" else "--",
                label=f"link: {k}",
            )
            for k in kinds
        ]
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                color="white",
                markeredgecolor="black",
                markeredgewidth=2,
                markerfacecolor="#dddddd",
                markersize=10,
                label="alerted member",
            )
        )
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False
        )
        ax.set_xlim(-1.45, 1.45)
        ax.set_ylim(-1.35, 1.35)
        ax.set_aspect("equal")
        ax.axis("off")
    return _svg(fig, "nw", "Network of the case's members")
