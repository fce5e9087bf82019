"""What a client folder declares: its tables, their columns, types and codes.

This module only *declares* the shape of the data (like a pandera ``DataFrameModel``); how it
is checked lives in :mod:`kpi_toolkit.inputs.validation`. The same declarations drive the intake
workbook template, the ``kpi-toolkit new`` headers and the documentation.

After loading, every table is a :class:`pandas.DataFrame` with exactly the declared columns
(optional columns absent from the file are added, empty), in declared order, with these dtypes:

- ``id``, ``text``, ``enum``, ``period``: Python ``str`` objects (``object`` dtype), empty = ``None``
- ``number``: ``float64``, empty = ``NaN`` (exactness at thresholds and in money is handled
  where it matters, see :mod:`kpi_toolkit.method.exact`)
- ``integer``: ``Int64`` (nullable)
- ``date``: ``datetime64[ns]``, empty = ``NaT``
- a ``_row`` column (int) holding the spreadsheet row number of each record (header = row 1)
  so later checks can name the row.
"""
from __future__ import annotations

from dataclasses import dataclass

PERSPECTIVES = ("finance", "customers", "processes", "learning")
DIRECTIONS = ("higher", "lower", "band")
MISSING_POLICIES = ("error", "zero", "exclude")
KINDS = ("target", "process", "project", "external")
MEASURES = ("cost", "efficiency", "functioning", "performance", "result")
HORIZONS = ("operational", "strategic")
TIMINGS = ("leading", "lagging")
SALES_FAMILIES = ("clients_in_work", "client_attention", "time_regulations", "work_intensity")
FORMS = ("simple", "dynamic", "aggregated")
LEVELS = ("ceo", "head", "lead", "line", "staff")
METHODS = ("map", "head_on")
AGGREGATES = ("sum", "mean")
AGGREGATE_OVER = ("reports", "department")
PERIOD_AGGREGATIONS = ("sum", "mean", "last")
CONDITIONS = ("<", "<=", ">", ">=")
MODIFIER_SCOPES = ("company", "department", "position", "employee")
SECTION_RULES = ("add", "multiply")
PAYOUT_BASES = ("period", "ytd")
YES_NO = ("yes", "no")
LANGUAGES = ("en", "ru")

ROW = "_row"


@dataclass(frozen=True)
class Column:
    """One declared column of a client table."""

    name: str
    kind: str  # id | text | number | integer | date | period | enum
    required: bool = True  # the column must be present in the file
    nullable: bool = False  # a cell may be empty
    choices: tuple[str, ...] = ()
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    ref: str | None = None  # "table.column" the value must exist in
    help: str = ""
    help_ru: str = ""


@dataclass(frozen=True)
class Table:
    """One declared client table (a CSV file or a sheet of ``client.xlsx``)."""

    name: str
    columns: tuple[Column, ...]
    required: bool = True
    key: tuple[str, ...] = ()  # columns whose combination must be unique
    help: str = ""
    help_ru: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name, kind, *, opt=False, null=None, **kw) -> Column:
    """Column shorthand: ``opt`` = the column may be absent (and then is empty)."""
    if null is None:
        null = opt
    return Column(name, kind, required=not opt, nullable=null, **kw)


GOALS = Table(
    "goals",
    (
        _c("goal_id", "id", help="Goal id, unique per goal (repeat it on a row per parent).",
           help_ru="Код цели (повторяется в строке для каждой родительской цели)."),
        _c("name", "text", help="Goal as the client words it.", help_ru="Формулировка цели."),
        _c("perspective", "enum", choices=PERSPECTIVES, help="Balanced Scorecard perspective.",
           help_ru="Перспектива сбалансированной системы показателей."),
        _c("parent_id", "id", null=True, ref="goals.goal_id",
           help="The goal this goal supports; empty for a root goal.",
           help_ru="Цель, которую поддерживает эта цель; пусто для корневой цели."),
        _c("strength", "number", opt=True, gt=0,
           help="Strength of the link to the parent (default 1).",
           help_ru="Сила связи с родительской целью (по умолчанию 1)."),
        _c("root_weight", "number", opt=True, ge=0, le=1,
           help="Weight of a root goal; root weights sum to 1 (default: equal).",
           help_ru="Вес корневой цели; сумма весов корневых целей равна 1 (по умолчанию поровну)."),
        _c("owner", "id", opt=True, ref="positions.position_id",
           help="Position accountable for the goal (default: the map's owner, the CEO).",
           help_ru="Должность, отвечающая за цель (по умолчанию — владелец карты, генеральный директор)."),
    ),
    key=("goal_id", "parent_id"),
    help="Strategy map: one row per link between a goal and the goal it supports.",
    help_ru="Карта целей: одна строка на связь цели с поддерживаемой ею целью.",
)

