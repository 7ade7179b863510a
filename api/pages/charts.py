"""Charts of the outcome pages, drawn on the server by matplotlib as inline SVG text.

Three kinds, each a function that takes plain figures and the words to write (already in the
page's language) and returns an ``<svg>`` element:

- :func:`line_chart`: yearly trends, one line per measure;
- :func:`interval_chart`: disparity indices as dots with their 95% interval as whiskers, on a
  log scale around a reference line at 1, one panel per breakdown;
- :func:`paired_dot_chart`: two figures per group (a plan and today's practice).

A value given as ``None`` (a suppressed or undefined cell) is not drawn at all: the caller
says so in the chart's caption and in the table beside it. The charts never see a count.

The SVG is rendered in memory with the Agg backend (no file, no display), text kept as text
so that it reads and translates, and made to obey the pages' Content-Security-Policy (no
inline style): every ``style`` attribute becomes SVG presentation attributes and the one
``<style>`` sheet matplotlib writes becomes attributes on the root. Element ids are prefixed
with the chart's id, so that several charts live in one page; the same figures and words give
the same bytes (fixed hash salt, no date, no metadata). Each drawn point carries an id
(``{chart}-pt-{series}-{x}`` and ``{chart}-di-{panel}-{group}``) that the tests read.
"""

from __future__ import annotations

import functools
import io
import math
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec

import matplotlib

matplotlib.use("Agg")  # before pyplot could ever load: no display on a server

from matplotlib.axes import Axes  # after choosing the backend
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullFormatter, StrMethodFormatter

__all__ = [
    "Interval",
    "Pair",
    "PairPanel",
    "Panel",
    "Series",
    "interval_chart",
    "line_chart",
    "paired_dot_chart",
]

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

# colour-blind-safe (Okabe and Ito), distinguishable in grey too with the markers below
COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_RC: dict[Any, Any] = {
    "svg.fonttype": "none",  # text stays text: readable, selectable, translatable
    "font.family": "sans-serif",
    "font.size": 10.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
P = ParamSpec("P")
_CHART_ID = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True, slots=True)
class Series:
    """One line: its name in the legend and one value per x (``None``: not drawn)."""

    key: str
    label: str
    values: Sequence[float | None]


@dataclass(frozen=True, slots=True)
class Interval:
    """One group's index with its 95% interval (``low``/``high`` None: no whisker)."""

    key: str
    label: str
    value: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True, slots=True)
class Panel:
    """One breakdown of an interval chart: its title and the groups shown."""

    key: str
    title: str
    rows: Sequence[Interval]


@dataclass(frozen=True, slots=True)
class Pair:
    """One group's two figures (``None``: not drawn)."""

    key: str
    label: str
    first: float | None
    second: float | None


@dataclass(frozen=True, slots=True)
class PairPanel:
    """One breakdown of a paired dot chart: its title and the groups shown."""

    key: str
    title: str
    rows: Sequence[Pair]


_Row = Interval | Pair


KEPT = 64  # charts kept per worker
_LOCK = threading.Lock()  # matplotlib's settings are global: one chart at a time


def _styled(draw: Callable[P, str]) -> Callable[P, str]:
    """Draw a chart under the charts' settings, its id (the first argument) as hash salt;
    the same arguments again give the SVG drawn before (the last :data:`KEPT`).

    The settings must be in force while the figure is built (fonts, spines), not only when
    it is saved; as they are process-wide, charts are drawn one at a time. A chart costs
    tenths of a second of matplotlib; the pages ask for the same one again and again.
    """

    def drawn(*args: Any, **kwargs: Any) -> str:
        chart_id = str(args[0])
        if not _CHART_ID.match(chart_id):
            raise ValueError(
                f"chart id {chart_id!r} must start with a letter and hold only a-z, 0-9 and '-'"
            )
        with _LOCK, matplotlib.rc_context(_RC):
            matplotlib.rcParams["svg.hashsalt"] = chart_id  # clip-path ids: the same each time
            return draw(*args, **kwargs)

    kept: Callable[..., str] = functools.lru_cache(maxsize=KEPT)(drawn)

    @functools.wraps(draw)
    def styled(*args: P.args, **kwargs: P.kwargs) -> str:
        try:
            hash((args, tuple(kwargs.items())))
        except TypeError:  # lists instead of tuples: drawn, not kept
            return drawn(*args, **kwargs)
        return kept(*args, **kwargs)

    return styled


