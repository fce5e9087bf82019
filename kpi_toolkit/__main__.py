"""``python -m kpi_toolkit``: the ``kpi-toolkit`` command."""
import sys

from kpi_toolkit.cli import main

sys.exit(main())
