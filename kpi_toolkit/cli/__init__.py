"""The ``kpi-toolkit`` command, on top of every layer: it parses options and hands off to them.

One module per family of sub-commands; nothing below imports the CLI.
"""
