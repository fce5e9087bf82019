"""The sales funnel and activity norms, from the financial plan back to activity (SPEC 3.7).

Revenue plan / average deal = deals needed; each funnel stage, from the deal back to first
contact, needs ``ceil(next stage's requirement / conversion)``. Contact norms per client
segment give the activity volume, set against the managers' working time (seed 002).

The ``funnel`` mapping of ``client.yaml``::

    funnel:
      revenue_plan: 12000000      # for the reported period
      average_deal: 250000
      sales_managers: 4
      rounding: each_stage        # or end (see below)
      stages:                     # from the deal back to first contact
        - {stage: contracts, conversion: 0.8}
        - {stage: meetings, conversion: "1 in 2"}   # or 1/2, or 0.5
      segments:                   # contact norms per client per period
        - {segment: key_accounts, clients: 24, calls: 4, letters: 2, meetings: 1}
      activity_minutes: {calls: 15, letters: 20, meetings: 90}
      working_hours: 168          # per manager per period

A conversion is the share of a stage that reaches the next one: a number (0.25), a fraction
(``"1/4"``) or ``"1 in N"`` (``"1 in 4"``; ``"1 из 4"`` in Russian). ``rounding`` says when
counts are rounded up: ``each_stage`` (the default) rounds every stage's count up and works
back from the rounded figure; ``end`` carries the exact requirement (from the exact revenue
plan / average deal) back through the funnel and rounds each stage's count up once. 10 deals
at 0.3 and then 0.3 need 10 / 0.3 = 33.3 -> 34 and then 34 / 0.3 = 113.3 -> 114 stage by
stage, but 10 / 0.09 = 111.1 -> 112 at the end.

Counts are rounded up exactly: the numbers are taken as the decimals they are written as, so
21 / 0.7 needs 30, not the 31 that binary floating point would give.
"""
from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction

import pandas as pd

from kpi_toolkit.errors import Problem, SchemeError

PLAN_COLUMNS = ["stage", "conversion", "required_total", "required_per_manager"]
ROUNDINGS = ("each_stage", "end")
WORKLOAD_COLUMNS = ["segment", "activity", "clients", "per_client", "volume", "minutes", "hours"]
DEALS = "deals"
_SOURCE = "client.yaml"


_NUMBER = r"(\d+(?:[.,]\d+)?)"
_ONE_IN = re.compile(rf"1\s+(?:in|из)\s+{_NUMBER}", re.IGNORECASE)
_FRACTION = re.compile(rf"{_NUMBER}\s*/\s*{_NUMBER}")


def _exact(value) -> Fraction:
    """A number as the decimal it is written as (0.7 is 7/10, not 0.6999...)."""
    return Fraction(str(value))


def _decimal(text: str) -> Fraction:
    return Fraction(text.replace(",", "."))


def parse_conversion(value) -> Fraction | None:
    """A conversion as the exact share it is written as, or None when it is not one.

    A number (0.25), a fraction (``"1/4"``) or ``"1 in N"`` (``"1 из N"``); the share must be
    greater than 0 and at most 1.

    Examples
    --------
    >>> parse_conversion(0.25), parse_conversion("1 in 4"), parse_conversion("1/3")
    (Fraction(1, 4), Fraction(1, 4), Fraction(1, 3))
    >>> parse_conversion("1 из 2,5")
    Fraction(2, 5)
    >>> parse_conversion("1 in 0") is None, parse_conversion(1.5) is None, parse_conversion("25%") is None
    (True, True, True)
    """
    share = None
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        share = _exact(value) if math.isfinite(value) else None
    elif isinstance(value, str):
        text = value.strip()
        one_in, fraction = _ONE_IN.fullmatch(text), _FRACTION.fullmatch(text)
        if one_in and _decimal(one_in.group(1)) > 0:
            share = 1 / _decimal(one_in.group(1))
        elif fraction and _decimal(fraction.group(2)) > 0:
            share = _decimal(fraction.group(1)) / _decimal(fraction.group(2))
        elif re.fullmatch(r"\d*\.\d+|\d+", text):
            share = Fraction(text)
    return share if share is not None and 0 < share <= 1 else None


def deals_needed(revenue_plan: float, average_deal: float) -> int:
    """Deals needed to reach the revenue plan: ``ceil(revenue_plan / average_deal)``.

    Examples
    --------
    >>> deals_needed(12_000_000, 250_000)
    48
    >>> deals_needed(1_000_000, 300_000)
    4
    """
    return math.ceil(_exact(revenue_plan) / _exact(average_deal))


