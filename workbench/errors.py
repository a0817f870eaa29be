"""Errors a user can cause. Each carries one sentence that names the file, row, field or option."""
from __future__ import annotations


class WorkbenchError(Exception):
    """A user-facing error: ``str(error)`` is one clear sentence, shown without a traceback."""


class FormatError(WorkbenchError):
    """The file as a whole cannot be read in the requested or detected format."""


class RowError(WorkbenchError):
    """One record is malformed. ``location`` names file and line/row, ``field`` the offending field."""

    def __init__(self, reason: str, field: str | None = None, location: str | None = None):
        self.reason = reason
        self.field = field
        self.location = location
        super().__init__(self._sentence())

    def at(self, location: str) -> "RowError":
        return RowError(self.reason, self.field, location)

    def _sentence(self) -> str:
        where = self.location or "a row"
        if self.field:
            return f"{where}, field '{self.field}': {self.reason}."
        return f"{where}: {self.reason}."


class FilterError(WorkbenchError):
    """A filter or SQL WHERE clause is invalid or not allowed."""


class AnalyzerError(WorkbenchError):
    """An analyzer name, setting or run is invalid."""


class JobCancelled(WorkbenchError):
    """The user cancelled a running job; results stored so far are kept."""
