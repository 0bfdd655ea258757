"""The pipeline: source → :class:`Payload` → :class:`Standard` → pack validator → :class:`Report`.

:func:`validate` is total: whatever it is given, it returns a report and never raises.
"""

from __future__ import annotations

import traceback
from time import perf_counter
from typing import Any

from . import core_rules as R
from . import payload as payload_mod
from ._version import __version__
from .payload import Limits, Payload
from .registry import Options, Pack, Registry, Standard, UnknownStandard, default_registry
from .report import Issue, Report


def detect(source: Any, *, registry: Registry | None = None, limits: Limits | None = None) -> Standard | None:
    """The standard a payload belongs to, or None when no pack recognises it."""
    try:
        payload = payload_mod.load(source, limits=limits)
        if payload.fatal:
            return None
        return (registry or default_registry()).detect(payload)
    except Exception:  # detection is a question; a failure answers "unknown"
        return None


def validate(
    source: Any,
    standard: str | None = None,
    *,
    name: str | None = None,
    options: Options | None = None,
    limits: Limits | None = None,
    registry: Registry | None = None,
) -> Report:
    """Validate one payload and return its :class:`Report`.

    ``source`` is a path (``str`` or ``os.PathLike``), the payload as ``bytes`` or ``str``, or an
    already parsed JSON ``dict``. ``standard`` forces a standard (``ID`` or ``ID@VERSION``) instead
    of detecting it.
    """
    started = perf_counter()
    report = Report(name or "<payload>", "", 0, "unknown", tool_version=__version__)
    timings = report.timings
    try:
        payload = payload_mod.load(source, name, limits)
        timings["read"] = (perf_counter() - started) * 1000.0
        validate_payload(payload, report, standard, options or Options(), registry or default_registry())
    except Exception as exc:  # the library never raises to its caller
        report.add([internal_error(exc)])
    timings["total"] = (perf_counter() - started) * 1000.0
    return report


def validate_payload(
    payload: Payload, report: Report, standard: str | None, options: Options, registry: Registry
) -> None:
    """Fill ``report`` for an already loaded payload (used for nested payloads too)."""
    data = payload.data
    report.name, report.size, report.format, report.text = payload.name, len(data), payload.format, payload.text
    report.digest_of(data)
    if payload.issues:
        report.add(payload.issues)
        if payload.fatal:
            return
    started = perf_counter()
    try:
        chosen = registry.recognise(payload) if standard is None else _choose_standard(payload, standard, registry)
    except UnknownStandard as exc:
        report.add([R.STANDARD_UNKNOWN.issue(f"no installed pack provides the standard {exc.args[0]!r}")])
        return
    timings = report.timings
    timings["detect"] = (perf_counter() - started) * 1000.0
    if chosen is None:
        report.add([unrecognised(payload, registry, standard)])
        return
    pack, found = chosen
    report.standard, report.version = found.id, found.version
    started = perf_counter()
    issues = pack.validate(payload, found, options)
    timings["validate"] = (perf_counter() - started) * 1000.0
    report.add(issues)


def _choose_standard(payload: Payload, standard: str | None, registry: Registry) -> tuple[Pack, Standard] | None:
    """The standard to apply and its pack: the detected one, or the forced one (``ID`` or ``ID@VERSION``)."""
    if standard is None:
        return registry.recognise(payload)
    candidates = registry.find(standard)
    detected = registry.recognise(payload)
    if detected is not None and detected[1] in candidates:
        return detected
    if detected is not None:  # a payload of several parts (an Emessage of several letters): one may be of it
        carried = getattr(detected[0], "carried_standards", None)
        refs = {c.ref for c in candidates}
        for part in carried(payload) if carried is not None else ():
            if part.ref in refs:
                return detected[0], part
    usable = [s for s in candidates if not s.formats or payload.format in s.formats]
    return (registry.pack_of(usable[-1]), usable[-1]) if usable else None


def unrecognised(payload: Payload, registry: Registry, forced: str | None = None) -> Issue:
    supported = ", ".join(sorted({s.id for s in registry.standards()})) or "none installed"
    if forced:
        return R.STANDARD_NOT_APPLICABLE.issue(
            f"the standard {forced} does not apply to a {payload.describe()}; supported standards: {supported}"
        )
    return R.PAYLOAD_UNRECOGNISED.issue(
        f"no standard pack recognises this {payload.describe()}; supported standards: {supported}"
    )


def internal_error(exc: BaseException) -> Issue:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else ""
    return R.INTERNAL_ERROR.issue(
        f"{exc.__class__.__name__}: {exc}{where}. This is a defect in dkhealth-conformance; "
        "please report it with the payload's sha256 and this message."
    )