KPIS = Table(
    "kpis",
    (
        _c("kpi_id", "id", help="KPI id, unique.", help_ru="Код показателя, уникальный."),
        _c("name", "text", help="KPI name.", help_ru="Название показателя."),
        _c("unit", "text", opt=True, help="Unit of plan and fact (%, RUB, pcs, days).",
           help_ru="Единица измерения плана и факта."),
        _c("direction", "enum", opt=True, choices=DIRECTIONS,
           help="higher (default), lower or band (keep within [band_low, band_high]).",
           help_ru="higher — больше лучше (по умолчанию), lower — меньше лучше, band — в коридоре."),
        _c("baseline", "number", opt=True,
           help="Level before the KPI system; attainment = (fact - baseline) / (plan - baseline).",
           help_ru="Базовый уровень; выполнение = (факт − база) / (план − база)."),
        _c("band_low", "number", opt=True, help="Lower edge of the band (band KPIs).",
           help_ru="Нижняя граница коридора."),
        _c("band_high", "number", opt=True, help="Upper edge of the band (band KPIs).",
           help_ru="Верхняя граница коридора."),
        _c("band_tolerance", "number", opt=True, gt=0,
           help="Distance outside the band at which attainment falls to 0 (band KPIs).",
           help_ru="Отклонение от коридора, при котором выполнение падает до 0."),
        _c("missing", "enum", opt=True, choices=MISSING_POLICIES,
           help="A missing fact: error (default), zero, or exclude (weights renormalised).",
           help_ru="Нет факта: error — ошибка (по умолчанию), zero — ноль, exclude — исключить."),
        _c("goal_id", "id", opt=True, ref="goals.goal_id", help="Goal the KPI measures.",
           help_ru="Цель, которую измеряет показатель."),
        _c("share", "number", opt=True, gt=0,
           help="Share of the goal's weight (default: equal among the goal's KPIs).",
           help_ru="Доля веса цели (по умолчанию поровну между показателями цели)."),
        _c("data_source", "text", opt=True, help="System or document the fact comes from.",
           help_ru="Источник данных для факта."),
        _c("kind", "enum", opt=True, choices=KINDS, help="target, process, project or external.",
           help_ru="Вид показателя."),
        _c("measure", "enum", opt=True, choices=MEASURES,
           help="cost, efficiency, functioning, performance or result.",
           help_ru="Что измеряет показатель."),
        _c("horizon", "enum", opt=True, choices=HORIZONS, help="operational or strategic.",
           help_ru="Горизонт."),
        _c("timing", "enum", opt=True, choices=TIMINGS, help="leading or lagging.",
           help_ru="Опережающий или запаздывающий."),
        _c("sales_family", "enum", opt=True, choices=SALES_FAMILIES,
           help="For sales KPIs: clients_in_work, client_attention, time_regulations, work_intensity.",
           help_ru="Для продаж: клиенты в работе, внимание к клиентам, регламенты, интенсивность."),
        _c("form", "enum", opt=True, choices=FORMS, help="simple, dynamic or aggregated.",
           help_ru="Форма: простой, динамический, агрегированный."),
        _c("measurement_cost", "number", opt=True, ge=0,
           help="Cost of measuring the KPI per period (money).",
           help_ru="Стоимость измерения показателя за период."),
        _c("measurement_worth", "number", opt=True, ge=0,
           help="What measuring the KPI is worth per period (money).",
           help_ru="Ценность измерения показателя за период."),
        _c("aggregate", "enum", opt=True, choices=AGGREGATES,
           help="Team KPI: plan and fact are the sum or mean of the team members' aggregate_of "
                "(no rows of its own in actuals).",
           help_ru="Командный показатель: план и факт — сумма (sum) или среднее (mean) показателя "
                   "aggregate_of членов команды (своих строк в actuals нет)."),
        _c("aggregate_of", "id", opt=True, ref="kpis.kpi_id",
           help="Team KPI: the members' KPI that is aggregated (default: this KPI).",
           help_ru="Командный показатель: показатель членов команды, который агрегируется "
                   "(по умолчанию — этот же)."),
        _c("aggregate_over", "enum", opt=True, choices=AGGREGATE_OVER,
           help="Team KPI: reports (employees whose positions report to the employee's, same "
                "department) or department (the other employees of the department); required with aggregate.",
           help_ru="Командный показатель: reports — подчинённые (должности с reports_to на должность "
                   "сотрудника, то же подразделение) или department — остальные сотрудники "
                   "подразделения; обязателен при aggregate."),
        _c("period_aggregation", "enum", opt=True, choices=PERIOD_AGGREGATIONS,
           help="How the months of a bonus period longer than a month combine: sum (default), "
                "mean, or last (a level such as a stock or a rate).",
           help_ru="Как складываются месяцы премиального периода длиннее месяца: sum — сумма "
                   "(по умолчанию), mean — среднее, last — последний месяц (уровень: запас, ставка)."),
    ),
    key=("kpi_id",),
    help="KPI catalogue of the client.",
    help_ru="Каталог показателей клиента.",
)

