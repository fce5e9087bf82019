"""Charts for notebooks and reports: one function per chart, each returning a Figure.

Every function takes DataFrames and numbers (never files) and a ``language`` for its labels.
Figures are built with :class:`matplotlib.figure.Figure` rather than pyplot, so they are not
kept alive by pyplot and a notebook shows a returned figure exactly once. They are drawn
for an A4 page: at most 7 inches wide (the 180 mm between the report's margins), fonts of
8-10 pt, and a resolution of 150 dpi so that printed charts stay sharp.
"""
from __future__ import annotations

import functools
import io
import math
import textwrap

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import seaborn as sns
from cycler import cycler
from matplotlib.colors import LinearSegmentedColormap, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from kpi_toolkit.errors import ReportError
from kpi_toolkit.outputs.i18n import format_date, format_money, format_number, format_percent, format_period, label, t

RAG_COLOURS = {"green": "#2E7D32", "amber": "#F9A825", "red": "#C62828"}
PALETTE = ("#1F4E79", "#5B8DB8", "#8C8C8C", "#4E9A8F", "#7F6A93", "#C9A227")
PERSPECTIVE_COLOURS = {
    "finance": "#1F4E79",
    "customers": "#2F7F86",
    "processes": "#8A6D1F",
    "learning": "#6A4C93",
}
PERSPECTIVE_ORDER = ("finance", "customers", "processes", "learning")  # top band first
INK = "#262626"
MUTED = "#7A7A7A"
LIGHT = "#D9DEE5"
FIG_WIDTH = 7.0  # inches: the printable width of an A4 page with 15 mm margins
RAG_THRESHOLDS = (0.95, 0.85)  # green at or above the first, amber at or above the second

REPORT_RC = {
    "font.family": "DejaVu Sans",  # has Cyrillic, ships with matplotlib
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 8,
    "axes.labelsize": 9,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#9E9E9E",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.facecolor": "white",
    "axes.prop_cycle": cycler(color=PALETTE),
    "grid.color": "#E6E6E6",
    "grid.linewidth": 0.6,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "xtick.color": "#4D4D4D",
    "ytick.color": "#4D4D4D",
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "text.color": INK,
    "figure.facecolor": "white",
    "figure.figsize": (FIG_WIDTH, 3.6),
    "figure.dpi": 150,
    "savefig.facecolor": "white",
    "savefig.dpi": 150,
    "svg.fonttype": "none",
}


def use_report_style() -> None:
    """Apply the report style to every chart drawn afterwards (also pyplot and pandas plots).

    Examples
    --------
    >>> use_report_style()
    >>> import matplotlib
    >>> matplotlib.rcParams["font.family"]
    ['DejaVu Sans']
    """
    mpl.rcParams.update(REPORT_RC)


def _styled(chart):
    """Draw `chart` in the report style whatever the global settings are."""

    @functools.wraps(chart)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(REPORT_RC):
            return chart(*args, **kwargs)

    return wrapper


class ReportFigure(Figure):
    """A Figure that shows itself in Jupyter whatever the matplotlib backend (not managed by pyplot).

    ``caption`` and ``data`` are its text alternative: a sentence saying what it shows and the
    numbers it shows, as rows of text (the first row is the header). They travel with the
    image in the notebook output's metadata (``alt`` and ``data``), and the report prints the
    caption under the chart and gives screen readers the numbers as a table.
    """

    caption: str = ""
    data: list = []

    def _repr_png_(self):
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=self.dpi, bbox_inches="tight", pad_inches=0.05)
        png = buffer.getvalue()
        width_px = int.from_bytes(png[16:20], "big")
        metadata = {"width": round(width_px * 96 / self.dpi)}  # shown at its printed size
        if self.caption:
            metadata.update(alt=self.caption, data=self.data)
        return png, metadata


def _described(fig: ReportFigure, caption: str, header: list, rows) -> ReportFigure:
    """Give `fig` its text alternative: `caption` and the numbers it shows (text cells)."""
    fig.caption = caption
    fig.data = [[str(c) for c in header]] + [["" if v is None else str(v) for v in row] for row in rows]
    return fig


def _figure(height: float, width: float = FIG_WIDTH) -> ReportFigure:
    return ReportFigure(figsize=(width, height), layout="constrained")


def _wrap(text, width: int, max_lines: int | None = None) -> str:
    lines = textwrap.wrap(str(text), width=width, break_long_words=False) or [""]
    if max_lines and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(width - 1, 1)].rstrip() + "…"
    return "\n".join(lines)


def _money_axis(axis, currency: str, language: str) -> None:
    axis.set_major_locator(MaxNLocator(nbins=5, min_n_ticks=3))
    axis.set_major_formatter(FuncFormatter(
        lambda v, _: format_money(v, currency, language, compact=True)))


def _percent_axis(axis, language: str, signed: bool = False) -> None:
    def fmt(v, _):
        text = format_percent(v, language, 0)
        return "+" + text if signed and v > 1e-12 else text

    axis.set_major_formatter(FuncFormatter(fmt))


def _period_ticks(ax, periods, language: str) -> None:
    """Label periods with the short month, and the year under the first month and each January."""
    labels = []
    for i, period in enumerate(periods):
        month = format_period(period, language, short=True).rsplit(" ", 1)[0]
        year = str(period)[:4]
        labels.append(f"{month}\n{year}" if i == 0 or str(period)[5:7] == "01" else month)
    ax.set_xticks(np.arange(len(labels)), labels)


def rag_status(attainment: float, thresholds: tuple[float, float] = RAG_THRESHOLDS) -> str:
    """Return ``"green"``, ``"amber"`` or ``"red"`` for an attainment (or index) value.

    Examples
    --------
    >>> rag_status(0.97), rag_status(0.9), rag_status(0.5)
    ('green', 'amber', 'red')
    """
    green, amber = thresholds
    if attainment >= green:
        return "green"
    return "amber" if attainment >= amber else "red"


