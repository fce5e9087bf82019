"""The scenario explorer's widgets: a thin ipywidgets view over :class:`~kpi_toolkit.explorer.model.ExplorerModel`.

Every change of a control is handed to the model and the figures are redrawn from its
results: the headline cards and the statements at once, the department chart, the comparison
and the sensitivity when their tab is shown. Client strings are escaped wherever HTML is built.
"""
from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pandas as pd

from kpi_toolkit.errors import KpiToolkitError, SchemeError
from kpi_toolkit.outputs.explain import reason_label
from kpi_toolkit.explorer.model import WEIGHT_STEP, ExplorerFigures, ExplorerModel
from kpi_toolkit.outputs.i18n import format_money, format_number, format_percent, format_period, t
from kpi_toolkit.inputs.loading import load_client
from kpi_toolkit.inputs.scenarios import list_scenarios, stop_rule_key


def percent_text(value: float | None, language: str) -> str:
    """A ratio as the explorer's percent fields show it: 0.7 -> ``70``, 0.725 -> ``72.5`` (``72,5`` in Russian).

    Examples
    --------
    >>> percent_text(0.7, "en"), percent_text(0.725, "ru"), percent_text(None, "en")
    ('70', '72,5', '')
    """
    if value is None:
        return ""
    x = round(value * 100, 4)
    text = f"{x:.{_decimals(x)}f}"
    return text.replace(".", ",") if language == "ru" else text


