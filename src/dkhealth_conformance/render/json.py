"""JSON: ``{"schema": "dkhealth-run/1", "reports": [Report.to_dict(), ...]}`` (see docs/api.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .._version import __version__
from ..report import Report


def render(reports: Sequence[Report]) -> str:
    document = {
        "schema": "dkhealth-run/1",
        "tool": {"name": "dkhealth-conformance", "version": __version__},
        "valid": all(r.valid for r in reports),
        "reports": [r.to_dict() for r in reports],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
