"""Saved scenarios: named changes on top of a client's bonus scheme (SPEC 3.5, issue 4).

A scenario lives in ``clients/<slug>/scenarios/<name>.yaml``. It never edits the client's
tables: it lists only what differs from them, position by position, and
:func:`apply_scenario` returns a modified copy of the in-memory client. The file is written
for a person to read (a commented header says what, when, who and on which data it is
based; every changed value carries the client's value in a ``# was`` comment)::

    name: revenue-heavy
    description: More weight on revenue for sales managers
    positions:
      sales-manager:                    # Sales Manager
        variable_share: 0.45            # was 0.5
        fund_scale: 1.1                 # bonus funds given per employee x 1.1
        kpis:
          revenue:                      # Revenue invoiced against plan
            weight: 0.6                 # was 0.5
            threshold: 0.75             # was 0.7
            cap: null                   # was 1.5 (null clears a setting)
            curve: sales_curve          # a payout curve of client.yaml, or null
          cash_collection:
            weight: 0.4                 # was 0.3
        stop_factors:
          "staff_turnover > 0.1": off   # was on (x 0.5)

Ratios are written as ratios (1 = 100 %), as in ``position_kpis``. A scenario that no longer
fits the data (a KPI or position that was removed, weights that do not sum to 1 after
applying, an unknown curve) raises :class:`~kpi_toolkit.errors.ScenarioError` listing every
problem with the file, the line and the entry.
"""
from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from kpi_toolkit.method.client import ClientData
from kpi_toolkit.inputs import yaml_bounds
from kpi_toolkit.errors import Problem, ScenarioError, shorten

#: A scenario name: lower-case letters, digits and hyphens (it is also the file name).
NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FOLDER = "scenarios"
KPI_SETTINGS = ("weight", "threshold", "stop_threshold", "cap", "curve")
RATIO_SETTINGS = ("threshold", "stop_threshold", "cap")
POSITION_KEYS = ("variable_share", "fund_scale", "kpis", "stop_factors")
TOP_KEYS = ("name", "description", "author", "saved", "base", "positions")
WEIGHT_TOLERANCE = 1e-6  # as for position_kpis.csv
PERCENT_LIKE = 5  # a ratio above this was written as a percentage


@dataclass
class Scenario:
    """Changes on top of a client's scheme.

    ``positions`` maps a position id to its changes: ``variable_share``, ``fund_scale``
    (multiplies the bonus funds given per employee), ``kpis`` (KPI id -> ``{setting: value}``
    for the settings of :data:`KPI_SETTINGS`; ``None`` clears a setting) and ``stop_factors``
    (rule -> on/off; a rule is named ``"<kpi_id> <condition> <limit>"`` or just ``<kpi_id>``
    for every rule on that KPI). ``lines`` maps an entry (``positions.p.kpis.k.weight``) to
    its line in the file, for messages.
    """

    name: str
    positions: dict[str, dict] = field(default_factory=dict)
    description: str = ""
    author: str = ""
    saved: str = ""
    base: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    sha256: str | None = None  # of the file it was read from

    @property
    def source(self) -> str:
        """How messages name the scenario: ``scenarios/<name>.yaml``."""
        return f"{FOLDER}/{self.name or 'unsaved'}.yaml"

    def line(self, entry: str) -> int | None:
        """The line of ``entry``, else of its nearest parent that has one."""
        while entry:
            if entry in self.lines:
                return self.lines[entry]
            entry = entry.rpartition(".")[0]
        return None

    def only(self, position_id: str) -> "Scenario":
        """The same scenario restricted to one position's changes."""
        kept = {position_id: self.positions[position_id]} if position_id in self.positions else {}
        return replace(self, positions=kept)


# --------------------------------------------------------------------------- names and files

