"""The ``kpi-toolkit`` command, on top of every layer: it parses options and hands off to them.

One module per family of sub-commands (``app`` builds the parser); nothing below imports the CLI.
"""
from kpi_toolkit.cli.app import main  # noqa: F401
