"""The toolkit's version, as results and manifests record it (one place: pyproject.toml reads it too)."""

__version__ = "0.1.0"