POSITIONS = Table(
    "positions",
    (
        _c("position_id", "id", help="Position id, unique.", help_ru="Код должности."),
        _c("name", "text", help="Position title.", help_ru="Название должности."),
        _c("department", "text", help="Department.", help_ru="Подразделение."),
        _c("variable_share", "number", opt=True, gt=0, lt=1,
           help="Variable share of target pay, e.g. 0.25; fund = base_salary * v / (1 - v).",
           help_ru="Доля переменной части в целевом доходе, напр. 0.25."),
        _c("target_percent", "number", opt=True, gt=0,
           help="Target bonus as a share of base pay, e.g. 0.15 for 15 %; fund = base_salary * t "
                "(instead of variable_share, not with it).",
           help_ru="Целевая премия как доля оклада, напр. 0.15 для 15 %; фонд = оклад * t "
                   "(вместо variable_share, не вместе с ней)."),
        _c("total_cap", "number", opt=True, gt=0,
           help="Final cap of the bonus as a share of the fund, after stop factors and modifiers, e.g. 2.",
           help_ru="Итоговое ограничение премии как доли фонда после стоп-факторов и модификаторов, напр. 2."),
        _c("section_rule", "enum", opt=True, choices=SECTION_RULES,
           help="How the sections of position_kpis combine: add (the default: fund x the sum of "
                "weight x coefficient) or multiply (fund x the product of each section's weighted "
                "payout factor).",
           help_ru="Как сочетаются разделы position_kpis: add — складываются (по умолчанию: фонд x сумма "
                   "вес x коэффициент), multiply — перемножаются (фонд x произведение взвешенных "
                   "коэффициентов разделов)."),
        _c("payout_basis", "enum", opt=True, choices=PAYOUT_BASES,
           help="period (the default: each period on its own) or ytd (the year to date's bonus minus "
                "what earlier periods of the year paid, a shortfall carried).",
           help_ru="period — каждый период отдельно (по умолчанию), ytd — премия нарастающим итогом с "
                   "начала года минус выплаченное за прошлые периоды года, недоплата переносится."),
        _c("clawback", "enum", opt=True, choices=YES_NO,
           help="For payout_basis ytd: yes = a year to date below what was paid is taken back "
                "(a negative amount); no or empty = carried to the next period.",
           help_ru="Для payout_basis ytd: yes — переплата с начала года удерживается (отрицательная "
                   "сумма); no или пусто — переносится на следующий период."),
        _c("level", "enum", opt=True, choices=LEVELS,
           help="ceo (owns the strategy map), head, lead, or line/staff (2-3 main KPIs).",
           help_ru="ceo — генеральный директор (владелец карты целей), head — руководитель, lead — ведущий, "
                   "line или staff — линейный сотрудник."),
        _c("method", "enum", opt=True, choices=METHODS,
           help="How the KPI weights are set: map (from the goals it owns; default for a goal owner) "
                "or head_on (given in position_kpis; default otherwise).",
           help_ru="Как задаются веса KPI: map — из целей, за которые отвечает должность (по умолчанию "
                   "для владельца целей), head_on — экспертно в position_kpis (по умолчанию для остальных)."),
        _c("reports_to", "id", opt=True, ref="positions.position_id",
           help="The position this position reports to (team KPIs aggregated over reports).",
           help_ru="Должность, которой подчиняется эта должность (для командных показателей по "
                   "подчинённым)."),
    ),
    key=("position_id",),
    help="Positions covered by the KPI system.",
    help_ru="Должности, охваченные системой KPI.",
)

