"""What goes out: words in the client's language (i18n), charts, HTML and PDF, results files for
payroll, statements, and the layout checker of a printed report.

Imports the methodology and the inputs; knows nothing of notebooks being run or of the CLI.
"""
