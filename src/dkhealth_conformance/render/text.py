"""Plain text: ``file:line[:column] severity rule-id location message`` and a summary line."""

from __future__ import annotations

from collections.abc import Sequence

from ..report import Location, Report, Severity

_COLORS = {
    Severity.FATAL: "\033[1;31m",
    Severity.ERROR: "\033[31m",
    Severity.WARNING: "\033[33m",
    Severity.INFORMATION: "\033[36m",
}
_RESET = "\033[0m"


def render(reports: Sequence[Report], color: bool = False) -> str:
    lines: list[str] = []
    for report in reports:
        lines.append(_header(report))
        for issue in report.issues:
            loc = issue.location
            position, where = _position(report.name, loc)
            severity = issue.severity.value
            if color:
                severity = f"{_COLORS[issue.severity]}{severity}{_RESET}"
            lines.append(f"{position} {severity} {issue.rule_id} {where} {issue.message}")
    lines.append(summary(reports))
    return "\n".join(lines) + "\n"


def _position(name: str, loc: Location) -> tuple[str, str]:
    """``file:line:column`` (as far as known) and the location's text. The line of a finding inside a
    payload taken out of an envelope is the payload's own line, not the file's: it goes with the
    location, and the file is named alone."""
    line = loc.file_line
    if line is None:
        return name, f"{loc} (payload line {loc.line})" if loc.container and loc.line else str(loc)
    return (f"{name}:{line}:{loc.column}" if loc.column else f"{name}:{line}"), str(loc)


def _header(report: Report) -> str:
    standard = report.standard_ref or "no standard"
    return f"{report.name}: {report.verdict} ({standard}, {report.format}, sha256 {report.digest[:12]})"


def summary(reports: Sequence[Report]) -> str:
    totals = {s.value: 0 for s in Severity}
    for report in reports:
        for key, count in report.counts().items():
            totals[key] += count
    conformant = sum(1 for r in reports if r.valid)
    parts = ", ".join(f"{count} {name}" for name, count in totals.items() if count)
    checked = f"{len(reports)} payload(s) checked: {conformant} conformant, {len(reports) - conformant} not"
    return f"{checked}; {parts or 'no issues'}"
