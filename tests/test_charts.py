"""Charts (kpi_toolkit/charts.py): structure of each figure, on small frames built here."""
from __future__ import annotations

import io

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from kpi_toolkit.outputs import charts
from kpi_toolkit.errors import ReportError


def gids(fig: Figure, prefix: str) -> list[str]:
    found = fig.findobj(lambda artist: (artist.get_gid() or "").startswith(prefix))
    return [a.get_gid() for a in found]


def texts(fig: Figure) -> str:
    return "\n".join(text.get_text() for text in fig.findobj(mpl.text.Text))


def renders(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50)
    return buffer.getvalue()


@pytest.fixture
def goals():
    return pd.DataFrame(
        [
            ("F1", "Raise the company's capitalisation", "finance", 1.0),
            ("C1", "Повышение удовлетворённости ключевых клиентов качеством сервиса", "customers", 0.5),
            ("P1", "Shorten order processing", "processes", 0.25),
            ("P2", "Автоматизация документооборота", "processes", 0.25),
            ("L1", "Train the sales managers", "learning", 0.25),
        ],
        columns=["goal_id", "name", "perspective", "weight"],
    )


@pytest.fixture
def links():
    return pd.DataFrame(
        [("F1", "C1", 1, 0.5), ("F1", "P1", 1, 0.5), ("C1", "P2", 1, 1.0), ("P1", "L1", 1, 1.0)],
        columns=["parent_id", "goal_id", "strength", "flow_share"],
    )


@pytest.mark.parametrize("language", ["en", "ru"])
def test_strategy_map_structure(goals, links, language):
    fig = charts.strategy_map_chart(goals, links, language)
    assert isinstance(fig, Figure)
    assert sorted(gids(fig, "band:")) == sorted(f"band:{p}" for p in charts.PERSPECTIVE_ORDER)
    assert sorted(gids(fig, "goal:")) == sorted(f"goal:{g}" for g in goals["goal_id"])
    arrows = [a for a in fig.axes[0].patches if isinstance(a, FancyArrowPatch)]
    assert len(arrows) == len(links)
    assert "link:L1->P1" in gids(fig, "link:")
    assert ("Weight 0.50" if language == "en" else "Вес 0,50") in texts(fig)
    assert renders(fig)


def test_strategy_map_bands_run_finance_to_learning(goals, links):
    fig = charts.strategy_map_chart(goals, links, "en")
    y = {gid: fig.findobj(lambda a, g=gid: a.get_gid() == g)[0].get_position()[1]
         for gid in gids(fig, "band:")}
    # y grows downwards on the map: finance has the smallest y
    assert sorted(y, key=y.get) == [f"band:{p}" for p in charts.PERSPECTIVE_ORDER]


def test_strategy_map_boxes_do_not_overlap_with_twenty_long_goals():
    perspectives = ["finance"] * 3 + ["customers"] * 5 + ["processes"] * 8 + ["learning"] * 4
    goals = pd.DataFrame({
        "goal_id": [f"G{i}" for i in range(20)],
        "name": ["Существенное повышение эффективности взаимодействия подразделений компании"] * 20,
        "perspective": perspectives,
        "weight": 0.05,
    })
    links = pd.DataFrame({"parent_id": ["G0"] * 19, "goal_id": [f"G{i}" for i in range(1, 20)],
                          "strength": 1.0, "flow_share": 1 / 19})
    fig = charts.strategy_map_chart(goals, links, "ru")
    fig.canvas.draw()
    boxes = [a.get_window_extent() for a in fig.findobj(
        lambda a: (a.get_gid() or "").startswith("goal:"))]
    assert len(boxes) == 20
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    assert fig.get_figwidth() <= charts.FIG_WIDTH
    assert fig.get_figheight() < 10.2  # fits an A4 page between the margins


def test_strategy_map_rejects_links_to_unknown_goals(goals):
    links = pd.DataFrame([("F1", "X9", 1, 1.0)], columns=["parent_id", "goal_id", "strength", "flow_share"])
    with pytest.raises(ReportError, match="X9"):
        charts.strategy_map_chart(goals, links, "en")


