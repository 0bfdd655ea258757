"""HTML: one self-contained, readable file; every payload value is escaped (Jinja2 autoescape)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from jinja2 import Environment, PackageLoader, select_autoescape

from .._version import __version__
from ..report import Report
from .text import summary


def render(reports: Sequence[Report]) -> str:
    env = Environment(
        loader=PackageLoader("dkhealth_conformance", "render/templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    template = env.get_template("report.html.j2")
    return template.render(
        reports=reports,
        summary=summary(reports),
        version=__version__,
        generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