def required_at_stage(next_required: int, conversion: float) -> int:
    """How many must enter a stage for ``next_required`` to reach the next one.

    ``conversion`` is the share of the stage that reaches the next one (a number, ``"a/b"`` or
    ``"1 in N"``); the result is ``ceil(next_required / conversion)``, computed exactly.

    Examples
    --------
    >>> required_at_stage(48, 0.8)
    60
    >>> required_at_stage(21, 0.7)  # 21 / 0.7 is 30.000000000000004 in binary floating point
    30
    >>> required_at_stage(10, "1 in 3")
    30
    """
    share = parse_conversion(conversion)
    if share is None:
        raise ValueError(f"conversion {conversion!r}; expected a share greater than 0 and at most 1")
    return math.ceil(_exact(next_required) / share)


def per_manager(total: int, sales_managers: int) -> int:
    """A team requirement split among the sales managers, rounded up.

    Examples
    --------
    >>> per_manager(300, 4), per_manager(301, 4)
    (75, 76)
    """
    return math.ceil(Fraction(int(total), int(sales_managers)))


# --- configuration checks ---------------------------------------------------------------


def _is_number(value) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))


def _number_problem(config: Mapping, key: str, path: str, *, positive: bool = True,
                    integer: bool = False, required: bool = True) -> list[Problem]:
    if key not in config or config[key] is None:
        if not required:
            return []
        return [Problem(table=_SOURCE, column=path, message=f"{path} is missing",
                        fix=f"add {path} to the funnel section")]
    value = config[key]
    expected = ("a whole number of at least 1" if integer else
                "a number greater than 0" if positive else "a number of at least 0")
    ok = _is_number(value) and (value > 0 if positive else value >= 0)
    if ok and integer:
        ok = float(value).is_integer() and value >= 1
    if ok:
        return []
    return [Problem(table=_SOURCE, column=path, message=f"{path} is {value!r}; expected {expected}",
                    fix=f"write {path} as {expected}, without spaces or currency signs")]


def _stage_problems(stages) -> list[Problem]:
    path = "funnel.stages"
    if isinstance(stages, pd.DataFrame):
        stages = stages.to_dict("records")
    if not isinstance(stages, Sequence) or isinstance(stages, str) or not stages:
        return [Problem(table=_SOURCE, column=path,
                        message=f"{path} is {stages!r}; expected a list of stages",
                        fix="list the stages from the deal back to first contact, each as "
                            "{stage: name, conversion: share}")]
    problems = []
    seen = set()
    for i, stage in enumerate(stages):
        here = f"{path}[{i}]"
        if not isinstance(stage, Mapping):
            problems.append(Problem(table=_SOURCE, column=here,
                                    message=f"{here} is {stage!r}; expected {{stage, conversion}}",
                                    fix="write each stage as {stage: name, conversion: share}"))
            continue
        name = stage.get("stage")
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(table=_SOURCE, column=f"{here}.stage",
                                    message=f"{here}.stage is {name!r}; expected a stage name",
                                    fix="name the stage, e.g. meetings"))
        elif name in seen or name == DEALS:
            problems.append(Problem(table=_SOURCE, column=f"{here}.stage",
                                    message=f"stage '{name}' appears twice" if name in seen
                                    else f"'{DEALS}' is the funnel's last step, not a stage",
                                    fix="give every stage its own name"))
        seen.add(name)
        conversion = stage.get("conversion")
        if parse_conversion(conversion) is None:
            problems.append(Problem(
                table=_SOURCE, column=f"{here}.conversion",
                message=f"conversion of stage {name!r} is {conversion!r}; expected a share "
                        "greater than 0 and at most 1",
                fix=_conversion_fix(conversion)))
    return problems


def _conversion_fix(conversion) -> str:
    fix = ('write the share of this stage that reaches the next one as a number, a fraction or '
           '"1 in N": 0.25, 1/4 or "1 in 4" for one in four')
    percent = conversion.strip()[:-1].strip().replace(",", ".") if isinstance(conversion, str) \
        and conversion.strip().endswith("%") else None
    if percent and re.fullmatch(r"\d*\.?\d+", percent):
        return fix + f" ({conversion.strip()} is written {float(Fraction(percent) / 100):g})"
    if _is_number(conversion) and 1 < conversion <= 100:
        return fix + f" (if {conversion} is a percentage, write {float(_exact(conversion) / 100):g}; " \
                     f"if it means one in {conversion}, write \"1 in {conversion}\")"
    return fix


