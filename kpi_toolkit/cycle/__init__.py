"""The monthly cycle: fact-entry workbooks out (``collect``) and back (``merge``), the ledger of
submissions, closed periods and corrections (``ledger``, ``closing``).

Imports the methodology, the inputs and the outputs (the results it stores).
"""
