"""The scenario explorer: the model (numbers), the view (ipywidgets) and the workshop web app.

Imports outputs, inputs and the methodology; the CLI starts the workshop.
"""
from kpi_toolkit.explorer.model import ExplorerModel  # noqa: F401