POSITION_KPIS = Table(
    "position_kpis",
    (
        _c("position_id", "id", ref="positions.position_id", help="Position.", help_ru="Должность."),
        _c("kpi_id", "id", ref="kpis.kpi_id", help="KPI.", help_ru="Показатель."),
        _c("weight", "number", null=True, gt=0, le=1,
           help="Weight of the KPI for a head_on position (sum to 1); empty for a map position.",
           help_ru="Вес показателя для должности с методом head_on (сумма весов равна 1); "
                   "пусто для должности с методом map."),
        _c("threshold", "number", opt=True, ge=0,
           help="Attainment below which the KPI earns nothing, e.g. 0.7.",
           help_ru="Порог выполнения, ниже которого премия по показателю не начисляется, напр. 0.7."),
        _c("stop_threshold", "number", opt=True, ge=0,
           help="Attainment below which no bonus is paid at all (blocking KPI).",
           help_ru="Порог, ниже которого премия не выплачивается вовсе (блокирующий показатель)."),
        _c("cap", "number", opt=True, gt=0, help="Highest coefficient paid, e.g. 1.5.",
           help_ru="Максимальный коэффициент, напр. 1.5."),
        _c("curve", "text", opt=True,
           help="Name of a payout curve defined in client.yaml (payout_curves).",
           help_ru="Название шкалы выплат из client.yaml (payout_curves)."),
        _c("section", "text", opt=True,
           help="Section the KPI belongs to, e.g. business, team, individual (combined by "
                "positions.section_rule; a gate may apply to it).",
           help_ru="Раздел, к которому относится показатель, напр. business, team, individual "
                   "(сочетаются по positions.section_rule; к разделу может относиться условие выплаты)."),
    ),
    key=("position_id", "kpi_id"),
    help="KPIs of each position with weights and bonus rules.",
    help_ru="Показатели должностей с весами и правилами премирования.",
)

STOP_FACTORS = Table(
    "stop_factors",
    (
        _c("position_id", "id", ref="positions.position_id", help="Position.", help_ru="Должность."),
        _c("kpi_id", "id", ref="kpis.kpi_id", help="Indicator the rule watches (its fact).",
           help_ru="Показатель, факт которого проверяет правило."),
        _c("condition", "enum", choices=CONDITIONS,
           help="The rule is violated when fact <condition> limit, e.g. '>' for turnover > 10 %.",
           help_ru="Правило нарушено, когда факт <условие> предел."),
        _c("limit", "number", help="Limit compared with the fact.", help_ru="Предельное значение."),
        _c("factor", "number", ge=0, le=1,
           help="Multiplier applied to the bonus when violated (0 to 1).",
           help_ru="Множитель премии при нарушении (от 0 до 1)."),
    ),
    required=False,
    key=("position_id", "kpi_id", "condition", "limit"),
    help="Stop factors: rules that cut or cancel the bonus.",
    help_ru="Стоп-факторы: правила, снижающие или отменяющие премию.",
)

