"""Renderers turn a list of :class:`~dkhealth_conformance.report.Report` into one output document.

Each renderer is a function ``(reports, **options) -> str``; :data:`FORMATS` maps the names used by
``dkconform check --format``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..report import Report


def _text(reports: Sequence[Report], color: bool = False) -> str:
    from .text import render

    return render(reports, color=color)


def _json(reports: Sequence[Report], color: bool = False) -> str:
    from .json import render

    return render(reports)


def _outcome(reports: Sequence[Report], color: bool = False) -> str:
    from .outcome import render

    return render(reports)


def _junit(reports: Sequence[Report], color: bool = False) -> str:
    from .junit import render

    return render(reports)


def _sarif(reports: Sequence[Report], color: bool = False) -> str:
    from .sarif import render

    return render(reports)


def _html(reports: Sequence[Report], color: bool = False) -> str:
    from .html import render

    return render(reports)


FORMATS: dict[str, Callable[..., str]] = {
    "text": _text,
    "json": _json,
    "outcome": _outcome,
    "junit": _junit,
    "sarif": _sarif,
    "html": _html,
}


def render(reports: Sequence[Report], fmt: str = "text", *, color: bool = False) -> str:
    """Render ``reports`` in format ``fmt`` (a key of :data:`FORMATS`)."""
    out = FORMATS[fmt](reports, color=color)
    # values quoted from a payload may hold lone surrogates (a JSON "\\ud800" escape): keep the
    # output encodable as UTF-8
    return out if out.isascii() else out.encode("utf-8", "replace").decode("utf-8")
