"""``environment.yml`` (conda) declares the same dependencies as ``pyproject.toml`` (pip)."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def requirement(text: str) -> tuple[str, str]:
    """``("psycopg", ">=3.1")`` from ``psycopg[binary]>=3.1``: the name (normalised) and its bounds."""
    name, bounds = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(.*)", text).groups()
    return re.sub(r"[-_.]+", "-", name).lower(), bounds.replace(" ", "")


def test_environment_yml_has_the_dependencies_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    pip = next(d["pip"] for d in environment if isinstance(d, dict))
    declared = [d for d in environment if isinstance(d, str)] + [d for d in pip if not d.startswith("-")]
    conda = dict(requirement(d) for d in declared)
    python = conda.pop("python")
    conda.pop("pip")
    assert conda == dict(requirement(d) for d in project["dependencies"])
    assert python.startswith(project["requires-python"]), (python, project["requires-python"])
    assert "-e ." in pip  # the toolkit itself, from the checkout


def test_the_supported_pythons_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    classified = sorted(c.rsplit(" ", 1)[1] for c in project["classifiers"] if c.startswith("Programming Language"))
    assert classified == ["3.11", "3.12", "3.13"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    assert "python>=3.11,<3.14" in environment
    assert "Python 3.11, 3.12 and 3.13" in (ROOT / "README.md").read_text()