# --------------------------------------------------------------------------- strategy map

MAP_MAX_HEIGHT = 9.6  # inches: an A4 page between the margins, with room for a heading
_MAP_DENSITIES = ((8.0, 0.5), (7.5, 0.4), (7.0, 0.32), (6.5, 0.26))  # (font pt, row gap in)
_LABEL_COLUMN = 1.2  # inches for the band labels on the left
_GAP_X, _BAND_PAD = 0.25, 0.2


@_styled
def strategy_map_chart(goals: pd.DataFrame, links: pd.DataFrame, language: str) -> Figure:
    """Draw the strategy map: four perspective bands, goals as boxes, arrows to supported goals.

    Parameters
    ----------
    goals : DataFrame
        Columns ``goal_id, name, perspective, weight`` (one row per goal).
    links : DataFrame
        Columns ``parent_id, goal_id, strength, flow_share``: goal ``goal_id`` supports
        ``parent_id``; the arrow's width grows with ``flow_share``.
    language : str
        Language of the band labels and weights.

    Returns
    -------
    matplotlib.figure.Figure
        Boxes carry the gid ``goal:<goal_id>``, arrows ``link:<goal_id>-><parent_id>`` and
        band labels ``band:<perspective>``.
    """
    goals = goals.drop_duplicates("goal_id").reset_index(drop=True)
    known = set(goals["goal_id"])
    strange = sorted({*links["parent_id"], *links["goal_id"]} - known)
    if strange:
        raise ReportError(f"strategy map: links name goals that are not in the goals table: {', '.join(map(str, strange))}")
    unknown = sorted(set(goals["perspective"]) - set(PERSPECTIVE_ORDER))
    if unknown:
        raise ReportError(f"strategy map: unknown perspective(s) {', '.join(map(str, unknown))}; expected {', '.join(PERSPECTIVE_ORDER)}")

    largest_band = max([int((goals["perspective"] == p).sum()) for p in PERSPECTIVE_ORDER] + [1])
    cols = min(largest_band, 4)
    content = FIG_WIDTH - _LABEL_COLUMN - 0.25
    box_w = min(1.7, (content - (cols - 1) * _GAP_X) / cols)

    parents_of = links.groupby("goal_id")["parent_id"].apply(list).to_dict()
    layout, x_of = [], {}  # layout: (perspective, rows of goal ids)
    for perspective in PERSPECTIVE_ORDER:
        members = goals.loc[goals["perspective"] == perspective, "goal_id"].tolist()
        slots = []  # (x, row) of every box position in the band, brick-wise
        sizes = _brick_sizes(len(members), cols)
        if len(sizes) > math.ceil(len(members) / cols):  # bricks cost a row: use full rows
            sizes = [cols] * (len(members) // cols) + ([len(members) % cols] if len(members) % cols else [])
        for row, size in enumerate(sizes):
            left = _LABEL_COLUMN + 0.15 + (content - size * box_w - (size - 1) * _GAP_X) / 2
            slots += [(left + i * (box_w + _GAP_X) + box_w / 2, row) for i in range(size)]
        rows = [[] for _ in {row for _, row in slots}]
        # Matching goals sorted by their parents' x to slots sorted by x keeps arrows short.
        for goal_id, (x, row) in zip(_order_by_parents(members, parents_of, x_of), sorted(slots)):
            x_of[goal_id] = x
            rows[row].append(goal_id)
        layout.append((perspective, [sorted(r, key=x_of.get) for r in rows]))

    weights = dict(zip(goals["goal_id"], goals["weight"]))
    for font, gap_y in _MAP_DENSITIES:  # the largest type that keeps the map on one page
        chars = max(int((box_w - 0.16) * 72 / (font * 0.6)), 8)
        line = font * 1.3 / 72  # inches per text line
        texts = {g.goal_id: _wrap(g.name, chars, max_lines=6) for g in goals.itertuples()}
        heights_of = {g: (text.count("\n") + 2) * line + 0.2 for g, text in texts.items()}
        bands = []  # (perspective, top, bottom, [(row, row_height)])
        y = 0.0
        for perspective, rows in layout:
            heights = [max(heights_of[g] for g in row) for row in rows] or [0.55]
            band_h = 2 * _BAND_PAD + sum(heights) + gap_y * (len(heights) - 1)
            bands.append((perspective, y, y + band_h, list(zip(rows, heights))))
            y += band_h
        total_h = y
        if total_h <= MAP_MAX_HEIGHT:
            break

    fig = _figure(total_h + 0.1)
    fig.set_layout_engine(None)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, FIG_WIDTH)
    ax.set_ylim(total_h + 0.05, -0.05)  # y grows downwards: finance on top
    ax.axis("off")

    boxes, centres = {}, {}
    for index, (perspective, top, bottom, rows) in enumerate(bands):
        colour = PERSPECTIVE_COLOURS[perspective]
        ax.add_patch(Rectangle((0, top), FIG_WIDTH, bottom - top, facecolor="#F6F8FA" if index % 2 == 0 else "white",
                               edgecolor="none", zorder=0))
        ax.add_patch(Rectangle((0.05, top + 0.06), _LABEL_COLUMN - 0.1, bottom - top - 0.12,
                               facecolor=colour, edgecolor="none", zorder=1))
        band_label = ax.text(_LABEL_COLUMN / 2, (top + bottom) / 2,
                             _wrap(label("perspective", perspective, language), 13),
                             ha="center", va="center", color="white", fontsize=9, fontweight="bold",
                             linespacing=1.25, zorder=2)
        band_label.set_gid(f"band:{perspective}")
        if index:
            ax.plot([_LABEL_COLUMN, FIG_WIDTH], [top, top], color=LIGHT, lw=0.8, zorder=0.5)
        row_top = top + _BAND_PAD
        for row, row_h in rows:
            for goal_id in row:
                h = heights_of[goal_id]
                cx, cy = x_of[goal_id], row_top + row_h / 2
                box = FancyBboxPatch((cx - box_w / 2, cy - h / 2), box_w, h,
                                     boxstyle="round,pad=0,rounding_size=0.08",
                                     facecolor="white", edgecolor=colour, linewidth=1.2, zorder=3)
                box.set_gid(f"goal:{goal_id}")
                ax.add_patch(box)
                boxes[goal_id], centres[goal_id] = box, (cx, cy)
                ax.text(cx, cy - h / 2 + 0.1, texts[goal_id], ha="center", va="top",
                        fontsize=font, linespacing=1.15, zorder=4)
                weight = weights.get(goal_id)
                if weight is not None and not pd.isna(weight):
                    ax.text(cx, cy + h / 2 - 0.09,
                            f"{t('chart.goal_weight', language)} {format_number(weight, language, 2)}",
                            ha="center", va="bottom", fontsize=font - 0.5, color=colour,
                            fontweight="bold", zorder=4)
            row_top += row_h + gap_y

    for link in links.itertuples():
        child, parent = link.goal_id, link.parent_id
        (x0, y0), (x1, y1) = centres[child], centres[parent]
        share = getattr(link, "flow_share", 1.0)
        share = 1.0 if share is None or pd.isna(share) else float(share)
        others = [boxes[g] for g in boxes if g not in (child, parent)]
        bend = _clear_bend((x0, y0), (x1, y1), others, same_row=abs(y0 - y1) < 0.05)
        arrow = FancyArrowPatch((x0, y0), (x1, y1), patchA=boxes[child], patchB=boxes[parent],
                                arrowstyle="-|>,head_length=5,head_width=2.8",
                                connectionstyle=f"arc3,rad={bend}", color="#5F6B7A",
                                linewidth=0.7 + 1.6 * min(max(share, 0.0), 1.0),
                                shrinkA=1, shrinkB=1, zorder=2.5)
        arrow.set_gid(f"link:{child}->{parent}")
        ax.add_patch(arrow)
    names = dict(zip(goals["goal_id"], goals["name"]))
    supports = links.groupby("goal_id")["parent_id"].apply(lambda ids: "; ".join(str(names[i]) for i in ids)).to_dict()
    return _described(fig, t("chart.alt.strategy_map", language, goals=len(goals)),
                      [t("chart.alt.goal", language), t("chart.alt.perspective", language),
                       t("chart.goal_weight", language), t("chart.alt.supports", language)],
                      [(g.name, label("perspective", g.perspective, language),
                        format_percent(g.weight, language, 1) if not pd.isna(g.weight) else "",
                        supports.get(g.goal_id, "")) for g in goals.itertuples()])