def _drawn(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _width(texts: Sequence[str], size_pt: float = 9.0) -> float:
    """A generous guess of the width of the longest text, in inches (no layout engine: the
    constrained layout would triple the time a chart takes)."""
    longest = max((len(t) for t in texts), default=0)
    return (longest * 0.58 * size_pt + 10.0) / 72.0


_WIDE = 7.2  # inches: every chart has the width of the page's column


@_styled
def line_chart(
    chart_id: str,
    title: str,
    x_label: str,
    y_label: str,
    xs: Sequence[int],
    series: Sequence[Series],
) -> str:
    """Lines over ``xs`` (years), one per series with a marker at every drawn value.

    A line breaks where a value is missing rather than joining across it: a gap in the line
    is a year the table shows as suppressed or undefined. Each line is the group
    ``{chart}-line-{series}``, with one marker (``<use>``) per value drawn.
    """
    height = 3.6
    figure = Figure(figsize=(_WIDE, height))
    legend = _width([s.label for s in series]) + 0.4 if len(series) > 1 else 0.2
    figure.subplots_adjust(
        left=0.75 / _WIDE, right=1 - legend / _WIDE, bottom=0.75 / height, top=1 - 0.4 / height
    )
    axes = figure.add_subplot()
    for n, line in enumerate(series):
        ys = [v if v is not None and _drawn(v) else math.nan for v in line.values]
        axes.plot(
            xs, ys, color=COLOURS[n % len(COLOURS)], marker=MARKERS[n % len(MARKERS)],
            markersize=5, linewidth=1.6, label=line.label, gid=f"line-{line.key}",
        )  # fmt: skip
    axes.set_title(title, loc="left", fontsize=11)
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    crowded = len(xs) > 8  # a dozen years side by side touch: slant them
    axes.set_xticks(
        list(xs), [str(x) for x in xs], fontsize=8, rotation=45 if crowded else 0,
        ha="right" if crowded else "center", rotation_mode="anchor",
    )  # fmt: skip
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_ylim(bottom=0)
    if len(series) > 1:
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    return _svg(figure, chart_id, title)


@_styled
def interval_chart(
    chart_id: str,
    title: str,
    x_label: str,
    reference_label: str,
    panels: Sequence[Panel],
) -> str:
    """Dots with whiskers on a log scale around a dashed reference line at 1; the groups of
    each panel (a breakdown) under its title, top to bottom in the order given. Panels
    without a row are left out. Each dot is ``{chart}-di-{panel}-{group}``, each whisker
    ``{chart}-ci-{panel}-{group}``."""
    labels, headings, at = _stacked([(p.key, p.title, p.rows) for p in panels])
    height = 1.3 + 0.26 * max(len(labels), 1)
    figure = Figure(figsize=(_WIDE, height))
    figure.subplots_adjust(
        left=min(_width(labels) + 0.15, 3.2) / _WIDE,
        right=1 - 0.25 / _WIDE,
        bottom=0.75 / height,
        top=1 - 0.45 / height,
    )
    axes = figure.add_subplot()
    intervals: list[tuple[str, Interval, int]] = [
        (k, r, y) for k, r, y in at if isinstance(r, Interval)
    ]
    values = [
        v for _, r, _ in intervals for v in (r.value, r.low, r.high) if v is not None and _drawn(v)
    ]
    values = [v for v in values if v > 0]
    axes.set_xscale("log")
    axes.set_xlim(min([*values, 1.0]) / 1.25, max([*values, 1.0]) * 1.25)
    axes.axvline(1.0, color="#555555", linestyle="--", linewidth=1.0, gid="reference-line")
    for panel, row, y in intervals:
        if row.low is not None and row.high is not None and _drawn(row.low) and _drawn(row.high):
            axes.plot(
                [row.low, row.high], [y, y], color=COLOURS[0], linewidth=2.0,
                solid_capstyle="butt", gid=f"ci-{panel}-{row.key}",
            )  # fmt: skip
        axes.plot(
            [row.value], [y], linestyle="none", marker="o", color=COLOURS[0], markersize=6,
            gid=f"di-{panel}-{row.key}",
        )  # fmt: skip
    _row_labels(axes, labels, headings)
    axes.grid(axis="x", which="major", color="#eeeeee", linewidth=0.6)
    _plain_log_ticks(axes)
    axes.set_xlabel(x_label, fontsize=9)
    axes.set_title(title, loc="left", fontsize=11)
    figure.text(0.99, 0.01, reference_label, ha="right", va="bottom", fontsize=8)
    return _svg(figure, chart_id, title)


@_styled
def paired_dot_chart(
    chart_id: str,
    title: str,
    x_label: str,
    names: tuple[str, str | None],
    panels: Sequence[PairPanel],
) -> str:
    """Per group, the first figure (``names[0]``) as a filled dot and the second as a hollow
    one joined by a thin line, the groups of each panel under its title; a ``None`` value is
    not drawn, a panel without a row is left out. Each dot is
    ``{chart}-pt-{first|second}-{panel}-{group}``."""
    labels, headings, at = _stacked([(p.key, p.title, p.rows) for p in panels])
    height = 1.3 + 0.26 * max(len(labels), 1)
    figure = Figure(figsize=(_WIDE, height))
    legend = _width([n for n in names if n]) + 0.4
    figure.subplots_adjust(
        left=min(_width(labels) + 0.15, 3.2) / _WIDE,
        right=1 - legend / _WIDE,
        bottom=0.7 / height,
        top=1 - 0.45 / height,
    )
    axes = figure.add_subplot()
    styles = (
        ("first", names[0], COLOURS[0], COLOURS[0]),
        ("second", names[1], COLOURS[1], "white"),
    )
    labelled: set[str] = set()
    pairs: list[tuple[str, Pair, int]] = [(k, r, y) for k, r, y in at if isinstance(r, Pair)]
    for panel, row, y in pairs:
        first, second = row.first, row.second if names[1] is not None else None
        if first is not None and second is not None and _drawn(first) and _drawn(second):
            axes.plot([first, second], [y, y], color="#999999", linewidth=1.0)
        for (which, name, edge, face), value in zip(styles, (first, second), strict=True):
            if value is None or not _drawn(value):
                continue
            axes.plot(
                [value], [y], linestyle="none", marker="o", markersize=7, markeredgecolor=edge,
                markerfacecolor=face, markeredgewidth=1.6,
                label=None if which in labelled else name, gid=f"pt-{which}-{panel}-{row.key}",
            )  # fmt: skip
            labelled.add(which)
    _row_labels(axes, labels, headings)
    axes.set_xlabel(x_label)
    axes.set_title(title, loc="left", fontsize=11)
    axes.grid(axis="x", color="#eeeeee", linewidth=0.6)
    axes.set_xlim(left=0)
    if labelled:
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    return _svg(figure, chart_id, title)


def _stacked(
    panels: Sequence[tuple[str, str, Sequence[_Row]]],
) -> tuple[list[str], list[int], list[tuple[str, _Row, int]]]:
    """The y labels of panels stacked top to bottom (a heading, then its rows), the positions
    of the headings, and each row with its panel key and position."""
    labels: list[str] = []
    headings: list[int] = []
    at: list[tuple[str, _Row, int]] = []
    for key, title, rows in panels:
        if not rows:
            continue
        headings.append(len(labels))
        labels.append(title)
        for row in rows:
            at.append((key, row, len(labels)))
            labels.append(row.label)
    return labels, headings, at


def _row_labels(axes: Axes, labels: list[str], headings: list[int]) -> None:
    axes.set_yticks(range(len(labels)), labels, fontsize=9)
    for n in headings:
        axes.get_yticklabels()[n].set_fontweight("bold")
    axes.set_ylim(len(labels) - 0.4, -0.6)  # the first label on top
    axes.tick_params(axis="y", length=0)


def _plain_log_ticks(axes: Axes) -> None:
    """Ticks at 0.25, 0.5, 1, 2, 4 written as plain numbers (not 10^x) on a log axis."""
    low, high = axes.get_xlim()
    ticks = [t for t in (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0) if low <= t <= high]
    axes.xaxis.set_major_locator(FixedLocator(ticks))
    axes.xaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
    axes.xaxis.set_minor_formatter(NullFormatter())


# -- SVG that obeys the page's policy -----------------------------------------------------------

_REFERENCE = re.compile(r"url\(#([^)]+)\)")


def _svg(figure: Figure, chart_id: str, title: str) -> str:
    """The figure as an ``<svg>`` element for an HTML page (see the module docstring)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    root = ET.fromstring(buffer.getvalue())
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (f"{{{SVG_NS}}}metadata", f"{{{SVG_NS}}}style"):
                parent.remove(child)
    # matplotlib's one sheet is "*{stroke-linejoin: round; stroke-linecap: butt}": inherited
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    href = f"{{{XLINK_NS}}}href"
    for element in root.iter():
        style = element.attrib.pop("style", None)
        if style:
            for declaration in style.split(";"):
                name, _, value = declaration.partition(":")
                if name.strip() and value.strip():
                    element.set(name.strip(), value.strip())
        for name, value in list(element.attrib.items()):
            if name == "id":
                element.set(name, f"{chart_id}-{value}")
            elif name == href and value.startswith("#"):
                element.set(name, f"#{chart_id}-{value[1:]}")
            elif "url(#" in value:
                element.set(name, _REFERENCE.sub(rf"url(#{chart_id}-\1)", value))
    for name in ("width", "height"):
        root.attrib.pop(name, None)  # the viewBox stays; the stylesheet sizes the chart
    root.set("id", chart_id)
    root.set("class", "chart")
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart_id}-title")
    label = ET.Element(f"{{{SVG_NS}}}title", {"id": f"{chart_id}-title"})
    label.text = title
    root.insert(0, label)
    return ET.tostring(root, encoding="unicode")
