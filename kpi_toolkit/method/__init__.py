"""The methodology, pure: DataFrames and numbers in, DataFrames and numbers out.

The strategy-map cascade, KPI weights, attainment, bonus (thresholds, caps, gates, stop factors,
modifiers), exact arithmetic, matrices, earned value, funnel, targets, readiness, the catalogue and
sensitivity; with the in-memory client (``client``) and the vocabulary of its tables (``schema``).
No file, chart or notebook is known here; nothing of ours is imported but ``kpi_toolkit.errors``.
"""