def _clear_bend(start, end, obstacles, same_row: bool) -> float:
    """Return the arc3 curvature of an arrow that crosses the fewest other boxes (0 = straight)."""
    (x0, y0), (x1, y1) = start, end
    # arc3 bends in display space; the map's y axis points down, so flip y to match it
    mx, my, dx, dy = (x0 + x1) / 2, -(y0 + y1) / 2, x1 - x0, -(y1 - y0)
    steps = np.linspace(0.1, 0.9, 25)
    best, fewest = (0.3 if same_row else 0.0), math.inf
    for bend in ((0.3, -0.3, 0.5, -0.5) if same_row else (0.0, 0.25, -0.25, 0.45, -0.45, 0.7, -0.7, 1.0, -1.0)):
        cx, cy = mx + bend * dy, -(my - bend * dx)
        xs = (1 - steps) ** 2 * x0 + 2 * (1 - steps) * steps * cx + steps ** 2 * x1
        ys = (1 - steps) ** 2 * y0 + 2 * (1 - steps) * steps * cy + steps ** 2 * y1
        hits = sum(box.get_x() - 0.05 <= x <= box.get_x() + box.get_width() + 0.05
                   and box.get_y() - 0.05 <= y <= box.get_y() + box.get_height() + 0.05
                   for box in obstacles for x, y in zip(xs, ys))
        hits += 3 * int(np.sum((xs < _LABEL_COLUMN + 0.05) | (xs > FIG_WIDTH - 0.05)))  # off the map
        if hits < fewest:
            best, fewest = bend, hits
        if not hits:
            break
    return best


def _order_by_parents(members: list, parents_of: dict, x_of: dict) -> list:
    """Order a band's goals under the goals they support, to keep arrows short and uncrossed."""
    def key(item):
        position, goal_id = item
        xs = [x_of[p] for p in parents_of.get(goal_id, []) if p in x_of]
        return (np.mean(xs) if xs else math.inf, position)

    return [g for _, g in sorted(enumerate(members), key=key)]


def _brick_sizes(count: int, cols: int) -> list[int]:
    """Split a band into rows of `cols` and `cols - 1` goals in turn, so arrows pass between boxes."""
    sizes, wide = [], True
    while count > 0:
        size = min(count, cols if wide or cols < 2 else cols - 1)
        sizes.append(size)
        count, wide = count - size, not wide
    return sizes


# --------------------------------------------------------------------------- plans and matrices

