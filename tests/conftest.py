"""Shared fixtures: the fixture client folders under tests/fixtures/clients/."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
CLIENTS = FIXTURES / "clients"


@pytest.fixture
def client_copy(tmp_path):
    """Copy a fixture client folder into tmp_path and return the copy's path."""

    def copy(name: str = "valid_minimal", slug: str | None = None) -> Path:
        dest = tmp_path / (slug or name)
        shutil.copytree(CLIENTS / name, dest)
        return dest

    return copy


@pytest.fixture(scope="session")
def make_fixtures():
    """The fixture generator module (tests/fixtures/make_fixtures.py)."""
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