def _rounding_problems(funnel: Mapping) -> list[Problem]:
    rounding = funnel.get("rounding")
    if rounding is None or rounding in ROUNDINGS:
        return []
    return [Problem(table=_SOURCE, column="funnel.rounding",
                    message=f"funnel.rounding is {rounding!r}; expected each_stage or end",
                    fix="write each_stage (round every stage's count up, the default) or end "
                        "(carry exact values and round each count up once)")]


def _segment_problems(funnel: Mapping) -> list[Problem]:
    segments = funnel.get("segments")
    if segments is None:
        return []
    problems = _number_problem(funnel, "working_hours", "funnel.working_hours")
    minutes = funnel.get("activity_minutes")
    if not isinstance(minutes, Mapping) or not minutes:
        problems.append(Problem(
            table=_SOURCE, column="funnel.activity_minutes",
            message=f"funnel.activity_minutes is {minutes!r}; expected minutes per activity",
            fix="add activity_minutes, e.g. {calls: 15, letters: 20, meetings: 90}"))
        minutes = {}
    for activity in minutes:
        problems += _number_problem(minutes, activity, f"funnel.activity_minutes.{activity}")
    if not isinstance(segments, Sequence) or isinstance(segments, str):
        return problems + [Problem(table=_SOURCE, column="funnel.segments",
                                   message=f"funnel.segments is {segments!r}; expected a list",
                                   fix="list the client segments with their contact norms")]
    for i, segment in enumerate(segments):
        here = f"funnel.segments[{i}]"
        if not isinstance(segment, Mapping):
            problems.append(Problem(table=_SOURCE, column=here,
                                    message=f"{here} is {segment!r}; expected a segment",
                                    fix="write {segment: name, clients: n, calls: n, ...}"))
            continue
        if not isinstance(segment.get("segment"), str):
            problems.append(Problem(table=_SOURCE, column=f"{here}.segment",
                                    message=f"{here}.segment is {segment.get('segment')!r}; "
                                            "expected a segment name",
                                    fix="name the segment, e.g. key_accounts"))
        problems += _number_problem(segment, "clients", f"{here}.clients", positive=False)
        for activity in segment:
            if activity in ("segment", "clients"):
                continue
            problems += _number_problem(segment, activity, f"{here}.{activity}",
                                        positive=False)
            if minutes and activity not in minutes:
                problems.append(Problem(
                    table=_SOURCE, column=f"{here}.{activity}",
                    message=f"activity '{activity}' has no minutes in funnel.activity_minutes",
                    fix=f"add {activity} to activity_minutes, or correct its spelling"))
    return problems


def funnel_problems(funnel) -> list[Problem]:
    """Every problem in a ``client.yaml`` funnel section, for validation and reports.

    Parameters
    ----------
    funnel : mapping
        The ``funnel`` section of ``client.yaml``.

    Returns
    -------
    list of Problem
        Errors located by their path in ``client.yaml``, e.g.
        ``funnel.stages[2].conversion``; empty when the section is usable.

    Examples
    --------
    >>> funnel = {"revenue_plan": 1e6, "average_deal": 5e4, "sales_managers": 2,
    ...           "stages": [{"stage": "contracts", "conversion": 0.8},
    ...                      {"stage": "leads", "conversion": 1.5}]}
    >>> [problem.column for problem in funnel_problems(funnel)]
    ['funnel.stages[1].conversion']
    >>> print(funnel_problems(funnel)[0].message)
    conversion of stage 'leads' is 1.5; expected a share greater than 0 and at most 1
    """
    if not isinstance(funnel, Mapping):
        return [Problem(table=_SOURCE, column="funnel",
                        message=f"funnel is {funnel!r}; expected a section of settings",
                        fix="see the funnel example in the documentation")]
    problems = [
        *_number_problem(funnel, "revenue_plan", "funnel.revenue_plan"),
        *_number_problem(funnel, "average_deal", "funnel.average_deal"),
        *_number_problem(funnel, "sales_managers", "funnel.sales_managers", integer=True),
    ]
    if "stages" not in funnel:
        problems.append(Problem(table=_SOURCE, column="funnel.stages",
                                message="funnel.stages is missing",
                                fix="list the stages from the deal back to first contact"))
    else:
        problems += _stage_problems(funnel["stages"])
    return problems + _rounding_problems(funnel) + _segment_problems(funnel)