@_styled
def gantt_chart(plan: pd.DataFrame, language: str) -> Figure:
    """Draw the implementation plan as a Gantt chart.

    Parameters
    ----------
    plan : DataFrame
        Columns ``step, name, start, end, weeks``; one bar per row, first step on top.
    language : str
        Language of the dates and the week labels.

    Returns
    -------
    matplotlib.figure.Figure
        Bars carry the gid ``gantt:<step>``.
    """
    plan = plan.reset_index(drop=True)
    starts = pd.to_datetime(plan["start"])
    ends = pd.to_datetime(plan["end"])
    fig = _figure(0.9 + 0.42 * len(plan))
    ax = fig.add_subplot()
    left = mdates.date2num(starts)
    width = np.maximum(mdates.date2num(ends) - left, 1)
    bars = ax.barh(range(len(plan)), width, left=left, height=0.56, color=PALETTE[0], zorder=2)
    for bar, row in zip(bars, plan.itertuples()):
        bar.set_gid(f"gantt:{row.step}")
        weeks = row.weeks if not pd.isna(row.weeks) else round(bar.get_width() / 7)
        ax.text(bar.get_x() + bar.get_width() + 2, bar.get_y() + bar.get_height() / 2,
                t("chart.weeks_short", language, weeks=format_number(weeks, language, 0)),
                va="center", ha="left", fontsize=8, color=MUTED)
    ax.set_yticks(range(len(plan)),
                  [_wrap(f"{row.step}. {row.name}", 34) for row in plan.itertuples()])
    ax.invert_yaxis()
    span = (ends.max() - starts.min()).days if len(plan) else 0
    ax.set_xlim(left.min() - 3 if len(plan) else 0, (left + width).max() + max(span * 0.12, 14) if len(plan) else 1)
    if span > 75:
        ax.xaxis.set_major_locator(mdates.MonthLocator(interval=max(1, math.ceil(span / 30 / 10))))

        def tick(v, pos):
            day = mdates.num2date(v).date()
            month = format_date(day, language, "LLL")
            return f"{month}\n{day.year}" if pos == 0 or day.month == 1 else month
    else:
        ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO, interval=max(1, span // 56)))

        def tick(v, pos):
            return format_date(mdates.num2date(v).date(), language, "d MMM")
    ax.xaxis.set_major_formatter(FuncFormatter(tick))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    return _described(fig, t("chart.alt.gantt", language, steps=len(plan)),
                      [t("chart.alt.step", language), t("chart.alt.start", language), t("chart.alt.end", language),
                       t("chart.alt.weeks", language)],
                      [(f"{row.step}. {row.name}", format_date(start.date(), language), format_date(end.date(), language),
                        "" if pd.isna(row.weeks) else format_number(row.weeks, language, 0))
                       for row, start, end in zip(plan.itertuples(), starts, ends)])


_ATTAINMENT_CMAP = LinearSegmentedColormap.from_list(
    "kpi_attainment",
    [(0.0, RAG_COLOURS["red"]), (0.35, RAG_COLOURS["amber"]), (0.5, "#F7F7F2"),
     (0.75, "#8BC08F"), (1.0, RAG_COLOURS["green"])],
)


HEATMAP_MAX_ROWS = 40  # employees a heat map draws one row each; past it, rows are groups' means


@_styled
def attainment_heatmap(matrix: pd.DataFrame, language: str, *, vmin: float = 0.5,
                       vmax: float = 1.5, max_rows: int = HEATMAP_MAX_ROWS) -> Figure:
    """Draw attainment per employee (rows) and KPI (columns), red below 1.0 and green above.

    Past `max_rows` employees a row each would be unreadable (and a chart of thousands of rows
    exhausts memory): the rows are then the groups of the ``group`` column, each with its
    employees' mean attainment and, in its label, their number.

    Parameters
    ----------
    matrix : DataFrame
        Long table with columns ``employee, kpi, attainment`` (names, not ids) and, optionally,
        ``group`` (e.g. the position) to aggregate by.
    language : str
        Language of the percent annotations.
    vmin, vmax : float
        Attainments shown at full red and full green; 1.0 is the neutral centre.
    max_rows : int
        Most employees drawn a row each.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ReportError
        When there are more than `max_rows` employees and no ``group`` column.

    Examples
    --------
    >>> m = pd.DataFrame({"employee": [f"E{i}" for i in range(50)], "kpi": "Sales",
    ...                   "attainment": 1.0, "group": ["Seller", "Manager"] * 25})
    >>> fig = attainment_heatmap(m, "en", max_rows=10)
    >>> [row[0] for row in fig.data[1:]]
    ['Seller (25)', 'Manager (25)']
    """
    aggfunc, alt = "first", "chart.alt.heatmap"
    employees = matrix["employee"].nunique()
    if employees > max_rows:
        if "group" not in matrix:
            raise ReportError(f"a heat map of {employees} employees would have {employees} rows, more than the "
                              f"{max_rows} that stay readable; give the matrix a 'group' column (e.g. the "
                              "position) to draw each group's mean attainment")
        counts = matrix.groupby("group", sort=False)["employee"].nunique()
        labels = {g: f"{g} ({format_number(n, language, 0)})" for g, n in counts.items()}
        matrix = matrix.assign(employee=matrix["group"].map(labels))
        aggfunc, alt = "mean", "chart.alt.heatmap_groups"
    grid = matrix.pivot_table(index="employee", columns="kpi", values="attainment",
                              aggfunc=aggfunc, sort=False, dropna=False)
    grid = grid.reindex(index=pd.unique(matrix["employee"]), columns=pd.unique(matrix["kpi"]))
    n_rows, n_cols = grid.shape
    rotate = n_cols > 6
    label_lines = max((_wrap(c, 16).count("\n") + 1 for c in grid.columns), default=1)
    fig = _figure(0.9 + 0.34 * n_rows + (0.9 if rotate else 0.16 * label_lines))
    ax = fig.add_subplot()
    annotations = grid.map(lambda v: "" if pd.isna(v) else format_percent(v, language, 0))
    sns.heatmap(grid.astype(float), ax=ax, cmap=_ATTAINMENT_CMAP,
                norm=TwoSlopeNorm(vmin=vmin, vcenter=1.0, vmax=vmax),
                annot=annotations.to_numpy(), fmt="", annot_kws={"fontsize": 8},
                linewidths=1.0, linecolor="white",
                cbar_kws={"shrink": 0.8, "pad": 0.02, "aspect": 25,
                          "label": t("chart.attainment", language)})
    _percent_axis(ax.collections[0].colorbar.ax.yaxis, language)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.xaxis.tick_top()
    ax.set_xticks(np.arange(n_cols) + 0.5, [_wrap(c, 16) for c in grid.columns],
                  rotation=35 if rotate else 0, ha="left" if rotate else "center",
                  rotation_mode="anchor")
    ax.set_yticks(np.arange(n_rows) + 0.5, [_wrap(r, 28) for r in grid.index], rotation=0)
    ax.tick_params(length=0)
    return _described(fig, t(alt, language),
                      [t("chart.alt.employee" if aggfunc == "first" else "chart.alt.group", language), *grid.columns],
                      [(name, *("" if pd.isna(v) else format_percent(v, language, 0) for v in values))
                       for name, values in zip(grid.index, grid.to_numpy())])


@_styled
def ratio_distribution_chart(ratios: pd.Series, language: str, *, width: float = 0.05) -> Figure:
    """Draw how many employees have each performance ratio, in bins of `width`, with the plan (1.0) marked.

    Parameters
    ----------
    ratios : Series
        One performance ratio per employee (missing ones are left out).
    language : str
        Language of the labels.
    width : float
        Width of a bin.

    Returns
    -------
    matplotlib.figure.Figure
        Its data rows are the bins, from the lowest: ``from – to`` and the number of employees.

    Examples
    --------
    >>> fig = ratio_distribution_chart(pd.Series([0.81, 0.99, 1.01, 1.02]), "en", width=0.1)
    >>> fig.data[1:]
    [['80%–90%', '1'], ['90%–100%', '1'], ['100%–110%', '2']]
    """
    values = pd.to_numeric(pd.Series(ratios), errors="coerce").dropna().to_numpy(dtype=float)
    bins = np.floor(np.round(values / width, 9)).astype(int)  # 1.05 / 0.05 is 21, not 20.999...
    low = int(bins.min()) if len(bins) else 0
    high = int(bins.max()) + 1 if len(bins) else 1
    edges = np.arange(low, high + 1) * width
    counts = np.bincount(bins - low, minlength=high - low)
    fig = _figure(2.8)
    ax = fig.add_subplot()
    ax.bar(edges[:-1], counts, width=width, align="edge", color=PALETTE[0], edgecolor="white", linewidth=0.6)
    ax.axvline(1.0, color=INK, linewidth=1.0, linestyle="--")
    ax.text(1.0, 1.0, " " + t("chart.plan", language), transform=ax.get_xaxis_transform(), va="top",
            fontsize=8, color=INK)
    _percent_axis(ax.xaxis, language)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(t("chart.performance_ratio", language))
    ax.set_ylabel(t("chart.employees", language))
    ax.grid(axis="x", visible=False)
    return _described(fig, t("chart.alt.ratio_distribution", language),
                      [t("chart.performance_ratio", language), t("chart.employees", language)],
                      [(f"{format_percent(a, language, 0)}–{format_percent(b, language, 0)}", int(n))
                       for a, b, n in zip(edges[:-1], edges[1:], counts)])


@_styled
def kpi_weights_chart(weights: pd.DataFrame, language: str, *, min_weight: float = 0.1) -> Figure:
    """Compare KPI weights before and after pruning the KPIs below `min_weight`.

    Parameters
    ----------
    weights : DataFrame
        Columns ``kpi, raw_weight, kept, weight`` (``kpi`` is the KPI's name).
    language : str
    min_weight : float
        The pruning limit, drawn as a dashed line.

    Returns
    -------
    matplotlib.figure.Figure
        Bars carry the gids ``raw:<kpi>`` and ``kept:<kpi>``.
    """
    data = weights.sort_values("raw_weight", ascending=False).reset_index(drop=True)
    fig = _figure(0.9 + 0.46 * len(data))
    ax = fig.add_subplot()
    y = np.arange(len(data))
    raw = ax.barh(y - 0.19, data["raw_weight"], height=0.36, color="#BFC5CC",
                  label=t("chart.before_pruning", language))
    after = data["weight"].where(data["kept"].astype(bool), 0.0).fillna(0.0)
    kept = ax.barh(y + 0.19, after, height=0.36, color=PALETTE[0],
                   label=t("chart.after_pruning", language))
    top = float(max(data["raw_weight"].max(), after.max(), min_weight)) if len(data) else 1.0
    for i, row in data.iterrows():
        raw[i].set_gid(f"raw:{row.kpi}")
        kept[i].set_gid(f"kept:{row.kpi}")
        ax.text(row.raw_weight + top * 0.01, i - 0.19, format_number(row.raw_weight, language, 2),
                va="center", fontsize=7.5, color=MUTED)
        if bool(row.kept):
            ax.text(after[i] + top * 0.01, i + 0.19, format_number(after[i], language, 2),
                    va="center", fontsize=7.5, color=INK, fontweight="bold")
        else:
            ax.text(top * 0.01, i + 0.19, t("chart.dropped", language), va="center",
                    fontsize=7.5, color=RAG_COLOURS["red"], style="italic")
    ax.axvline(min_weight, color=RAG_COLOURS["red"], lw=1, ls="--", zorder=1)
    ax.text(min_weight, -0.75, " " + t("chart.min_weight", language,
                                        weight=format_number(min_weight, language, 2)),
            fontsize=7.5, color=RAG_COLOURS["red"], va="bottom")
    ax.set_yticks(y, [_wrap(k, 30) for k in data["kpi"]])
    ax.set_ylim(len(data) - 0.4, -1.1)
    ax.set_xlim(0, top * 1.15)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v, language, 2)))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.tick_params(axis="y", length=0)
    ax.legend(loc="lower right", ncols=2, bbox_to_anchor=(1, 1.0))
    return _described(fig, t("chart.alt.kpi_weights", language, weight=format_percent(min_weight, language, 0)),
                      [t("chart.alt.kpi", language), t("chart.before_pruning", language), t("chart.after_pruning", language)],
                      [(row.kpi, format_percent(row.raw_weight, language, 1),
                        format_percent(row.weight, language, 1) if row.kept else t("chart.dropped", language))
                       for row in data.itertuples()])