GATES = Table(
    "gates",
    (
        _c("position_id", "id", ref="positions.position_id", help="Position the gate applies to.",
           help_ru="Должность, к которой относится условие."),
        _c("gate_kpi_id", "id", ref="kpis.kpi_id",
           help="KPI whose attainment opens the gate (one of the position's KPIs, or any KPI with "
                "the employee's plan and fact in actuals).",
           help_ru="Показатель, выполнение которого открывает условие (показатель должности или любой "
                   "показатель с планом и фактом сотрудника в actuals)."),
        _c("level", "number", ge=0,
           help="Attainment the gate KPI must reach (1 = 100 %); below it the cap applies.",
           help_ru="Выполнение, которого должен достичь показатель (1 = 100 %); ниже — действует cap."),
        _c("applies_to", "text",
           help="What is capped while the gate is shut: a kpi_id of the position, one of its "
                "sections, or total.",
           help_ru="Что ограничивается, пока условие не выполнено: kpi_id показателя должности, её "
                   "раздел или total."),
        _c("cap", "number", ge=0,
           help="Highest coefficient paid while the gate is shut (0 = nothing; 1 = nothing above target).",
           help_ru="Наибольший коэффициент, пока условие не выполнено (0 — ничего; 1 — не выше цели)."),
    ),
    required=False,
    key=("position_id", "gate_kpi_id", "applies_to"),
    help="Gates: a payout depends on another KPI reaching its level (SPEC 3.5.1).",
    help_ru="Условия выплаты: премия зависит от выполнения другого показателя.",
)

MODIFIERS = Table(
    "modifiers",
    (
        _c("period", "period", help="Period the modifier applies to, YYYY-MM.", help_ru="Период, ГГГГ-ММ."),
        _c("scope", "enum", choices=MODIFIER_SCOPES,
           help="company (everyone), department, position or employee.",
           help_ru="company — все, department — подразделение, position — должность, employee — сотрудник."),
        _c("id", "text", opt=True,
           help="The department, position_id or employee_id (empty for company).",
           help_ru="Подразделение, position_id или employee_id (пусто для company)."),
        _c("factor", "number", ge=0,
           help="Multiplier applied after the stop factors; may exceed 1, e.g. 1.1.",
           help_ru="Множитель после стоп-факторов; может быть больше 1, напр. 1.1."),
        _c("reason", "text", help="Why, in the client's words (shown on the statement).",
           help_ru="Причина словами клиента (показывается в расчётном листе)."),
    ),
    required=False,
    key=("period", "scope", "id"),
    help="Modifiers: company, department, position or individual multipliers (SPEC 3.5.1).",
    help_ru="Модификаторы: множители компании, подразделения, должности или сотрудника.",
)

EMPLOYEES = Table(
    "employees",
    (
        _c("employee_id", "id", help="Employee id (personnel number), unique.",
           help_ru="Табельный номер."),
        _c("name", "text", help="Full name.", help_ru="ФИО."),
        _c("position_id", "id", ref="positions.position_id", help="Position.", help_ru="Должность."),
        _c("department", "text", opt=True, help="Department (default: the position's).",
           help_ru="Подразделение (по умолчанию — подразделение должности)."),
        _c("base_salary", "number", opt=True, ge=0, help="Base pay for the bonus period.",
           help_ru="Оклад за премиальный период."),
        _c("bonus_fund", "number", opt=True, ge=0,
           help="Bonus at 100 % of every KPI for the period (else from variable_share).",
           help_ru="Премиальный фонд при 100 % выполнении (иначе из доли переменной части)."),
        _c("start_date", "date", opt=True, help="Joined on (YYYY-MM-DD).", help_ru="Дата приёма."),
        _c("end_date", "date", opt=True, help="Left on (YYYY-MM-DD).", help_ru="Дата увольнения."),
    ),
    key=("employee_id",),
    help="Employees and their bonus funds.",
    help_ru="Сотрудники и их премиальные фонды.",
)

