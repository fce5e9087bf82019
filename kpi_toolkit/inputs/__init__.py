"""The client's data coming in: the folder read (CSV, workbooks, ``client.yaml``), checked once,
collecting every problem, into the in-memory client; scenarios; ``new`` and the intake workbook.

Imports the methodology (for the client and its schema), never a report or the CLI.
"""