# --------------------------------------------------------------------------- bonus

@_styled
def pool_vs_budget_chart(pool: float, budget: float | None, currency: str, language: str) -> Figure:
    """Draw the bonus pool as a bar against its budget (green within it, amber up to 10 % over, red beyond).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = _figure(1.7)
    ax = fig.add_subplot()
    if budget is None or pd.isna(budget):
        colour, status = PALETTE[0], t("bonus.no_budget", language)
    else:
        status_code = "green" if pool <= budget else "amber" if pool <= budget * 1.1 else "red"
        colour = RAG_COLOURS[status_code]
        if pool > budget:
            status = t("bonus.over_budget", language,
                       amount=format_money(pool - budget, currency, language, decimals=0))
        else:
            status = t("bonus.within_budget", language)
    bar = ax.barh([0], [pool], height=0.5, color=colour, zorder=2)[0]
    bar.set_gid("pool")
    top = max(pool, budget or 0) * 1.18 or 1.0
    ax.text(top * 0.01, 0, f"{t('bonus.pool', language)}: "
            f"{format_money(pool, currency, language, decimals=0)}",
            va="center", ha="left", fontsize=8.5, fontweight="bold",
            color=INK if colour == RAG_COLOURS["amber"] else "white", zorder=4)
    if budget is not None and not pd.isna(budget):
        line = ax.axvline(budget, ymin=0.1, ymax=0.9, color=INK, lw=1.6, zorder=3)
        line.set_gid("budget")
        ax.text(budget, 0.45, f"{t('bonus.budget', language)}: "
                f"{format_money(budget, currency, language, decimals=0)} ",
                ha="right" if budget > top * 0.5 else "left", va="bottom", fontsize=8)
    ax.set_title(status, fontsize=9, color=colour if colour != PALETTE[0] else INK)
    ax.set_xlim(0, top)
    ax.set_ylim(-0.6, 0.75)
    ax.set_yticks([])
    _money_axis(ax.xaxis, currency, language)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.spines["left"].set_visible(False)
    no_budget = budget is None or pd.isna(budget)
    return _described(fig, status, [t("bonus.pool", language), t("bonus.budget", language)],
                      [(format_money(pool, currency, language, decimals=0),
                        "" if no_budget else format_money(budget, currency, language, decimals=0))])


@_styled
def bonus_by_department_chart(df: pd.DataFrame, currency: str, language: str) -> Figure:
    """Draw each department's bonus inside its bonus fund.

    Parameters
    ----------
    df : DataFrame
        Columns ``department, bonus, fund``.

    Returns
    -------
    matplotlib.figure.Figure
        Bars carry the gids ``fund:<department>`` and ``bonus:<department>``.
    """
    data = df.sort_values("fund", ascending=False).reset_index(drop=True)
    fig = _figure(1.0 + 0.5 * len(data))
    ax = fig.add_subplot()
    y = np.arange(len(data))
    funds = ax.barh(y, data["fund"], height=0.7, color="#E3E8EE", edgecolor="#BFC5CC",
                    label=t("table.fund", language))
    bonuses = ax.barh(y, data["bonus"], height=0.36, color=PALETTE[0], label=t("table.bonus", language))
    top = float(max(data["fund"].max(), data["bonus"].max())) if len(data) else 1.0
    for i, row in data.iterrows():
        funds[i].set_gid(f"fund:{row.department}")
        bonuses[i].set_gid(f"bonus:{row.department}")
        share = t("bonus.of_fund", language,
                  share=format_percent(row.bonus / row.fund, language, 0)) if row.fund else ""
        ax.text(max(row.fund, row.bonus) + top * 0.015, i,
                f"{format_money(row.bonus, currency, language, decimals=0)}  ·  {share}".rstrip(" ·"),
                va="center", fontsize=8)
    ax.set_yticks(y, [_wrap(d, 24) for d in data["department"]])
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.45)
    _money_axis(ax.xaxis, currency, language)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.tick_params(axis="y", length=0)
    ax.legend(loc="lower right", ncols=2, bbox_to_anchor=(1, 1.0))
    return _described(fig, t("chart.alt.bonus_by_department", language),
                      [t("chart.alt.department", language), t("chart.alt.bonus", language), t("chart.alt.fund", language)],
                      [(row.department, format_money(row.bonus, currency, language, decimals=0),
                        format_money(row.fund, currency, language, decimals=0)) for row in data.itertuples()])


@_styled
def sensitivity_chart(df: pd.DataFrame, budget: float | None, currency: str, language: str) -> Figure:
    """Draw the bonus pool against a uniform change in attainment, with the budget line.

    Parameters
    ----------
    df : DataFrame
        Columns ``shift`` (change in attainment as a ratio, e.g. -0.1) and ``pool``.
    budget : float or None

    Returns
    -------
    matplotlib.figure.Figure
    """
    data = df.sort_values("shift")
    fig = _figure(3.2)
    ax = fig.add_subplot()
    ax.plot(data["shift"], data["pool"], color=PALETTE[0], zorder=2, label=t("bonus.pool", language))
    over = data["pool"] > budget if budget is not None else pd.Series(False, index=data.index)
    ax.scatter(data["shift"], data["pool"], s=22, zorder=3,
               c=[RAG_COLOURS["red"] if o else PALETTE[0] for o in over])
    if budget is not None:
        ax.axhline(budget, color=INK, lw=1.2, ls="--", label=t("bonus.budget", language))
        ax.axhspan(budget, max(data["pool"].max(), budget) * 1.05, color=RAG_COLOURS["red"],
                   alpha=0.06, lw=0)
    ax.axvline(0, color=MUTED, lw=0.8)
    ax.set_xlabel(t("bonus.attainment_shift", language))
    _percent_axis(ax.xaxis, language, signed=True)
    _money_axis(ax.yaxis, currency, language)
    ax.legend(loc="upper left")
    return _described(fig, t("chart.alt.sensitivity", language),
                      [t("bonus.attainment_shift", language), t("bonus.pool", language)],
                      [(("+" if row.shift > 1e-12 else "") + format_percent(row.shift, language, 0),
                        format_money(row.pool, currency, language, decimals=0)) for row in data.itertuples()])


# --------------------------------------------------------------------------- pilot and project

@_styled
def plan_fact_chart(series: pd.DataFrame, title: str, language: str, *, direction: str = "higher",
                    thresholds: tuple[float, float] = RAG_THRESHOLDS) -> Figure:
    """Draw plan and fact over periods, each fact marked green, amber or red.

    Parameters
    ----------
    series : DataFrame
        Columns ``period`` (``YYYY-MM``), ``plan``, ``fact``.
    title : str
        The chart's title, usually the KPI's name.
    direction : {"higher", "lower"}
        Whether a fact above plan is good.

    Returns
    -------
    matplotlib.figure.Figure
        Fact markers carry the gid ``rag:<status>``.
    """
    data = series.reset_index(drop=True)
    x = np.arange(len(data))
    fig = _figure(3.0)
    ax = fig.add_subplot()
    ax.plot(x, data["plan"], color=MUTED, ls="--", lw=1.4, label=t("chart.plan", language))
    ax.plot(x, data["fact"], color=PALETTE[0], lw=1.8, label=t("chart.fact", language), zorder=2)
    for xi, plan, fact in zip(x, data["plan"], data["fact"]):
        if pd.isna(fact) or pd.isna(plan) or plan == 0 or (direction == "lower" and fact == 0):
            continue
        status = rag_status(fact / plan if direction != "lower" else plan / fact, thresholds)
        marker = Line2D([xi], [fact], marker="o", markersize=7, color=RAG_COLOURS[status],
                        markeredgecolor="white", markeredgewidth=1, lw=0, zorder=3)
        marker.set_gid(f"rag:{status}")
        ax.add_line(marker)
    handles, _ = ax.get_legend_handles_labels()
    handles += [Line2D([], [], marker="o", lw=0, color=RAG_COLOURS[s], label=label("rag", s, language))
                for s in ("green", "amber", "red")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _period_ticks(ax, data["period"], language)
    ax.set_xlim(-0.4, len(x) - 0.6)
    ax.set_title(_wrap(title, 70))
    ax.autoscale(axis="y")
    return _described(fig, t("chart.alt.plan_fact", language, title=title),
                      [t("chart.alt.period", language), t("chart.plan", language), t("chart.fact", language)],
                      [(format_period(row.period, language), "" if pd.isna(row.plan) else format_number(row.plan, language, 2),
                        "" if pd.isna(row.fact) else format_number(row.fact, language, 2)) for row in data.itertuples()])


@_styled
def earned_value_chart(scorecard: pd.DataFrame, currency: str, language: str) -> Figure:
    """Draw the earned-value S-curves: planned value, earned value, actual cost and the budget.

    Parameters
    ----------
    scorecard : DataFrame
        Columns ``period, pv, ev, ac, bac`` (values to date).

    Returns
    -------
    matplotlib.figure.Figure
    """
    data = scorecard.reset_index(drop=True)
    x = np.arange(len(data))
    fig = _figure(3.3)
    ax = fig.add_subplot()
    ax.plot(x, data["pv"], color=MUTED, ls="--", marker="o", markersize=3.5,
            label=t("chart.planned_value", language))
    ax.plot(x, data["ev"], color=PALETTE[0], marker="o", markersize=4,
            label=t("chart.earned_value_ev", language))
    ax.plot(x, data["ac"], color=RAG_COLOURS["red"], marker="o", markersize=4,
            label=t("chart.actual_cost", language))
    if len(data):
        bac = float(data["bac"].iloc[-1])
        ax.axhline(bac, color=INK, lw=1, ls=":", label=t("chart.budget_at_completion", language))
        ax.set_ylim(0, max(bac, data[["pv", "ev", "ac"]].max().max()) * 1.08)
    _period_ticks(ax, data["period"], language)
    _money_axis(ax.yaxis, currency, language)
    ax.legend(loc="lower right")
    return _described(fig, t("chart.alt.earned_value", language),
                      [t("chart.alt.period", language), t("chart.planned_value", language),
                       t("chart.earned_value_ev", language), t("chart.actual_cost", language)],
                      [(format_period(row.period, language), *(format_money(v, currency, language, decimals=0)
                                                                for v in (row.pv, row.ev, row.ac)))
                       for row in data.itertuples()])


# --------------------------------------------------------------------------- sales

@_styled
def funnel_chart(plan: pd.DataFrame, language: str) -> Figure:
    """Draw the sales funnel from the widest stage (leads) down to deals.

    Parameters
    ----------
    plan : DataFrame
        Columns ``stage`` (a code such as ``leads`` or a name) and ``required_total``.

    Returns
    -------
    matplotlib.figure.Figure
        Bars carry the gid ``funnel:<stage>``.
    """
    data = plan.sort_values("required_total", ascending=False).reset_index(drop=True)
    fig = _figure(0.7 + 0.55 * len(data))
    ax = fig.add_subplot()
    widest = float(data["required_total"].max()) if len(data) else 1.0
    colours = LinearSegmentedColormap.from_list("funnel", ["#8FB3D6", PALETTE[0]])
    for i, row in data.iterrows():
        share = i / max(len(data) - 1, 1)
        bar = ax.barh(i, row.required_total, left=-row.required_total / 2, height=0.78,
                      color=colours(share))[0]
        bar.set_gid(f"funnel:{row.stage}")
        inside = row.required_total > widest * 0.15
        ax.text(0 if inside else row.required_total / 2 + widest * 0.015, i,
                format_number(row.required_total, language, 0), ha="center" if inside else "left",
                va="center", color="white" if inside else INK, fontsize=9, fontweight="bold")
        if i:
            previous = data["required_total"].iloc[i - 1]
            if previous:
                ax.text(widest / 2 + widest * 0.06, i - 0.5,
                        t("chart.conversion_from_previous", language,
                          share=format_percent(row.required_total / previous, language, 0)),
                        va="center", fontsize=7.5, color=MUTED)
    ax.set_yticks(range(len(data)), [_stage_name(s, language) for s in data["stage"]])
    ax.invert_yaxis()
    ax.set_xlim(-widest / 2 * 1.02, widest / 2 * 2.3)
    ax.set_xticks([])
    ax.grid(False)
    ax.tick_params(axis="y", length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    return _described(fig, t("chart.alt.funnel", language),
                      [t("chart.alt.funnel_stage", language), t("chart.alt.required", language)],
                      [(_stage_name(row.stage, language), format_number(row.required_total, language, 0))
                       for row in data.itertuples()])


def _stage_name(stage: str, language: str) -> str:
    try:
        return label("funnel_stage", stage, language)
    except KeyError:
        return _wrap(stage, 24)


@_styled
def pool_by_period_chart(periods: list[str], pools: list[float], sources: list[str], budget: float | None,
                         currency: str, language: str) -> Figure:
    """Draw the pool of each bonus period as a bar against the budget line (green within it, amber up
    to 10 % over, red beyond); a period the ledger holds closed is drawn solid, a recomputed one hatched.

    Returns
    -------
    matplotlib.figure.Figure
        Bars carry the gid ``pool:<period>:<status>``.
    """
    fig = _figure(2.6)
    ax = fig.add_subplot()
    x = np.arange(len(periods))
    for xi, period, pool, source in zip(x, periods, pools, sources):
        status = ("green" if pool <= budget else "amber" if pool <= budget * 1.1 else "red") if budget else None
        colour = RAG_COLOURS[status] if status else PALETTE[0]
        bar = ax.bar([xi], [pool], width=0.6, color=colour, zorder=2, hatch=None if source == "ledger" else "///",
                     edgecolor="white" if source != "ledger" else colour)[0]
        bar.set_gid(f"pool:{period}:{status or 'none'}")
    handles = []
    if "ledger" in sources:
        handles.append(Patch(color=PALETTE[2], label=t("periods.chart.closed", language)))
    if any(s != "ledger" for s in sources):
        handles.append(Patch(facecolor=PALETTE[2], hatch="///", edgecolor="white",
                             label=t("periods.chart.computed", language)))
    if budget:
        line = ax.axhline(budget, color=INK, lw=1.4, zorder=3)
        line.set_gid("budget")
        handles.append(Line2D([], [], color=INK, lw=1.4, label=t("bonus.budget", language)))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _period_ticks(ax, periods, language)
    ax.set_xlim(-0.6, len(x) - 0.4)
    ax.set_ylim(0, max([*pools, budget or 0]) * 1.15 or 1.0)
    _money_axis(ax.yaxis, currency, language)
    ax.set_title(t("periods.chart.title", language), fontsize=9)
    return _described(fig, t("chart.alt.pool_by_period", language),
                      [t("chart.alt.bonus_period", language), t("bonus.pool", language),
                       *([t("bonus.budget", language)] if budget else []), t("periods.col.source", language)],
                      [(format_period(period, language), format_money(pool, currency, language, decimals=0),
                        *([format_money(budget, currency, language, decimals=0)] if budget else []),
                        t(f"periods.source.{'ledger' if source == 'ledger' else 'computed'}", language))
                       for period, pool, source in zip(periods, pools, sources)])


@_styled
def attainment_trend_chart(trends: pd.DataFrame, language: str) -> Figure:
    """Draw the mean attainment of each row of ``trends`` (index: names; columns: ``YYYY-MM``
    periods) over the periods, with the green and amber bands' lower edges.

    Returns
    -------
    matplotlib.figure.Figure
        Each line carries the gid ``trend:<name>``.
    """
    fig = _figure(3.0)
    ax = fig.add_subplot()
    periods = list(trends.columns)
    x = np.arange(len(periods))
    for i, (name, row) in enumerate(trends.iterrows()):
        line = ax.plot(x, row.to_numpy(dtype=float), marker="o", markersize=4, lw=1.6,
                       ls="-" if i < len(PALETTE) else "--",  # more rows than colours: dashed the second time
                       color=PALETTE[i % len(PALETTE)], label=_wrap(str(name), 28), zorder=2)[0]
        line.set_gid(f"trend:{name}")
    for level, status in zip(RAG_THRESHOLDS, ("green", "amber")):
        ax.axhline(level, color=RAG_COLOURS[status], lw=1, ls="--", zorder=1)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _period_ticks(ax, periods, language)
    ax.set_xlim(-0.4, len(x) - 0.6)
    _percent_axis(ax.yaxis, language)
    return _described(fig, t("chart.alt.attainment_trend", language),
                      [t("chart.alt.department", language), *(format_period(p, language, short=True) for p in periods)],
                      [(name, *("—" if pd.isna(v) else format_percent(v, language, 0) for v in row))
                       for name, row in trends.iterrows()])
