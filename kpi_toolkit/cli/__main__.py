"""``python -m kpi_toolkit.cli``: the ``kpi-toolkit`` command."""
import sys

from kpi_toolkit.cli import main

sys.exit(main())