def test_gantt_has_one_bar_per_step():
    start = pd.Timestamp("2026-09-01")
    plan = pd.DataFrame({"step": [1, 2, 3], "name": ["Diagnostic", "Strategy map", "Pilot"],
                         "start": [start, start + pd.Timedelta(weeks=2), start + pd.Timedelta(weeks=5)],
                         "weeks": [2, 3, 12]})
    plan["end"] = plan["start"] + pd.to_timedelta(plan["weeks"] * 7, unit="D")
    fig = charts.gantt_chart(plan, "ru")
    assert gids(fig, "gantt:") == ["gantt:1", "gantt:2", "gantt:3"]
    assert "12 нед." in texts(fig)
    assert renders(fig)


def test_heatmap_has_a_cell_per_employee_and_kpi():
    matrix = pd.DataFrame([(e, k, a) for e, k, a in [
        ("Ivanov", "Revenue", 1.1), ("Ivanov", "Margin", 0.8), ("Ivanov", "New clients", np.nan),
        ("Petrova", "Revenue", 0.95), ("Petrova", "Margin", 1.0), ("Petrova", "New clients", 1.3)]],
        columns=["employee", "kpi", "attainment"])
    fig = charts.attainment_heatmap(matrix, "en")
    ax = fig.axes[0]
    assert ax.collections[0].get_array().size == 6
    annotations = [t.get_text() for t in ax.texts]
    assert sorted(annotations) == sorted(["110%", "80%", "95%", "100%", "130%"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Ivanov", "Petrova"]
    assert renders(fig)


def test_heatmap_colours_diverge_around_one():
    matrix = pd.DataFrame({"employee": ["A", "A", "A"], "kpi": ["x", "y", "z"],
                           "attainment": [0.5, 1.0, 1.5]})
    mesh = charts.attainment_heatmap(matrix, "en").axes[0].collections[0]
    low, middle, high = mesh.cmap(mesh.norm(mesh.get_array().ravel()))[:, :3]
    assert low[0] > low[1]  # red
    assert high[1] > high[0]  # green
    assert middle.min() > 0.9  # neutral


def test_kpi_weights_chart_shows_before_and_after():
    weights = pd.DataFrame({"kpi": ["Revenue", "Margin", "Calls"], "raw_weight": [0.6, 0.35, 0.05],
                            "kept": [True, True, False], "weight": [0.63, 0.37, 0.0]})
    fig = charts.kpi_weights_chart(weights, "en")
    assert len(gids(fig, "raw:")) == 3 and len(gids(fig, "kept:")) == 3
    assert "dropped" in texts(fig)
    kept_calls = fig.findobj(lambda a: a.get_gid() == "kept:Calls")[0]
    assert kept_calls.get_width() == 0


@pytest.mark.parametrize("pool, budget, colour", [
    (90_000, 100_000, charts.RAG_COLOURS["green"]),
    (105_000, 100_000, charts.RAG_COLOURS["amber"]),
    (130_000, 100_000, charts.RAG_COLOURS["red"]),
])
def test_pool_vs_budget_colour(pool, budget, colour):
    fig = charts.pool_vs_budget_chart(pool, budget, "GBP", "en")
    bar = fig.findobj(lambda a: a.get_gid() == "pool")[0]
    assert mpl.colors.to_hex(bar.get_facecolor()).upper() == colour.upper()
    assert gids(fig, "budget") == ["budget"]


def test_pool_without_budget():
    fig = charts.pool_vs_budget_chart(1_250_000, None, "RUB", "ru")
    assert "Бюджет не задан" in texts(fig)
    assert gids(fig, "budget") == []


def test_bonus_by_department():
    df = pd.DataFrame({"department": ["Sales", "Accounts"], "bonus": [520_000, 120_000],
                       "fund": [600_000, 150_000]})
    fig = charts.bonus_by_department_chart(df, "GBP", "en")
    assert len(gids(fig, "fund:")) == 2 and len(gids(fig, "bonus:")) == 2
    assert "£520,000  ·  87% of fund" in texts(fig)


def test_plan_fact_marks_each_fact_with_its_status():
    series = pd.DataFrame({"period": ["2026-07", "2026-08", "2026-09", "2026-10"],
                           "plan": [100, 100, 100, 100], "fact": [100, 90, 50, np.nan]})
    fig = charts.plan_fact_chart(series, "Revenue", "ru")
    assert gids(fig, "rag:") == ["rag:green", "rag:amber", "rag:red"]
    assert "июль\n2026" in [t.get_text() for t in fig.axes[0].get_xticklabels()]


def test_earned_value_chart_draws_three_curves_and_the_budget():
    scorecard = pd.DataFrame({"period": ["2026-07", "2026-08", "2026-09"], "pv": [10, 30, 60.0],
                              "ev": [8, 25, 55.0], "ac": [9, 30, 62.0], "bac": 100.0})
    fig = charts.earned_value_chart(scorecard, "EUR", "en")
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["Planned value (PV)", "Earned value (EV)", "Actual cost (AC)",
                      "Budget at completion (BAC)"]


def test_funnel_is_widest_on_top():
    plan = pd.DataFrame({"stage": ["deals", "meetings", "leads"], "required_total": [40, 125, 1042]})
    fig = charts.funnel_chart(plan, "en")
    assert gids(fig, "funnel:") == ["funnel:leads", "funnel:meetings", "funnel:deals"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Leads", "Meetings", "Deals"]


def test_sensitivity_marks_points_over_budget():
    df = pd.DataFrame({"shift": [-0.1, 0.0, 0.1], "pool": [90.0, 100.0, 110.0]})
    fig = charts.sensitivity_chart(df, 105.0, "GBP", "en")
    colours = fig.axes[0].collections[0].get_facecolors()
    assert mpl.colors.to_hex(colours[-1]).upper() == charts.RAG_COLOURS["red"].upper()
    fig.canvas.draw()
    assert "+10%" in [t.get_text() for t in fig.axes[0].get_xticklabels()]


def test_figures_display_themselves_in_jupyter(goals, links):
    png, metadata = charts.strategy_map_chart(goals, links, "en")._repr_png_()
    assert png.startswith(b"\x89PNG")
    assert 600 < metadata["width"] <= 700  # about 7 inches at 96 CSS pixels per inch


def test_report_style_is_local_to_charts_unless_asked():
    with mpl.rc_context({"font.size": 20}):
        charts.funnel_chart(pd.DataFrame({"stage": ["leads"], "required_total": [1]}), "en")
        assert mpl.rcParams["font.size"] == 20
        charts.use_report_style()
        assert mpl.rcParams["font.size"] == 9


def test_a_heatmap_past_its_readable_size_draws_each_groups_mean():
    m = pd.DataFrame({"employee": [f"E{i}" for i in range(60) for _ in range(2)], "kpi": ["A", "B"] * 60,
                      "attainment": [1.0, 0.5] * 30 + [0.8, 0.7] * 30,
                      "group": ["Seller"] * 60 + ["Manager"] * 60})
    fig = charts.attainment_heatmap(m, "en", max_rows=40)
    assert fig.data == [["Position", "A", "B"], ["Seller (30)", "100%", "50%"], ["Manager (30)", "80%", "70%"]]
    assert "Mean attainment of each position" in fig.caption
    assert len(charts.attainment_heatmap(m, "en", max_rows=60).data) == 61  # at the size: a row each


def test_a_heatmap_past_its_readable_size_without_groups_is_refused():
    m = pd.DataFrame({"employee": [f"E{i}" for i in range(41)], "kpi": "A", "attainment": 1.0})
    with pytest.raises(ReportError, match="41 employees would have 41 rows, more than the 40"):
        charts.attainment_heatmap(m, "en")


def test_ratio_distribution_counts_every_employee_once():
    ratios = pd.Series([0.52, 0.97, 1.0, 1.049, 1.05, float("nan")])
    fig = charts.ratio_distribution_chart(ratios, "en")
    counts = {row[0]: int(row[1]) for row in fig.data[1:]}
    assert sum(counts.values()) == 5 and counts["100%–105%"] == 2 and counts["105%–110%"] == 1
