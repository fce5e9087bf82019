"""One family of errors for the whole toolkit.

Bad client data and bad scheme definitions are different errors; both carry a list of
:class:`Problem` records with structured fields so that reports and the command line can
list them without parsing text.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

QUOTE_LIMIT = 60  # characters of an offender a message quotes; the rest is counted, not shown
_LONG_LIMIT = 2 * QUOTE_LIMIT  # a quoted piece longer than this was not cut by its message
_TEXT_LIMIT = 1000  # a message, fix or column longer than this is cut in the middle


def shorten(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` if it is short, else its first ``limit`` characters and its length.

    A cell or line far longer than any real value (a 50 MB cell) is quoted this way, so that
    a message stays readable and small.

    Examples
    --------
    >>> shorten("E001")
    'E001'
    >>> shorten("9" * 5000, limit=10)
    '9999999999… (5,000 characters)'
    """
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def _bounded(text: str | None, limit: int = _TEXT_LIMIT) -> str | None:
    """Cut every over-long quoted piece of ``text`` short, then the text itself if still long."""
    if not text or len(text) <= _LONG_LIMIT:
        return text
    parts = text.split("'")  # quotes pair up in order: the odd parts are quoted
    for i in range(1, len(parts) - 1, 2):
        if len(parts[i]) > _LONG_LIMIT:
            parts[i] = shorten(parts[i])
    text = "'".join(parts)
    if len(text) > limit:
        cut = len(text) - limit
        text = f"{text[:limit * 3 // 4]} … ({cut:,} characters cut) … {text[-limit // 4:]}"
    return text


@dataclass(frozen=True)
class Problem:
    """One problem found in a client folder, a scheme or a scenario.

    ``row`` is the row number as a spreadsheet shows it: the header is row 1 and the first
    data row is row 2 (for ``client.yaml`` and scenario files it is the line number).
    """

    table: str
    message: str
    fix: str = ""
    row: int | None = None
    column: str | None = None
    severity: str = "error"  # "error" or "warning"
    rule: str | None = None  # a methodology rule's code for warnings, e.g. "kpi-count"
    client: str | None = None

    def __post_init__(self):
        # Whatever a message quotes from the client's files stays short (SPEC §6), even where
        # the message did not cut it itself.
        for name, limit in (("message", _TEXT_LIMIT), ("fix", _TEXT_LIMIT), ("column", 2 * _LONG_LIMIT),
                            ("table", 2 * _LONG_LIMIT)):
            value = getattr(self, name)
            if isinstance(value, str) and len(value) > _LONG_LIMIT:
                object.__setattr__(self, name, _bounded(value, limit))

    @property
    def location(self) -> str:
        parts = [self.table]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        if self.fix:
            text += f". Fix: {self.fix}"
        if self.rule:
            text += f" [{self.rule}]"
        return text

    def to_dict(self) -> dict:
        return asdict(self)


class KpiToolkitError(Exception):
    """Raised for any failure the toolkit reports to its user (base class)."""


class ProblemsError(KpiToolkitError):
    """Raised when one or more :class:`Problem` records block the work (base class)."""

    def __init__(self, problems: list[Problem], client: str | None = None):
        self.problems = list(problems)
        self.client = client
        super().__init__(self._summary())

    def _summary(self) -> str:
        head = f"{len(self.problems)} problem(s)"
        if self.client:
            head += f" in client '{self.client}'"
        return head + ":\n" + "\n".join(f"  - {p}" for p in self.problems)


class ClientDataError(ProblemsError):
    """Raised when a client folder's tables or client.yaml are missing, malformed or inconsistent."""


class SchemeError(ProblemsError):
    """Raised when a bonus scheme definition (weights, payout curve, thresholds) cannot be applied."""


class ScenarioError(SchemeError):
    """Raised when a saved scenario no longer fits the client's data."""


class CalculationError(KpiToolkitError):
    """Raised when a computation's own precondition fails (a bug or unvalidated input)."""


class OutputError(KpiToolkitError, OSError):
    """Raised when the machine refuses to write the output: a read-only or full disk, no permission.

    ``path`` is what was being written, ``folder`` the existing folder the fault concerns (the
    one to make writable or to free space on), ``errno`` the system's error number. It is an
    ``OSError`` too, so code that handles those still does.
    """

    def __init__(self, message: str, path: str | None = None, folder: str | None = None,
                 errno: int | None = None):
        self.path, self.folder = path, folder
        super().__init__(message)
        self.errno = errno


class ReportError(KpiToolkitError):
    """Raised when a notebook or report cannot be produced."""


class BrowserNotFoundError(ReportError):
    """Raised when no Chrome or Chromium is found to print PDF reports."""


class LedgerError(KpiToolkitError):
    """Raised when the ledger database cannot be opened, is newer than this toolkit, or refuses a write."""


class SubmissionError(ProblemsError):
    """Raised when returned fact-entry workbooks cannot be merged; every problem of every file is listed."""


class PeriodClosedError(KpiToolkitError):
    """Raised when a closed period's facts would change, or a period is closed or reopened twice."""


class ClosedPeriodChangedError(ProblemsError):
    """Raised when a closed period's inputs differ from those its paid amounts were computed from."""