def parse_percent(text: str) -> float | None:
    """A percent field's text as a ratio: ``"70"`` -> 0.7, ``"72,5 %"`` -> 0.725, ``""`` -> None.

    Examples
    --------
    >>> parse_percent("72,5 %"), parse_percent(" "), parse_percent("85")
    (0.725, None, 0.85)
    """
    cleaned = text.replace("%", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not cleaned:
        return None
    value = float(cleaned)  # ValueError for text that is not a number
    if not math.isfinite(value):
        raise ValueError(text)
    return round(value / 100, 10)


class ExplorerView(widgets.VBox):
    """The explorer's widgets over an :class:`ExplorerModel`.

    The controls of the position shown are in dicts keyed by KPI id (``weight_sliders``,
    ``lock_buttons``, ``threshold_inputs``, ``stop_inputs``, ``cap_inputs``, ``curve_inputs``)
    and by rule (``stop_checks``); ``share_slider`` and ``fund_slider`` set the fund. Setting a
    widget's value recomputes the figures, as a user's change does.
    """

    def __init__(self, model: ExplorerModel):
        super().__init__()
        self.model = model
        lang = self.language = model.language
        self.add_class("kt-explorer")
        self._quiet = False
        self._stale: set[str] = set()
        self.weight_sliders: dict[str, widgets.FloatSlider] = {}
        self.lock_buttons: dict[str, widgets.ToggleButton] = {}
        self.weight_flags: dict[str, widgets.HTML] = {}
        self.threshold_inputs: dict[str, widgets.Text] = {}
        self.stop_inputs: dict[str, widgets.Text] = {}
        self.cap_inputs: dict[str, widgets.Text] = {}
        self.curve_inputs: dict[str, widgets.Dropdown] = {}
        self.stop_checks: dict[str, widgets.Checkbox] = {}
        self.share_slider: widgets.FloatSlider | None = None
        self.fund_slider: widgets.FloatSlider | None = None

        self.period_input = widgets.Dropdown(
            options=[(format_period(p, lang), p) for p in model.client.periods], value=model.period,
            description=t("explorer.period", lang), style={"description_width": "initial"})
        self.position_input = widgets.Dropdown(options=self._position_options(), value=model.position,
                                               description=t("explorer.position", lang),
                                               style={"description_width": "initial"},
                                               layout=widgets.Layout(width="340px"))
        self.start_input = widgets.Dropdown(options=self._start_options(), value="",
                                            description=t("explorer.start_from", lang),
                                            style={"description_width": "initial"},
                                            layout=widgets.Layout(width="320px"))
        self.period_input.observe(self._on_period, names="value")
        self.position_input.observe(self._on_position, names="value")
        self.start_input.observe(self._on_start, names="value")

        self.controls = widgets.VBox(layout=widgets.Layout(width="410px", flex="0 0 410px"))
        self.controls.add_class("kt-panel")
        self.cards = widgets.HTML()
        self.statements = widgets.HTML()
        self.departments = widgets.Image(format="png", layout=widgets.Layout(max_width="min(100%, 820px)"))
        self.comparison = widgets.HTML()
        self.sensitivity_tables = widgets.HTML()
        self.sensitivity_chart = widgets.Image(format="png", layout=widgets.Layout(max_width="min(100%, 780px)", display="none"))
        self.tabs = widgets.Tab(
            children=[self.statements, self.departments, self.comparison,
                      widgets.VBox([self.sensitivity_tables, self.sensitivity_chart])],
            titles=[t("explorer.statements", lang), t("explorer.by_department", lang),
                    t("explorer.comparison", lang), t("explorer.sensitivity", lang)])
        self.tabs.observe(self._on_tab, names="selected_index")
        figures = widgets.VBox([self.cards, self.tabs], layout=widgets.Layout(flex="1 1 auto", min_width="0"))
        figures.add_class("kt-figures")

        self.save_name = widgets.Text(placeholder=t("explorer.name_placeholder", lang),
                                      description=t("explorer.name", lang), layout=widgets.Layout(width="100%"))
        self.save_note = widgets.Text(description=t("explorer.description", lang), layout=widgets.Layout(width="100%"))
        self.save_button = widgets.Button(description=t("explorer.save", lang), button_style="primary",
                                          layout=widgets.Layout(width="auto", align_self="flex-start"),
                                          icon="save")
        self.save_button.on_click(self._on_save)
        self.message = widgets.HTML()
        toolbar = widgets.HBox([self.period_input, self.position_input, self.start_input])
        toolbar.add_class("kt-toolbar")
        self.children = [widgets.HTML(STYLE + self._header_html()), toolbar,
                         widgets.HBox([self.controls, figures], layout=widgets.Layout(align_items="flex-start")),
                         self.message]
        self._build_controls()
        self.refresh()

    # --- building -------------------------------------------------------------------------------
    def _position_options(self) -> list[tuple[str, str]]:
        m = self.model
        return [(f"{m.position_name(p)} ({m.headcount(p)})", p) for p in m.positions]

    def _start_options(self) -> list[tuple[str, str]]:
        return [(t("explorer.current_scheme", self.language), "")] + [
            (name, name) for name in list_scenarios(self.model.client)]

    def _header_html(self) -> str:
        cfg, lang = self.model.client.config, self.language
        logo = cfg.branding.get("logo")
        img = ""
        if logo and Path(logo).is_file() and Path(logo).suffix.lower() in (".png", ".jpg", ".jpeg"):
            mime = "png" if Path(logo).suffix.lower() == ".png" else "jpeg"
            img = (f'<img class="kt-logo" alt="" src="data:image/{mime};base64,'
                   f'{base64.b64encode(Path(logo).read_bytes()).decode()}">')
        colour = html.escape(str(cfg.branding.get("colour") or "#1F4E79"))
        return (f'<div class="kt-header" style="border-color:{colour}">{img}<div>'
                f'<div class="kt-title">{html.escape(t("explorer.title", lang))}</div>'
                f'<div class="kt-subtitle">{html.escape(cfg.name)}</div></div></div>')

    def _build_controls(self) -> None:
        m, lang = self.model, self.language
        scheme = m.scheme()
        for store in (self.weight_sliders, self.lock_buttons, self.weight_flags, self.threshold_inputs,
                      self.stop_inputs, self.cap_inputs, self.curve_inputs, self.stop_checks):
            store.clear()
        method = t("explorer.method_map" if m.method() == "map" else "explorer.method_head_on", lang)
        parts = [widgets.HTML(f'<div class="kt-h2">{html.escape(t("explorer.scheme_for", lang, position=m.position_name()))}</div>'
                              f'<div class="kt-hint">{html.escape(method)}</div>'
                              f'<div class="kt-hint">{html.escape(t("explorer.hint", lang))}</div>')]
        curve_options = [(t("explorer.proportional", lang), "")] + [(c, c) for c in m.curves]
        for kid, settings in scheme.kpis.items():
            slider = widgets.FloatSlider(value=settings["weight"], min=0, max=1, step=WEIGHT_STEP,
                                         readout_format=".0%", continuous_update=False,
                                         layout=widgets.Layout(width="100%"))
            slider.add_class("kt-weight")
            slider.observe(lambda change, k=kid: self._on_weight(k, change), names="value")
            lock = widgets.ToggleButton(value=kid in m.locked, icon="lock", tooltip=t("explorer.lock", lang),
                                        layout=widgets.Layout(width="36px", height="28px", flex="0 0 36px"))
            lock.add_class("kt-lock")
            lock.observe(lambda change, k=kid: self._on_lock(k, change), names="value")
            flag = widgets.HTML()
            fields = {}
            for setting, store in (("threshold", self.threshold_inputs), ("stop_threshold", self.stop_inputs),
                                   ("cap", self.cap_inputs)):
                box = widgets.Text(value=percent_text(settings[setting], lang), placeholder="—",
                                   continuous_update=False, layout=widgets.Layout(width="auto"))
                box.observe(lambda change, k=kid, s=setting: self._on_ratio(k, s, change), names="value")
                store[kid] = fields[setting] = box
            curve = widgets.Dropdown(options=curve_options, value=settings["curve"] or "",
                                     layout=widgets.Layout(width="auto"))
            curve.observe(lambda change, k=kid: self._on_curve(k, change), names="value")
            self.weight_sliders[kid], self.lock_buttons[kid], self.weight_flags[kid] = slider, lock, flag
            self.curve_inputs[kid] = curve
            name = widgets.HTML(f'<div class="kt-kpi-name" title="{html.escape(kid)}">{html.escape(m.kpi_name(kid))}</div>',
                                layout=widgets.Layout(flex="1 1 auto"))
            cells = []
            for setting, box in (("threshold", fields["threshold"]), ("stop_threshold", fields["stop_threshold"]),
                                 ("cap", fields["cap"]), ("curve", curve)):
                cells += [widgets.HTML(f'<span class="kt-label">{html.escape(t(f"explorer.{setting}", lang))}</span>'),
                          box]
            grid = widgets.GridBox(cells, layout=widgets.Layout(
                grid_template_columns="auto minmax(0, 1fr) auto minmax(0, 1.3fr)", grid_gap="4px 8px",
                align_items="center", width="100%"))
            card = widgets.VBox([widgets.HBox([name, flag, lock], layout=widgets.Layout(align_items="center")),
                                 slider, grid])
            card.add_class("kt-kpi")
            parts.append(card)

        fund_parts = []
        emp = m.client.employees
        own = emp[(emp["position_id"] == m.position).to_numpy()]
        if own["bonus_fund"].isna().any() and scheme.variable_share is not None:
            self.share_slider = widgets.FloatSlider(value=scheme.variable_share, min=0, max=0.9, step=0.01,
                                                    readout_format=".0%", continuous_update=False,
                                                    layout=widgets.Layout(width="100%"))
            self.share_slider.observe(self._on_share, names="value")
            fund_parts += [_label(t("explorer.variable_share", lang)), self.share_slider]
        else:
            self.share_slider = None
        if own["bonus_fund"].notna().any():
            self.fund_slider = widgets.FloatSlider(value=scheme.fund_scale, min=0.5, max=2.0, step=0.05,
                                                   readout_format=".0%", continuous_update=False,
                                                   layout=widgets.Layout(width="100%"))
            self.fund_slider.observe(self._on_fund, names="value")
            fund_parts += [_label(t("explorer.fund_scale", lang)), self.fund_slider]
        else:
            self.fund_slider = None
        if fund_parts:
            parts.append(widgets.HTML(f'<div class="kt-h3">{html.escape(t("explorer.fund", lang))}</div>'))
            parts += fund_parts
        parts.append(widgets.HTML(f'<div class="kt-h3">{html.escape(t("explorer.stop_factors", lang))}</div>'))
        rules = m.stop_rules()
        for rule in rules:
            key = stop_rule_key(rule)
            text = t("explorer.stop_rule", lang, kpi=m.kpi_name(rule.kpi_id), condition=rule.condition,
                     limit=format_number(rule.limit, lang, _decimals(rule.limit)),
                     factor=format_number(rule.factor, lang, _decimals(rule.factor)))
            check = widgets.Checkbox(value=scheme.stop_factors.get(key, True), description=text, indent=False,
                                     layout=widgets.Layout(width="100%"))
            check.observe(lambda change, k=key: self._on_stop_factor(k, change), names="value")
            self.stop_checks[key] = check
            parts.append(check)
        if not rules:
            parts.append(widgets.HTML(f'<div class="kt-hint">{html.escape(t("explorer.no_stop_factors", lang))}</div>'))
        reset = widgets.Button(description=t("explorer.reset_position", lang), icon="undo",
                               layout=widgets.Layout(width="auto"))
        reset.on_click(lambda _: self._reset(all_positions=False))
        reset_all = widgets.Button(description=t("explorer.reset_all", lang), icon="undo",
                                   layout=widgets.Layout(width="auto"))
        reset_all.on_click(lambda _: self._reset(all_positions=True))
        parts.append(widgets.HBox([reset, reset_all], layout=widgets.Layout(margin="10px 0 0 0")))
        parts.append(widgets.HTML(f'<div class="kt-h3">{html.escape(t("explorer.save_title", lang))}</div>'))
        parts += [self.save_name, self.save_note, self.save_button]
        self.controls.children = parts
        self._sync_flags()

    # --- events -----------------------------------------------------------------------------------
    def _on_weight(self, kpi: str, change) -> None:
        if self._quiet:
            return
        self.model.set_weight(kpi, change["new"])
        self._sync_weights()
        self.refresh()

    def _on_lock(self, kpi: str, change) -> None:
        self.model.lock(kpi, change["new"])
        self._sync_flags()

    def _on_ratio(self, kpi: str, setting: str, change) -> None:
        if self._quiet:
            return
        box = {"threshold": self.threshold_inputs, "stop_threshold": self.stop_inputs, "cap": self.cap_inputs}[setting][kpi]
        setter = {"threshold": self.model.set_threshold, "stop_threshold": self.model.set_stop_threshold,
                  "cap": self.model.set_cap}[setting]
        try:
            setter(kpi, parse_percent(change["new"]))
        except (ValueError, SchemeError):
            box.add_class("kt-invalid")
            self._say(t("explorer.invalid", self.language, value=change["new"]), error=True)
            return
        box.remove_class("kt-invalid")
        self._say("")
        self.refresh()

    def _on_curve(self, kpi: str, change) -> None:
        if not self._quiet:
            self.model.set_curve(kpi, change["new"] or None)
            self.refresh()

    def _on_share(self, change) -> None:
        if not self._quiet:
            self.model.set_variable_share(change["new"])
            self.refresh()

    def _on_fund(self, change) -> None:
        if not self._quiet:
            self.model.set_fund_scale(change["new"])
            self.refresh()

    def _on_stop_factor(self, rule: str, change) -> None:
        if not self._quiet:
            self.model.set_stop_factor(rule, change["new"])
            self.refresh()

    def _on_position(self, change) -> None:
        if self._quiet:
            return
        self.model.select(change["new"])
        self._build_controls()
        self.refresh()

    def _on_period(self, change) -> None:
        self.model.set_period(change["new"])
        self._quiet = True
        try:
            self.position_input.options = self._position_options()
            self.position_input.value = self.model.position
        finally:
            self._quiet = False
        self.refresh()

    def _on_start(self, change) -> None:
        if self._quiet:
            return
        try:
            if change["new"]:
                self.model.start_from(change["new"])
            else:
                self.model.reset_all()
        except KpiToolkitError as exc:
            self._say(_problems_html(exc, self.language), error=True, is_html=True)
            return
        self._say("")
        self._build_controls()
        self.refresh()

    def _on_tab(self, change) -> None:
        self._render_tab()

    def _reset(self, all_positions: bool) -> None:
        self.model.reset_all() if all_positions else self.model.reset()
        self._build_controls()
        self.refresh()

    def _on_save(self, _=None) -> None:
        name = self.save_name.value.strip()
        try:
            path = self.model.save(name, description=self.save_note.value.strip())
        except KpiToolkitError as exc:
            self._say(_problems_html(exc, self.language), error=True, is_html=True)
            return
        self._say(t("explorer.saved", self.language, file=f"scenarios/{path.name}", name=name))
        self._quiet = True
        try:
            self.start_input.options = self._start_options()
            self.start_input.value = name
        finally:
            self._quiet = False
        self._stale.add("comparison")
        self._render_tab()

    def _say(self, text: str, error: bool = False, is_html: bool = False) -> None:
        if not text:
            self.message.value = ""
            return
        body = text if is_html else html.escape(text)
        self.message.value = f'<div class="kt-message{" kt-error" if error else ""}">{body}</div>'

    # --- showing ----------------------------------------------------------------------------------
    def _sync_weights(self) -> None:
        self._quiet = True
        try:
            for kid, w in self.model.scheme().weights.items():
                self.weight_sliders[kid].value = w
        finally:
            self._quiet = False
        self._sync_flags()

    def _sync_flags(self) -> None:
        low, locked = set(self.model.low_weights()), self.model.locked
        overridden = set(self.model.weight_overrides())
        others_free = {k: [o for o in self.weight_sliders if o != k and o not in locked] for k in self.weight_sliders}
        for kid, flag in self.weight_flags.items():
            flags = [key for key, on in (("explorer.map_override", kid in overridden),
                                         ("explorer.low_weight", kid in low)) if on]
            flag.value = "".join(f'<span class="kt-flag">{html.escape(t(key, self.language))}</span>' for key in flags)
            self.weight_sliders[kid].disabled = kid in locked or not others_free[kid]

    def refresh(self) -> None:
        """Recompute and show the figures (the tab on show is redrawn, the others when opened)."""
        figures = self.model.results()
        # The statements first: the pool on the cards is what a reader (or a test) watches change.
        self.statements.value = statements_html(self.model, figures)
        self.cards.value = cards_html(self.model, figures)
        self._stale = {"departments", "comparison", "sensitivity"}
        self._render_tab()

    def _render_tab(self) -> None:
        tab = {1: "departments", 2: "comparison", 3: "sensitivity"}.get(self.tabs.selected_index)
        if tab not in self._stale:
            return
        self._stale.discard(tab)
        m, cfg = self.model, self.model.client.config
        if tab == "departments":
            from kpi_toolkit.outputs.charts import bonus_by_department_chart

            self.departments.value = _png(bonus_by_department_chart(m.results().by_department, cfg.currency,
                                                                    self.language))
        elif tab == "comparison":
            self.comparison.value = comparison_html(m, m.comparison())
        else:
            from kpi_toolkit.outputs.charts import sensitivity_chart

            self.sensitivity_tables.value = f'<div class="kt-hint">{html.escape(t("explorer.computing", self.language))}</div>'
            shifts, thresholds = m.sensitivity()
            self.sensitivity_tables.value = sensitivity_html(m, shifts, thresholds)
            self.sensitivity_chart.value = _png(sensitivity_chart(shifts, cfg.bonus_budget, cfg.currency, self.language))
            self.sensitivity_chart.layout.display = ""


def _label(text: str) -> widgets.HTML:
    return widgets.HTML(f'<span class="kt-label">{html.escape(text)}</span>')


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight", pad_inches=0.08)
    return buffer.getvalue()


def _decimals(x: float) -> int:
    return next(d for d in range(6) if abs(round(float(x), d) - float(x)) < 1e-9)


def _problems_html(exc: KpiToolkitError, language: str) -> str:
    problems = getattr(exc, "problems", None)
    if not problems:
        return html.escape(str(exc))
    items = "".join(f"<li>{html.escape(str(p))}</li>" for p in problems)
    return f"{html.escape(t('explorer.problems', language, count=len(problems)))}<ul>{items}</ul>"


# --- the HTML of the figures (pure functions of the model's figures) -------------------------------

def _money(model: ExplorerModel, amount: float, signed: bool = False) -> str:
    cfg = model.client.config
    text = format_money(abs(amount) if signed else amount, cfg.currency, model.language, cfg.currency_decimals)
    if signed:
        text = ("+" if amount > 0 else "−" if amount < 0 else "±") + text
    return html.escape(text)


def budget_status(pool: float, budget: float | None) -> str:
    """``green`` within budget, ``amber`` up to 10 % over, ``red`` beyond; ``none`` without a budget.

    Examples
    --------
    >>> budget_status(90, 100), budget_status(105, 100), budget_status(120, 100), budget_status(5, None)
    ('green', 'amber', 'red', 'none')
    """
    if budget is None or (isinstance(budget, float) and math.isnan(budget)):
        return "none"
    return "green" if pool <= budget else "amber" if pool <= budget * 1.1 else "red"


def cards_html(model: ExplorerModel, f: ExplorerFigures) -> str:
    """The headline figures: the pool against its budget, the position's pool, blocked and zero counts."""
    lang = model.language
    status = budget_status(f.pool, f.budget)
    notes = []
    if f.budget:
        notes.append(t("explorer.of_budget", lang, share=format_percent(f.pool / f.budget, lang, 1),
                       budget=format_money(f.budget, model.client.config.currency, lang, 0)))
    else:
        notes.append(t("bonus.no_budget", lang))
    delta = round(f.pool - f.current_pool, model.decimals)
    change = (t("explorer.vs_current", lang, change=_money(model, delta, signed=True)) if delta
              else html.escape(t("explorer.same_as_current", lang)))
    pdelta = round(f.position_pool - f.current_position_pool, model.decimals)
    pchange = (t("explorer.vs_current", lang, change=_money(model, pdelta, signed=True)) if pdelta
               else html.escape(t("explorer.same_as_current", lang)))
    bar = ""
    if f.budget:
        top = max(f.pool, f.budget) * 1.05
        bar = (f'<div class="kt-bar"><div class="kt-bar-fill kt-{status}" style="width:{100 * f.pool / top:.2f}%"></div>'
               f'<div class="kt-bar-budget" style="left:{100 * f.budget / top:.2f}%" '
               f'title="{html.escape(t("bonus.budget", lang))}"></div></div>')
    cards = [
        ("kt-pool-card kt-" + status, t("explorer.company_pool", lang),
         f'<span class="kt-pool-value">{_money(model, f.pool)}</span>',
         html.escape(notes[0]) + "<br>" + change + bar),
        ("", t("explorer.position_pool", lang, position=model.position_name()),
         f'<span class="kt-position-pool">{_money(model, f.position_pool)}</span>',
         html.escape(t("explorer.employees", lang, count=f.employees)) + "<br>" + pchange),
        ("kt-red" if f.blocked else "", t("explorer.blocked", lang),
         html.escape(t("explorer.x_of_y", lang, x=f.blocked, y=f.employees)),
         html.escape(t("explorer.blocked_note", lang, count=f.company_blocked))),
        ("kt-amber" if f.zero else "", t("explorer.zero", lang),
         html.escape(t("explorer.x_of_y", lang, x=f.zero, y=f.employees)),
         html.escape(t("explorer.zero_note", lang))),
    ]
    return '<div class="kt-cards">' + "".join(
        f'<div class="kt-card {cls}"><div class="kt-card-label">{html.escape(label)}</div>'
        f'<div class="kt-card-value">{value}</div><div class="kt-card-note">{note}</div></div>'
        for cls, label, value, note in cards) + "</div>"


def statements_html(model: ExplorerModel, f: ExplorerFigures) -> str:
    """The position's bonus statements: a row per employee, a column per KPI (attainment and the
    line's bonus, or why it is zero), the total, the change against the current scheme and why."""
    from kpi_toolkit.outputs.explain import statement_reason

    lang = model.language
    kpis = list(model.scheme().kpis)
    weights = model.scheme().weights
    kpi_names = {k: model.kpi_name(k) for k in model.client.kpis["kpi_id"]}
    lines = f.lines
    by_line = {(str(e), str(k)): row for e, k, row in zip(lines["employee_id"], lines["kpi_id"],
                                                         lines.itertuples(index=False))}
    head_html = (f'<th>{html.escape(t("table.employee", lang))}</th><th class="kt-num" '
                 f'title="{html.escape(t("table.performance_ratio", lang))}">{html.escape(t("explorer.ratio", lang))}</th>')
    head_html += "".join(f'<th class="kt-num kt-kpi-col">{html.escape(kpi_names.get(k, k))}'
                         f'<div class="kt-sub">{html.escape(format_percent(weights[k], lang, 0))}</div></th>'
                         for k in kpis)
    head_html += (f'<th class="kt-num">{html.escape(t("table.bonus", lang))}</th>'
                  f'<th class="kt-num">{html.escape(t("explorer.change", lang))}</th>'
                  f'<th>{html.escape(t("explorer.why", lang))}</th>')
    rows = []
    for row in f.statements.to_dict("records"):
        eid = str(row["employee_id"])
        cls = "kt-blocked" if row["stop_factor"] == 0 else "kt-zero" if row["bonus_minor"] == 0 else ""
        cells = [f'<td><div class="kt-emp">{html.escape(str(row["employee"]))}</div>'
                 f'<div class="kt-sub">{html.escape(str(row["department"]))}</div></td>',
                 f'<td class="kt-num">{html.escape(format_number(row["performance_ratio"], lang, 2))}</td>']
        for k in kpis:
            line = by_line.get((eid, k))
            if line is None:
                cells.append('<td class="kt-num kt-muted">—</td>')
                continue
            att = (format_percent(line.attainment, lang, 1) if pd.notna(line.attainment) else "—")
            reason = str(line.reason)
            why = (f'<div class="kt-why">{html.escape(reason_label(reason, lang))}</div>'
                   if line.bonus_minor == 0 and reason else "")
            cells.append(f'<td class="kt-num{" kt-zero-line" if line.bonus_minor == 0 else ""}">'
                         f'<div class="kt-sub">{html.escape(att)}</div>{_money(model, line.bonus)}{why}</td>')
        delta = round(row["bonus"] - f.current_bonus.get(eid, 0.0), model.decimals)
        cells.append(f'<td class="kt-num kt-total">{_money(model, row["bonus"])}</td>')
        cells.append(f'<td class="kt-num {"kt-up" if delta > 0 else "kt-down" if delta < 0 else "kt-muted"}">'
                     f'{_money(model, delta, signed=True) if delta else "—"}</td>')
        cells.append(f'<td class="kt-reason">{html.escape(statement_reason(row, lang, kpi_names))}</td>')
        rows.append(f'<tr class="{cls}">{"".join(cells)}</tr>')
    change = round(f.position_pool - f.current_position_pool, model.decimals)
    total = (f'<tr class="kt-sum"><td>{html.escape(t("report.total", lang))}</td><td></td>'
             + "<td></td>" * len(kpis)
             + f'<td class="kt-num kt-total">{_money(model, f.position_pool)}</td>'
             + f'<td class="kt-num">{_money(model, change, signed=True) if change else "—"}</td><td></td></tr>')
    legend = (f'<div class="kt-legend"><span class="kt-key kt-blocked"></span>{html.escape(t("explorer.legend_blocked", lang))}'
              f'<span class="kt-key kt-zero"></span>{html.escape(t("explorer.legend_zero", lang))}</div>')
    return (f'<div class="kt-table-wrap"><table class="kt-table"><thead><tr>{head_html}</tr></thead>'
            f'<tbody>{"".join(rows)}{total}</tbody></table></div>{legend}')


def comparison_html(model: ExplorerModel, table: pd.DataFrame) -> str:
    """The schemes side by side: a column per scheme, a row per figure and per KPI weight."""
    lang = model.language
    position = model.position_name()
    names = {"current": t("explorer.current_scheme", lang), "explorer": t("explorer.this_scenario", lang)}
    head = "".join(f'<th class="kt-num{" kt-this" if s == "explorer" else ""}">{html.escape(names.get(s, s))}</th>'
                   for s in table["scheme"])
    budget = model.client.config.bonus_budget

    def row(label: str, values, fmt) -> str:
        cells = "".join(f'<td class="kt-num{" kt-this" if s == "explorer" else ""}">'
                        f'{"—" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt(v)}</td>'
                        for s, v in zip(table["scheme"], values))
        return f"<tr><th>{html.escape(label)}</th>{cells}</tr>"

    count = lambda v: html.escape(format_number(v, lang, 0))  # noqa: E731
    body = [row(t("explorer.company_pool", lang), table["pool"], lambda v: _money(model, v))]
    if budget:
        body.append(row(t("explorer.budget_share", lang), table["pool"] / budget,
                        lambda v: html.escape(format_percent(v, lang, 1))))
    body += [row(t("explorer.position_pool", lang, position=position), table["position_pool"], lambda v: _money(model, v)),
             row(t("explorer.blocked_in", lang, position=position), table["position_blocked"], count),
             row(t("explorer.zero_in", lang, position=position), table["position_zero"], count),
             row(t("explorer.company_blocked", lang), table["company_blocked"], count)]
    for kid in model.scheme().kpis:
        body.append(row(t("explorer.weight_of", lang, kpi=model.kpi_name(kid)),
                        [w.get(kid, np.nan) if w else np.nan for w in table["weights"]],
                        lambda v: html.escape(format_percent(v, lang, 0))))
    notes = "".join(f'<div class="kt-message kt-error">{html.escape(t("explorer.does_not_fit", lang, name=s))}: '
                    f'{html.escape(p)}</div>' for s, p in zip(table["scheme"], table["problems"]) if p)
    return (f'<div class="kt-table-wrap"><table class="kt-table kt-compare"><thead><tr><th></th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>{notes}')


def sensitivity_html(model: ExplorerModel, shifts: pd.DataFrame, thresholds: pd.DataFrame, top: int = 10) -> str:
    """The sensitivity tables: the pool per change in attainment, and the thresholds that move it most."""
    lang = model.language
    rows = "".join(
        f'<tr{" class=kt-this" if s == 0 else ""}><td class="kt-num">{html.escape(_signed_percent(s, lang))}</td>'
        f'<td class="kt-num">{_money(model, p)}</td><td class="kt-num">{_money(model, c, signed=True) if c else "—"}</td></tr>'
        for s, p, c in zip(shifts["shift"], shifts["pool"], shifts["change"]))
    first = (f'<div class="kt-h3">{html.escape(t("explorer.sensitivity_attainment", lang))}</div>'
             f'<table class="kt-table"><thead><tr><th class="kt-num">{html.escape(t("bonus.attainment_shift", lang))}</th>'
             f'<th class="kt-num">{html.escape(t("bonus.pool", lang))}</th>'
             f'<th class="kt-num">{html.escape(t("explorer.change", lang))}</th></tr></thead><tbody>{rows}</tbody></table>')
    moving = thresholds[thresholds["impact"] > 0].head(top)
    if moving.empty:
        second_rows = f'<tr><td colspan="5" class="kt-muted">{html.escape(t("explorer.no_thresholds", lang))}</td></tr>'
    else:
        second_rows = "".join(
            f'<tr><td>{html.escape(str(r.position))}</td><td>{html.escape(str(r.kpi))}</td>'
            f'<td class="kt-num">{html.escape(format_percent(r.threshold, lang, 0))}</td>'
            f'<td class="kt-num">{_money(model, r.change_down, signed=True) if r.change_down else "—"}</td>'
            f'<td class="kt-num">{_money(model, r.change_up, signed=True) if r.change_up else "—"}</td></tr>'
            for r in moving.itertuples(index=False))
    second = (f'<div class="kt-h3">{html.escape(t("explorer.sensitivity_thresholds", lang))}</div>'
              f'<table class="kt-table"><thead><tr><th>{html.escape(t("table.position", lang))}</th>'
              f'<th>{html.escape(t("table.kpi", lang))}</th><th class="kt-num">{html.escape(t("table.threshold", lang))}</th>'
              f'<th class="kt-num">{html.escape(t("explorer.threshold_down", lang))}</th>'
              f'<th class="kt-num">{html.escape(t("explorer.threshold_up", lang))}</th></tr></thead>'
              f'<tbody>{second_rows}</tbody></table>')
    return f'<div class="kt-sensitivity"><div>{first}</div><div>{second}</div></div>'


def _signed_percent(x: float, language: str) -> str:
    text = format_percent(abs(x), language, 0)
    return ("+" if x > 0 else "−" if x < 0 else "±") + text


STYLE = """<style>
.kt-explorer { --kt-ink:#1f2933; --kt-muted:#6b7785; --kt-line:#e3e8ee; --kt-accent:#1F4E79;
  --kt-green:#2E7D32; --kt-amber:#F9A825; --kt-red:#C62828; color:var(--kt-ink);
  font-family: "Segoe UI", "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; font-size:13px; max-width:1500px; }
.kt-header { display:flex; align-items:center; gap:16px; border-bottom:3px solid; padding:4px 0 10px 0; margin-bottom:10px; }
.kt-logo { height:44px; }
.kt-title { font-size:22px; font-weight:600; line-height:1.2; }
.kt-subtitle { font-size:14px; color:var(--kt-muted); }
.kt-toolbar { gap:18px; margin-bottom:10px; flex-wrap:wrap; }
.kt-panel { background:#f6f8fa; border:1px solid var(--kt-line); border-radius:8px; padding:10px 12px; margin-right:16px; }
.kt-h2 { font-size:15px; font-weight:600; margin:2px 0 2px 0; }
.kt-h3 { font-size:13.5px; font-weight:600; margin:12px 0 4px 0; }
.kt-hint { color:var(--kt-muted); font-size:12px; line-height:1.35; margin-bottom:4px; white-space:normal; }
.kt-kpi { background:white; border:1px solid var(--kt-line); border-radius:6px; padding:6px 8px 8px 8px; margin:6px 0; }
.kt-kpi-name { font-weight:600; line-height:1.25; white-space:normal; }
.kt-label { font-size:11.5px; color:var(--kt-muted); white-space:nowrap; }
.kt-flag { background:#fff4d6; color:#8a5a00; border:1px solid #f3d27a; border-radius:10px; padding:1px 7px;
  font-size:11px; white-space:nowrap; margin-right:4px; }
.kt-invalid input { border-color:var(--kt-red) !important; background:#fdecea !important; }
.kt-cards { display:grid; grid-template-columns: 1.5fr 1.2fr 1fr 1fr; gap:10px; margin-bottom:12px; }
.kt-card { border:1px solid var(--kt-line); border-left:5px solid #9aa5b1; border-radius:8px; padding:8px 12px; background:white; }
.kt-card.kt-green { border-left-color:var(--kt-green); } .kt-card.kt-amber { border-left-color:var(--kt-amber); }
.kt-card.kt-red { border-left-color:var(--kt-red); } .kt-card.kt-none { border-left-color:var(--kt-accent); }
.kt-card-label { color:var(--kt-muted); font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
.kt-card-value { font-size:24px; font-weight:600; margin:2px 0; white-space:nowrap; font-variant-numeric:tabular-nums; }
.kt-card-note { color:var(--kt-muted); font-size:12px; line-height:1.4; }
.kt-bar { position:relative; height:10px; background:#eef1f4; border-radius:5px; margin-top:6px; }
.kt-bar-fill { height:100%; border-radius:5px; } .kt-bar-fill.kt-green { background:var(--kt-green); }
.kt-bar-fill.kt-amber { background:var(--kt-amber); } .kt-bar-fill.kt-red { background:var(--kt-red); }
.kt-bar-budget { position:absolute; top:-3px; width:2px; height:16px; background:var(--kt-ink); }
.kt-table-wrap { max-height:520px; overflow:auto; border:1px solid var(--kt-line); border-radius:6px; }
.kt-table { border-collapse:collapse; width:100%; font-size:12.5px; font-variant-numeric:tabular-nums; }
.kt-table th { position:sticky; top:0; background:#f6f8fa; text-align:left; font-weight:600; padding:6px 8px;
  border-bottom:1px solid #cfd6de; vertical-align:bottom; }
.kt-table td { padding:5px 8px; border-bottom:1px solid var(--kt-line); vertical-align:top; }
.kt-table .kt-num { text-align:right; white-space:nowrap; }
.kt-table tbody th { position:static; background:white; font-weight:500; border-bottom:1px solid var(--kt-line); }
.kt-sub { color:var(--kt-muted); font-size:11px; font-weight:400; }
.kt-emp { font-weight:500; min-width:110px; }
.kt-why { color:var(--kt-red); font-size:11px; white-space:normal; max-width:130px; margin-left:auto; line-height:1.2; }
.kt-table th.kt-kpi-col { white-space:normal; min-width:84px; max-width:130px; }
.kt-zero-line { color:var(--kt-muted); }
.kt-total { font-weight:600; }
.kt-up { color:var(--kt-green); } .kt-down { color:var(--kt-red); } .kt-muted { color:var(--kt-muted); }
.kt-reason { font-size:12px; color:#3e4c59; min-width:110px; }
tr.kt-blocked td { background:#fdecea; } tr.kt-blocked td:first-child { box-shadow: inset 4px 0 var(--kt-red); }
tr.kt-zero td { background:#fff8e1; } tr.kt-zero td:first-child { box-shadow: inset 4px 0 var(--kt-amber); }
tr.kt-sum td { font-weight:600; border-top:2px solid #cfd6de; background:#f6f8fa; }
.kt-legend { color:var(--kt-muted); font-size:12px; margin-top:6px; display:flex; align-items:center; gap:6px; }
.kt-key { display:inline-block; width:12px; height:12px; border-radius:2px; margin-left:10px; }
.kt-key.kt-blocked { background:#fdecea; border:1px solid var(--kt-red); }
.kt-key.kt-zero { background:#fff8e1; border:1px solid var(--kt-amber); }
.kt-compare .kt-this, .kt-table tr.kt-this td { background:#eef4fb; }
.kt-sensitivity { display:grid; grid-template-columns: 1fr 1.6fr; gap:16px; }
.kt-message { margin-top:8px; padding:6px 10px; border-radius:6px; background:#eef4fb; white-space:normal; }
.kt-message.kt-error { background:#fdecea; color:#7f1d1d; }
.kt-explorer .widget-tab > .p-TabBar .p-TabBar-tab, .kt-explorer .lm-TabBar-tab { font-size:13px; min-width:140px; }
.kt-explorer .widget-checkbox .widget-label-basic { white-space:normal; }
.kt-explorer .widget-html-content { line-height:1.35; }
.kt-explorer .widget-html, .kt-explorer .widget-image { margin:0; }
.kt-kpi .widget-text, .kt-kpi .widget-dropdown { width:auto; min-width:0; margin:0; }
.kt-kpi .widget-text input, .kt-kpi .widget-dropdown select { width:100%; min-width:0; }
.kt-lock { padding:0 !important; }
.kt-lock.mod-active { background:var(--kt-accent) !important; color:white !important; }
</style>"""


def scenario_explorer(client_or_path, position: str | None = None, period: str | None = None,
                      language: str | None = None) -> ExplorerView:
    """The scenario explorer for a client, as an ipywidgets app.

    Parameters
    ----------
    client_or_path : ClientData, str or Path
        A loaded client, or a client folder (read and validated here).
    position : str, optional
        Position id shown first (default: the position with most employees).
    period : str, optional
        ``YYYY-MM`` (default: client.yaml's period).
    language : str, optional
        ``en`` or ``ru`` (default: the client's language).

    Returns
    -------
    ExplorerView
        An :class:`ipywidgets.VBox`; its ``model`` is the :class:`ExplorerModel` it shows.
    """
    if isinstance(client_or_path, (str, Path)):
        client_or_path = load_client(client_or_path)
    return ExplorerView(ExplorerModel(client_or_path, position=position, period=period, language=language))