def _check(problems: list[Problem]) -> None:
    if problems:
        raise SchemeError(problems)


# --- the plan and the workload ----------------------------------------------------------


def funnel_plan(revenue_plan: float, average_deal: float, stages, sales_managers: int,
                rounding: str = "each_stage") -> pd.DataFrame:
    """How many deals, contracts, meetings, leads ... the revenue plan needs.

    Parameters
    ----------
    revenue_plan : float
        Revenue plan for the period.
    average_deal : float
        Average deal size.
    stages : sequence of mappings or pandas.DataFrame
        ``stage`` and ``conversion`` (the share of this stage that reaches the next one),
        from the deal back to first contact; a conversion may be a number, ``"a/b"`` or
        ``"1 in N"``.
    sales_managers : int
        Sales managers sharing the plan.
    rounding : str
        ``each_stage`` (default): round each stage's count up and work back from it; ``end``:
        carry the exact requirement and round each count (and each manager's share) up once.

    Returns
    -------
    pandas.DataFrame
        Columns ``stage, conversion, required_total, required_per_manager``: a ``deals`` row
        (conversion NaN), then one row per stage; every count rounded up.

    Raises
    ------
    SchemeError
        When a conversion is not in (0, 1] or another input is unusable.

    Examples
    --------
    >>> stages = [{"stage": "contracts", "conversion": 0.8},
    ...           {"stage": "meetings", "conversion": 0.5},
    ...           {"stage": "qualified_leads", "conversion": 0.4},
    ...           {"stage": "leads", "conversion": 0.25}]
    >>> funnel_plan(12_000_000, 250_000, stages, sales_managers=4)
                 stage  conversion  required_total  required_per_manager
    0            deals         NaN              48                    12
    1        contracts        0.80              60                    15
    2         meetings        0.50             120                    30
    3  qualified_leads        0.40             300                    75
    4            leads        0.25            1200                   300
    >>> stages = [{"stage": "meetings", "conversion": 0.3}, {"stage": "leads", "conversion": "3/10"}]
    >>> funnel_plan(100, 10, stages, 1)["required_total"].tolist()  # 10 / 0.3 -> 34; 34 / 0.3 -> 114
    [10, 34, 114]
    >>> funnel_plan(100, 10, stages, 1, rounding="end")["required_total"].tolist()  # 10 / 0.09 -> 112
    [10, 34, 112]
    """
    if isinstance(stages, pd.DataFrame):
        stages = stages.to_dict("records")
    _check(funnel_problems({"revenue_plan": revenue_plan, "average_deal": average_deal,
                            "sales_managers": sales_managers, "stages": stages,
                            "rounding": rounding}))
    managers = int(sales_managers)
    exact = _exact(revenue_plan) / _exact(average_deal)
    rows = [(DEALS, math.nan, math.ceil(exact), math.ceil(exact / managers))]
    for stage in stages:
        share = parse_conversion(stage["conversion"])
        exact = (exact if rounding == "end" else rows[-1][2]) / share
        total = math.ceil(exact)
        rows.append((stage["stage"], float(share), total,
                     math.ceil(exact / managers) if rounding == "end" else per_manager(total, managers)))
    return pd.DataFrame(rows, columns=PLAN_COLUMNS).astype(
        {"stage": object, "conversion": float, "required_total": "int64", "required_per_manager": "int64"})