ACTUALS = Table(
    "actuals",
    (
        _c("period", "period", help="Period, YYYY-MM.", help_ru="Период, ГГГГ-ММ."),
        _c("employee_id", "id", ref="employees.employee_id", help="Employee.", help_ru="Сотрудник."),
        _c("kpi_id", "id", ref="kpis.kpi_id", help="KPI.", help_ru="Показатель."),
        _c("plan", "number", null=True, help="Plan for the period (empty for band KPIs).",
           help_ru="План на период (для коридорных показателей можно пусто)."),
        _c("fact", "number", null=True, help="Fact; empty = missing (see kpis.missing).",
           help_ru="Факт; пусто — нет данных (см. kpis.missing)."),
    ),
    key=("period", "employee_id", "kpi_id"),
    help="Plan and fact per employee, KPI and period.",
    help_ru="План и факт по сотрудникам, показателям и периодам.",
)

PROJECT = Table(
    "project",
    (
        _c("period", "period", help="Period, YYYY-MM.", help_ru="Период, ГГГГ-ММ."),
        _c("pv", "number", ge=0, help="Planned value to date (BCWS).", help_ru="Плановый объём (BCWS)."),
        _c("ev", "number", ge=0, help="Earned value to date (BCWP).", help_ru="Освоенный объём (BCWP)."),
        _c("ac", "number", ge=0, help="Actual cost to date (ACWP).", help_ru="Фактическая стоимость (ACWP)."),
        _c("bac", "number", gt=0, help="Budget at completion.", help_ru="Бюджет по завершении."),
        _c("scope_planned", "number", opt=True, ge=0, help="Deliverables planned to date.",
           help_ru="Запланировано результатов на дату."),
        _c("scope_delivered", "number", opt=True, ge=0, help="Deliverables delivered to date.",
           help_ru="Сдано результатов на дату."),
        _c("issues_opened", "integer", opt=True, ge=0, help="Issues opened in the period.",
           help_ru="Открыто замечаний за период."),
        _c("issues_closed", "integer", opt=True, ge=0, help="Issues closed in the period.",
           help_ru="Закрыто замечаний за период."),
    ),
    required=False,
    key=("period",),
    help="The implementation project's earned-value figures.",
    help_ru="Показатели освоенного объёма проекта внедрения.",
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (GOALS, KPIS, POSITIONS, POSITION_KPIS, STOP_FACTORS, GATES, MODIFIERS, EMPLOYEES, ACTUALS, PROJECT)
}

# client.yaml keys: required ones, then optional ones with what they hold.
CLIENT_YAML_REQUIRED = ("name", "language", "currency", "period")
CLIENT_YAML_OPTIONAL = (
    "currency_decimals",  # int, overrides ISO 4217 minor unit
    "bonus_period_months",  # int >= 1, default 1
    "bonus_budget",  # money: the bonus pool budget per bonus period
    "contacts",  # list of {name, role, email, phone}
    "questionnaire",  # dict, see kpi_toolkit.method.readiness.QUESTIONNAIRE_FIELDS
    "readiness",  # dict condition -> yes / partly / no, see kpi_toolkit.method.readiness.CONDITIONS
    "branding",  # {logo: file in the client folder, colour: "#RRGGBB", consultancy: name (PDF author)}
    "payout_curves",  # {name: {type: step|linear, points: [[x, coefficient], ...], basis: attainment|value,
    #                   open: bool, label: {en: ..., ru: ...}}}
    "funnel",  # see kpi_toolkit.method.funnel
    "strategy_owner",  # position_id owning the strategy map (default: the ceo-level position)
    "project_start",  # YYYY-MM-DD: start of the implementation plan (Gantt)
    "project_thresholds",  # {green: 0.95, amber: 0.85}
    "reports",  # {employee_detail_limit: int >= 0}: past it, per-employee detail leaves the report body
    "eac_method",  # cpi (default) | atypical | cpi_spi, see kpi_toolkit.method.earned_value.EAC_METHODS
    "payroll",  # {columns: [...], names: {column: header}, accrual_code: "2000", skip_zero: false}, see kpi_toolkit.method.payroll
)