def check_name(name: str, client: ClientData | None = None) -> str:
    """Return ``name`` if it is a valid scenario name, else raise :class:`ScenarioError`.

    Examples
    --------
    >>> check_name("revenue-heavy")
    'revenue-heavy'
    """
    if isinstance(name, str) and NAME.match(name) and len(name) <= 64:
        return name
    raise ScenarioError([Problem(
        table=f"{FOLDER}/{name}.yaml", column="name",
        message=f"scenario name {name!r} is not allowed; expected lower-case letters, digits and hyphens",
        fix="e.g. 'revenue-heavy' or 'pilot-2026-10'")], client=client.slug if client else None)


def scenario_path(client: ClientData, name: str) -> Path:
    """``<client folder>/scenarios/<name>.yaml``."""
    return Path(client.path) / FOLDER / f"{check_name(name, client)}.yaml"


def list_scenarios(client: ClientData) -> list[str]:
    """Names of the client's saved scenarios, sorted."""
    folder = Path(client.path) / FOLDER
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.yaml") if p.is_file() and NAME.match(p.stem))


def load_scenario(client: ClientData, name: str) -> Scenario:
    """Read ``scenarios/<name>.yaml`` of the client (not yet checked against the data)."""
    path = scenario_path(client, name)
    if not path.is_file():
        saved = ", ".join(list_scenarios(client)) or "none"
        raise ScenarioError([Problem(
            table=f"{FOLDER}/{name}.yaml", message=f"scenario '{name}' not found in {path.parent}",
            fix=f"saved scenarios: {saved}; save one from the scenario explorer")], client=client.slug)
    try:
        outside = not path.resolve().is_relative_to(Path(client.path).resolve())
    except (OSError, RuntimeError):  # a loop of links
        outside = True
    if outside:  # the target is never named: only the client's folder is read
        raise ScenarioError([Problem(
            table=f"{FOLDER}/{name}.yaml",
            message=f"'{FOLDER}/{name}.yaml' is a symbolic link to a file outside the client folder; "
                    "only files inside the client folder are read",
            fix="copy the scenario file into the client's scenarios folder in place of the link")],
            client=client.slug)
    data = path.read_bytes()
    scenario = read_scenario(data.decode("utf-8-sig"), name, client=client.slug)
    scenario.sha256 = hashlib.sha256(data).hexdigest()
    return scenario


def read_scenario(text: str, name: str, client: str | None = None) -> Scenario:
    """Parse a scenario file's text; syntax and shape errors raise :class:`ScenarioError`."""
    source = f"{FOLDER}/{name}.yaml"
    try:
        root = yaml_bounds.compose(text)
        values = yaml.safe_load(text)
    except yaml_bounds.UnboundedYamlError as exc:
        raise ScenarioError([Problem(table=source, row=exc.line, message=exc.message, fix=exc.fix)],
                            client=client) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ScenarioError([Problem(
            table=source, row=mark.line + 1 if mark else None,
            message=f"not valid YAML: {exc.problem or exc.context or 'syntax error'}",
            fix="correct the syntax (indent with spaces, quote values that contain ':' or '#')")],
            client=client) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(table=source, message=f"not valid YAML: {exc}",
                                     fix="correct the syntax")], client=client) from None
    lines: dict[str, int] = {}
    if root is not None:
        _node_lines(root, "", lines)
    if values is None:
        values = {}
    problems = []
    if not isinstance(values, dict):
        problems.append(Problem(table=source, row=1, message=f"expected a map of settings, found {_show(values)}",
                                fix="start with 'positions:' (see the header of a saved scenario)"))
    else:
        for key in values:
            if str(key) not in TOP_KEYS:
                problems.append(Problem(table=source, row=lines.get(str(key)), column=str(key),
                                        message=f"unknown entry '{key}'", fix=f"expected one of {', '.join(TOP_KEYS)}"))
        positions = values.get("positions") or {}
        if not isinstance(positions, dict):
            problems.append(Problem(table=source, row=lines.get("positions"), column="positions",
                                    message=f"expected position ids mapped to their changes, found {_show(positions)}",
                                    fix="write e.g. 'positions: {sales-manager: {kpis: {revenue: {weight: 0.6}}}}'"))
    if problems:
        raise ScenarioError(problems, client=client)
    base = values.get("base") if isinstance(values.get("base"), dict) else {}
    return Scenario(name=name, positions=_string_keys(values.get("positions") or {}),
                    description=str(values.get("description") or ""), author=str(values.get("author") or ""),
                    saved=str(values.get("saved") or ""), base={str(k): str(v) for k, v in base.items()},
                    lines=lines)