def contact_workload(segments, activity_minutes: Mapping[str, float],
                     working_hours: float | None = None, sales_managers: int | None = None
                     ) -> pd.DataFrame:
    """Activity volume and time the contact norms ask for, per segment and activity.

    Parameters
    ----------
    segments : sequence of mappings or pandas.DataFrame
        ``segment``, ``clients`` and, per activity, the norm per client per period (an
        activity a segment does not name counts as 0).
    activity_minutes : mapping
        Minutes one activity takes, e.g. ``{"calls": 15, "meetings": 90}``; it also sets the
        activities listed and their order.
    working_hours, sales_managers : optional
        Accepted so the call reads like :func:`workload_summary`'s; the table does not
        depend on them.

    Returns
    -------
    pandas.DataFrame
        Columns ``segment, activity, clients, per_client, volume, minutes, hours``, where
        ``volume = clients * per_client`` and ``minutes = volume * activity minutes``.

    Examples
    --------
    >>> segments = [{"segment": "key_accounts", "clients": 24, "calls": 4, "meetings": 1},
    ...             {"segment": "regular", "clients": 120, "calls": 1}]
    >>> contact_workload(segments, {"calls": 15, "meetings": 90})
            segment  activity  clients  per_client  volume  minutes  hours
    0  key_accounts     calls     24.0         4.0    96.0   1440.0   24.0
    1  key_accounts  meetings     24.0         1.0    24.0   2160.0   36.0
    2       regular     calls    120.0         1.0   120.0   1800.0   30.0
    3       regular  meetings    120.0         0.0     0.0      0.0    0.0
    """
    if isinstance(segments, pd.DataFrame):
        segments = segments.to_dict("records")
    rows = []
    for segment in segments:
        clients = float(segment["clients"])
        for activity, minutes in activity_minutes.items():
            norm = segment.get(activity)
            norm = 0.0 if norm is None or (isinstance(norm, float) and math.isnan(norm)) \
                else float(norm)
            volume = clients * norm
            rows.append((segment["segment"], activity, clients, norm, volume,
                         volume * float(minutes), volume * float(minutes) / 60))
    workload = pd.DataFrame(rows, columns=WORKLOAD_COLUMNS)
    return workload.astype({"segment": object, "activity": object})


def workload_summary(workload: pd.DataFrame, working_hours: float, sales_managers: int
                     ) -> dict:
    """Hours the contact norms need against the hours the sales team has.

    Parameters
    ----------
    workload : pandas.DataFrame
        As from :func:`contact_workload`.
    working_hours : float
        Working hours per manager per period.
    sales_managers : int
        Number of sales managers.

    Returns
    -------
    dict
        ``hours_needed``, ``hours_available`` (``working_hours * sales_managers``) and
        ``load_ratio`` (needed / available; over 1 means the norms do not fit the time).

    Examples
    --------
    >>> workload = pd.DataFrame({"hours": [24.0, 36.0, 30.0]})
    >>> workload_summary(workload, working_hours=168, sales_managers=4)
    {'hours_needed': 90.0, 'hours_available': 672.0, 'load_ratio': 0.13392857142857142}
    """
    needed = math.fsum(workload["hours"])
    available = float(working_hours) * int(sales_managers)
    ratio = needed / available if available else math.nan
    return {"hours_needed": needed, "hours_available": available, "load_ratio": ratio}


def funnel_from_config(funnel: Mapping) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The funnel plan, the contact workload and its summary from ``client.yaml``'s funnel.

    Parameters
    ----------
    funnel : mapping
        The ``funnel`` section (see the module docstring). ``segments``,
        ``activity_minutes`` and ``working_hours`` are optional together.

    Returns
    -------
    tuple
        ``(plan, workload, summary)`` as from :func:`funnel_plan`, :func:`contact_workload`
        and :func:`workload_summary`; without segments the workload is empty and the summary
        needs 0 hours (its available hours NaN when ``working_hours`` is not given).

    Raises
    ------
    SchemeError
        Listing every problem of the section at once.

    Examples
    --------
    >>> plan, workload, summary = funnel_from_config({
    ...     "revenue_plan": 1_000_000, "average_deal": 100_000, "sales_managers": 2,
    ...     "stages": [{"stage": "meetings", "conversion": 0.5}],
    ...     "segments": [{"segment": "all", "clients": 40, "calls": 3}],
    ...     "activity_minutes": {"calls": 10}, "working_hours": 160})
    >>> plan["required_total"].tolist(), summary["hours_needed"]
    ([10, 20], 20.0)
    """
    _check(funnel_problems(funnel))
    managers = int(funnel["sales_managers"])
    plan = funnel_plan(funnel["revenue_plan"], funnel["average_deal"], funnel["stages"],
                       managers, funnel.get("rounding") or "each_stage")
    hours = funnel.get("working_hours")
    if funnel.get("segments") is None:
        workload = pd.DataFrame(columns=WORKLOAD_COLUMNS)
        summary = {"hours_needed": 0.0,
                   "hours_available": math.nan if hours is None else float(hours) * managers,
                   "load_ratio": 0.0 if hours else math.nan}
        return plan, workload, summary
    workload = contact_workload(funnel["segments"], funnel["activity_minutes"], hours, managers)
    return plan, workload, workload_summary(workload, hours, managers)
