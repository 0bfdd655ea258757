"""Findings and reports: :class:`Severity`, :class:`Location`, :class:`Issue`, :class:`Report`."""

from __future__ import annotations

import enum
import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.Enum):
    """FHIR's issue severities, most severe first."""

    FATAL = "fatal"
    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"

    @property
    def rank(self) -> int:
        """0 for fatal up to 3 for information (lower is more severe)."""
        return _RANK[self]

    def at_least(self, other: Severity) -> bool:
        """True when this severity is as severe as ``other`` or more."""
        return self.rank <= other.rank


_RANK = {Severity.FATAL: 0, Severity.ERROR: 1, Severity.WARNING: 2, Severity.INFORMATION: 3}


@dataclass(frozen=True)
class Location:
    """Where a finding is: a native path plus line and column where known.

    ``path`` is element-name style for XML (``/Emessage/ClinicalEmail/Patient``), FHIRPath style
    for FHIR (``Bundle.entry[3].resource.id``), segment/field for HL7 v2 (``PID[1]-3.1``).
    ``container`` names an enclosing transport (``VANSEnvelope/Message/Data``) when the payload
    was unwrapped from one.
    """

    path: str = ""
    line: int | None = None
    column: int | None = None
    container: str | None = None

    @property
    def file_line(self) -> int | None:
        """The line in the checked file itself: None inside a payload taken out of an envelope, whose
        ``line`` is the payload's own."""
        return None if self.container else self.line

    def __str__(self) -> str:
        text = self.path or "(document)"
        if self.container:
            text = f"{self.container} > {text}"
        return text

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "line": self.line, "column": self.column}
        if self.container:
            data["container"] = self.container
        return data


@dataclass(frozen=True)
class Issue:
    """One finding. ``rule_id`` is a stable id from the rule catalogue (``dkconform rules``)."""

    rule_id: str
    severity: Severity
    message: str
    location: Location = field(default_factory=Location)
    source: str = ""

    def sort_key(self) -> tuple[Any, ...]:
        loc = self.location
        return (
            loc.container or "",
            loc.line if loc.line is not None else 1 << 62,
            loc.column if loc.column is not None else 0,
            loc.path,
            self.severity.rank,
            self.rule_id,
            self.message,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "severity": self.severity.value,
            "message": self.message,
            "location": self.location.to_dict(),
            "source": self.source,
        }


@dataclass(init=False)
class Report:
    """The result of validating one payload.

    ``issues`` are kept in a deterministic order (by position, then path, severity and rule id).
    ``valid`` is true when no issue is fatal or an error; :meth:`passes` applies another threshold.
    """

    name: str
    digest: str
    size: int
    format: str
    standard: str | None = None
    version: str | None = None
    issues: list[Issue] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    tool_version: str = ""
    #: the decoded text of the payload, kept for renderers that quote the offending line
    text: str | None = field(default=None, repr=False, compare=False)

    def __init__(self, name: str, digest: str, size: int, format: str, standard: str | None = None,
                 version: str | None = None, issues: list[Issue] | None = None,
                 timings: dict[str, float] | None = None, tool_version: str = "", text: str | None = None) -> None:
        # the dataclass's own __init__, written out: a report is made for every payload, and this one
        # sets ``digest`` without the property below
        self.name = name
        self.__dict__["digest"] = digest
        self.size = size
        self.format = format
        self.standard = standard
        self.version = version
        self.issues = [] if issues is None else sorted(issues, key=Issue.sort_key)
        self.timings = {} if timings is None else timings
        self.tool_version = tool_version
        self.text = text

    def add(self, issues: list[Issue]) -> None:
        if not issues:
            return
        self.issues = sorted([*self.issues, *issues], key=Issue.sort_key)

    @property
    def standard_ref(self) -> str | None:
        """``id@version`` of the detected standard, or None."""
        if self.standard is None:
            return None
        return f"{self.standard}@{self.version}" if self.version else self.standard

    @property
    def fatal(self) -> bool:
        return any(i.severity is Severity.FATAL for i in self.issues)

    @property
    def valid(self) -> bool:
        return self.passes(Severity.ERROR)

    def passes(self, fail_on: Severity = Severity.ERROR) -> bool:
        """True when no issue is at least as severe as ``fail_on``."""
        return not any(i.severity.at_least(fail_on) for i in self.issues)

    @property
    def verdict(self) -> str:
        """``conformant``, ``not-conformant`` or ``unreadable`` (a fatal issue stopped checking)."""
        if self.fatal:
            return "unreadable"
        return "conformant" if self.valid else "not-conformant"

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for issue in self.issues:
            counts[issue.severity.value] += 1
        return counts

    def rule_ids(self) -> list[str]:
        """The distinct rule ids found, sorted."""
        return sorted({i.rule_id for i in self.issues})

    def line_text(self, line: int | None) -> str | None:
        """The payload's text at a 1-based line, where the payload was text."""
        if self.text is None or not line:
            return None
        lines = self._lines
        return lines[line - 1] if 0 < line <= len(lines) else None

    @functools.cached_property
    def _lines(self) -> list[str]:
        # split once: renderers ask for a line per issue
        return (self.text or "").splitlines()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form documented in ``docs/api.md`` (schema ``dkhealth-report/1``)."""
        return {
            "schema": "dkhealth-report/1",
            "name": self.name,
            "sha256": self.digest,
            "size": self.size,
            "format": self.format,
            "standard": self.standard,
            "version": self.version,
            "verdict": self.verdict,
            "valid": self.valid,
            "counts": self.counts(),
            "issues": [i.to_dict() for i in self.issues],
            "timings_ms": {k: round(v, 3) for k, v in self.timings.items()},
            "tool_version": self.tool_version,
        }

    def digest_of(self, data: bytes) -> None:
        """Set :attr:`digest` to the sha256 of ``data``, computed when it is first read: a report
        that is only asked whether it passes never pays for it."""
        self.__dict__["_digest_of"] = data

    def __getstate__(self) -> dict[str, Any]:
        self.__dict__["digest"] = _get_digest(self)  # a pickled report carries the digest, not the payload
        return {k: v for k, v in self.__dict__.items() if k != "_digest_of"}

    def to_operation_outcome(self) -> dict[str, Any]:
        """This report as a FHIR R4 ``OperationOutcome`` resource (a dict)."""
        from .render.outcome import operation_outcome

        return operation_outcome(self)

    def to_sarif(self) -> dict[str, Any]:
        """This report as a SARIF 2.1.0 log (a dict)."""
        from .render.sarif import sarif_log

        return sarif_log([self])


def _get_digest(report: Report) -> str:
    state = report.__dict__
    data = state.pop("_digest_of", None)
    if data is not None:
        state["digest"] = hashlib.sha256(data).hexdigest()
    return str(state["digest"])


def _set_digest(report: Report, value: str) -> None:
    report.__dict__.pop("_digest_of", None)
    report.__dict__["digest"] = value


# ``digest`` stays a dataclass field (constructor, equality, repr) and is read through this property,
# so that :meth:`Report.digest_of` can leave the hashing until the digest is wanted
Report.digest = property(_get_digest, _set_digest, doc="sha256 of the payload (hexadecimal)")  # type: ignore[assignment]