def _node_lines(node: yaml.Node, path: str, lines: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = f"{path}.{key_node.value}" if path else str(key_node.value)
            lines.setdefault(child, key_node.start_mark.line + 1)
            _node_lines(value_node, child, lines)


def _string_keys(value):
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- applying

def stop_rule_key(rule) -> str:
    """How a scenario names a stop-factor rule: ``"<kpi_id> <condition> <limit>"``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> stop_rule_key(SimpleNamespace(kpi_id="staff_turnover", condition=">", limit=0.1))
    'staff_turnover > 0.1'
    """
    return f"{rule.kpi_id} {rule.condition} {_number_text(float(rule.limit))}"


def apply_scenario(client: ClientData, name_or_scenario: str | Scenario) -> ClientData:
    """The client with a scenario's changes applied (its folder and tables are left as they are).

    Raises
    ------
    ScenarioError
        Listing every entry that does not fit the client's data, each with the scenario file,
        its line and the entry.
    """
    scenario = load_scenario(client, name_or_scenario) if isinstance(name_or_scenario, str) else name_or_scenario
    applied, problems = _apply(client, scenario)
    if problems:
        raise ScenarioError(problems, client=client.slug)
    return applied


def scenario_problems(client: ClientData, scenario: Scenario) -> list[Problem]:
    """Every way in which ``scenario`` does not fit ``client`` (empty when it applies)."""
    return _apply(client, scenario)[1]


def _apply(client: ClientData, scenario: Scenario) -> tuple[ClientData, list[Problem]]:
    problems: list[Problem] = []

    def problem(entry: str, message: str, fix: str) -> None:
        problems.append(Problem(table=scenario.source, row=scenario.line(entry), column=entry, message=message,
                                fix=fix, client=client.slug))

    pk, positions, employees, rules = (client.position_kpis, client.positions, client.employees,
                                       client.stop_factors)
    known_positions = set(positions["position_id"])
    known_kpis = set(client.kpis["kpi_id"])
    curves = client.config.payout_curves
    pk_pos = pk["position_id"].to_numpy(dtype=object)
    pk_kpi = pk["kpi_id"].to_numpy(dtype=object)
    row_of = {(p, k): i for i, (p, k) in enumerate(zip(pk_pos, pk_kpi))}
    values = {c: pk[c].to_numpy(dtype=float, na_value=np.nan).copy() for c in ("weight", *RATIO_SETTINGS)}
    curve = pk["curve"].to_numpy(dtype=object).copy()
    shares = positions["variable_share"].to_numpy(dtype=float, na_value=np.nan).copy()
    funds = employees["bonus_fund"].to_numpy(dtype=float, na_value=np.nan).copy()
    drop_rule = np.zeros(len(rules), bool)
    touched_weights, touched_ratios = set(), set()

    for pid, changes in scenario.positions.items():
        entry = f"positions.{pid}"
        if pid not in known_positions:
            problem(entry, f"position '{pid}' is not in {_source(client, 'positions')} (any more)",
                    f"remove the entry or rename it; positions: {_listing(sorted(known_positions))}")
            continue
        if not isinstance(changes, dict):
            problem(entry, f"expected the changes of position '{pid}', found {_show(changes)}",
                    "write e.g. 'kpis: {revenue: {weight: 0.6}}' under the position")
            continue
        for key in changes:
            if key not in POSITION_KEYS:
                problem(f"{entry}.{key}", f"unknown entry '{key}' for a position",
                        f"expected one of {', '.join(POSITION_KEYS)}")
        if "variable_share" in changes:
            v = changes["variable_share"]
            if not _is_number(v) or not 0 <= v < 1:
                problem(f"{entry}.variable_share", f"variable share {_show(v)} is not a ratio from 0 to below 1",
                        "write e.g. 0.25 for 25 % of target pay")
            else:
                shares[(positions["position_id"] == pid).to_numpy()] = float(v)
        if "fund_scale" in changes:
            s = changes["fund_scale"]
            if not _is_number(s) or s <= 0:
                problem(f"{entry}.fund_scale", f"fund scale {_show(s)} is not a positive number",
                        "write e.g. 1.1 to raise the bonus funds given per employee by 10 %")
            else:
                m = (employees["position_id"] == pid).to_numpy()
                funds[m] = funds[m] * float(s)
        kpis = changes.get("kpis") or {}
        if not isinstance(kpis, dict):
            problem(f"{entry}.kpis", f"expected KPI ids mapped to settings, found {_show(kpis)}",
                    "write e.g. 'revenue: {weight: 0.6, threshold: 0.75}'")
            kpis = {}
        own = [k for p, k in zip(pk_pos, pk_kpi) if p == pid]
        for kid, settings in kpis.items():
            kentry = f"{entry}.kpis.{kid}"
            if (pid, kid) not in row_of:
                where = (f"not in {_source(client, 'kpis')} (removed?)" if kid not in known_kpis
                         else f"not a KPI of position '{pid}' in {_source(client, 'position_kpis')}")
                problem(kentry, f"KPI '{kid}' is {where}",
                        f"remove the entry; the KPIs of '{pid}' are: {_listing(own)}")
                continue
            if not isinstance(settings, dict):
                problem(kentry, f"expected the settings of KPI '{kid}', found {_show(settings)}",
                        f"write e.g. '{{weight: 0.4, threshold: 0.7}}'")
                continue
            i = row_of[(pid, kid)]
            for key, value in settings.items():
                sentry = f"{kentry}.{key}"
                if key == "weight":
                    if not _is_number(value) or not 0 <= value <= 1:
                        problem(sentry, f"weight {_show(value)} is not a number from 0 to 1",
                                "write the weight as a ratio, e.g. 0.4")
                    else:
                        values["weight"][i] = float(value)
                        touched_weights.add(pid)
                elif key in RATIO_SETTINGS:
                    if value is None:
                        values[key][i] = np.nan
                    elif not _is_number(value) or value < 0:
                        problem(sentry, f"{key} {_show(value)} is not a ratio (1 = 100 %)",
                                "write e.g. 0.7 for 70 %, or null to clear it")
                    elif value > PERCENT_LIKE:
                        problem(sentry, f"{key} {_show(value)} looks like a percentage; expected a ratio",
                                f"write {_number_text(value / 100)} for {_show(value)} %")
                    else:
                        values[key][i] = float(value)
                    touched_ratios.add(i)
                elif key == "curve":
                    if value is not None and value not in curves:
                        problem(sentry, f"unknown payout curve {_show(value)}; client.yaml payout_curves defines: "
                                f"{_listing(sorted(curves)) or 'none'}",
                                "choose a defined curve, or null for the proportional rule")
                    else:
                        curve[i] = value
                else:
                    problem(sentry, f"unknown setting '{key}' of a KPI", f"expected one of {', '.join(KPI_SETTINGS)}")
        switches = changes.get("stop_factors") or {}
        if not isinstance(switches, dict):
            problem(f"{entry}.stop_factors", f"expected stop-factor rules mapped to on/off, found {_show(switches)}",
                    "write e.g. 'staff_turnover > 0.1: off'")
            switches = {}
        own_rules = [(j, r) for j, r in enumerate(rules.itertuples(index=False)) if r.position_id == pid]
        for key, enabled in switches.items():
            rentry = f"{entry}.stop_factors.{key}"
            matched = [j for j, r in own_rules if key in (stop_rule_key(r), r.kpi_id)]
            if not matched:
                problem(rentry, f"no stop-factor rule '{key}' for position '{pid}' in "
                        f"{_source(client, 'stop_factors')}",
                        f"remove the entry; the rules of '{pid}' are: "
                        f"{_listing([stop_rule_key(r) for _, r in own_rules]) or 'none'}")
            elif not isinstance(enabled, bool):
                problem(rentry, f"expected on or off, found {_show(enabled)}", "write on or off")
            else:
                drop_rule[matched] = not enabled

    for pid in touched_weights:
        m = pk_pos == pid
        total = float(values["weight"][m].sum())
        if abs(total - 1) > WEIGHT_TOLERANCE:
            detail = ", ".join(f"{k} {_number_text(w)}" for k, w in zip(pk_kpi[m], values["weight"][m]))
            problem(f"positions.{pid}.kpis", f"weights of position '{pid}' sum to {_number_text(round(total, 9))} "
                    f"after applying the scenario ({detail}); they must sum to 1",
                    "correct the weights in the scenario (KPIs not listed keep the client's weight)")
    for i in sorted(touched_ratios):
        t, cap = values["threshold"][i], values["cap"][i]
        if cap < t:
            problem(f"positions.{pk_pos[i]}.kpis.{pk_kpi[i]}.cap",
                    f"cap {_number_text(cap)} is below threshold {_number_text(t)} for KPI '{pk_kpi[i]}'",
                    "raise the cap to at least the threshold, or clear it with null")
    if problems:
        return client, problems

    tables = {}
    if touched_weights or touched_ratios or any("kpis" in c for c in scenario.positions.values()):
        tables["position_kpis"] = pk.assign(**values, curve=curve)
    if any("variable_share" in c for c in scenario.positions.values()):
        tables["positions"] = positions.assign(variable_share=shares)
    if any("fund_scale" in c for c in scenario.positions.values()):
        tables["employees"] = employees.assign(bonus_fund=funds)
    if drop_rule.any():
        tables["stop_factors"] = rules[~drop_rule].reset_index(drop=True)
    applied = client.with_tables(**tables) if tables else client
    if scenario.sha256:
        applied = replace(applied, input_hashes={**client.input_hashes, scenario.source: scenario.sha256})
    return applied, []


def _source(client: ClientData, table: str) -> str:
    return client.sources.get(table, f"{table}.csv")


# --------------------------------------------------------------------------- saving

def save_scenario(client: ClientData, scenario_or_model, name: str, *, description: str | None = None,
                  author: str | None = None) -> Path:
    """Write a scenario (or an explorer model's current settings) to ``scenarios/<name>.yaml``.

    The file is written whole or not at all. Returns its path. Raises
    :class:`ScenarioError` for a bad name or settings that do not fit the client.
    """
    path = scenario_path(client, name)
    scenario = scenario_or_model.to_scenario(name) if hasattr(scenario_or_model, "to_scenario") else scenario_or_model
    scenario = replace(scenario, name=name, lines={}, sha256=None,
                       description=scenario.description if description is None else description,
                       author=author if author is not None else (scenario.author or _user()),
                       saved=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                       base=base_hashes(client))
    problems = scenario_problems(client, scenario)
    if problems:
        raise ScenarioError(problems, client=client.slug)
    from kpi_toolkit.fileio import write_text_atomic

    return write_text_atomic(path, scenario_yaml(client, scenario))


def base_hashes(client: ClientData) -> dict[str, str]:
    """Short hashes of the input files a scenario is built on (the scheme's tables and settings)."""
    files = {client.sources.get(t, f"{t}.csv").split(" [")[0]
             for t in ("positions", "position_kpis", "stop_factors", "employees")} | {"client.yaml"}
    return {f: h[:12] for f, h in sorted(client.input_hashes.items()) if f in files}


def scenario_yaml(client: ClientData, scenario: Scenario) -> str:
    """The text of a scenario file: a commented header, then the changes with the client's values."""
    when = scenario.saved or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    folder = f"clients/{client.slug}"
    base = ", ".join(f"{f} {h}" for f, h in scenario.base.items()) or "(not recorded)"
    out = [
        f"# Scenario '{scenario.name}' for {_comment(client.config.name)} ({folder})",
        "#",
        "# What:  changes on top of the client's bonus scheme; the client's tables are not edited.",
        "#        What is not listed keeps the client's setting. Thresholds, stop thresholds and caps",
        "#        are ratios (1 = 100 %); null clears a setting.",
        f"# When:  {_when(when)}",
        f"# Who:   {_comment(scenario.author or 'unknown')}",
        f"# Base:  {base}",
        f"# Use:   kpi-toolkit calc {folder} --scenario {scenario.name}",
        "",
        f"name: {scenario.name}",
        f"description: {_scalar(scenario.description)}",
        f"author: {_scalar(scenario.author)}",
        f"saved: {_scalar(when)}",
    ]
    if scenario.base:
        out.append("base:")
        out += [f"  {_key(f)}: {_scalar(h)}" for f, h in scenario.base.items()]
    out.append("positions:" + ("" if scenario.positions else " {}"))
    positions = client.positions.set_index("position_id")
    kpi_names = dict(zip(client.kpis["kpi_id"], client.kpis["name"]))
    pk = client.position_kpis.set_index(["position_id", "kpi_id"])
    for pid, changes in scenario.positions.items():
        name = positions["name"].get(pid) if pid in positions.index else None
        out.append(_line(f"  {_key(pid)}:", name))
        if "variable_share" in changes:
            was = positions["variable_share"].get(pid) if pid in positions.index else None
            out.append(_line(f"    variable_share: {_scalar(changes['variable_share'])}", f"was {_was(was)}"))
        if "fund_scale" in changes:
            out.append(_line(f"    fund_scale: {_scalar(changes['fund_scale'])}",
                             "bonus funds given per employee are multiplied by this"))
        if changes.get("kpis"):
            out.append("    kpis:")
            for kid, settings in changes["kpis"].items():
                out.append(_line(f"      {_key(kid)}:", kpi_names.get(kid)))
                for key, value in settings.items():
                    was = pk[key].get((pid, kid)) if (pid, kid) in pk.index and key in pk.columns else None
                    out.append(_line(f"        {key}: {_scalar(value)}", f"was {_was(was)}"))
        if changes.get("stop_factors"):
            out.append("    stop_factors:")
            rules = {stop_rule_key(r): r for r in client.stop_factors.itertuples(index=False) if r.position_id == pid}
            for key, enabled in changes["stop_factors"].items():
                rule = rules.get(key)
                note = f"was on (x {_number_text(float(rule.factor))})" if rule is not None else None
                out.append(_line(f"      {_key(key)}: {'on' if enabled else 'off'}", note))
    return "\n".join(out) + "\n"


def _line(text: str, comment: str | None) -> str:
    if not comment:
        return text
    return f"{text:<40}  # {_comment(comment)}"


def _comment(text) -> str:
    return " ".join(str(text).split())


def _when(iso: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()


def _was(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not set"
    return _number_text(value) if _is_number(value) else str(value)


def _key(text: str) -> str:
    plain = re.fullmatch(r"[A-Za-z_][\w.-]*", text) is not None
    return text if plain and yaml.safe_load(text) == text else json.dumps(text, ensure_ascii=False)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return _number_text(value)
    return json.dumps(str(value), ensure_ascii=False)


def _number_text(x) -> str:
    """A number as YAML reads it back as a number: 0.45, 1.0, 0.00001 (never 1e-05).

    Examples
    --------
    >>> _number_text(0.45), _number_text(1), _number_text(1e-05)
    ('0.45', '1.0', '0.00001')
    """
    text = f"{float(x):.10f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and math.isfinite(value)


def _show(value) -> str:
    if isinstance(value, str):
        return repr(shorten(value))
    return shorten(json.dumps(value, default=str, ensure_ascii=False))


def _listing(values, limit: int = 10) -> str:
    values = list(values)
    more = f" and {len(values) - limit} more" if len(values) > limit else ""
    return ", ".join(map(str, values[:limit])) + more


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
