"""dkhealth-conformance: conformance testing for Danish healthcare interoperability standards.

>>> from dkhealth_conformance import validate
>>> report = validate("letter.xml")          # doctest: +SKIP
>>> report.valid, [i.rule_id for i in report.issues]  # doctest: +SKIP
"""

from ._version import __version__
from .payload import Limits, Payload
from .registry import Options, Pack, Registry, Standard, default_registry
from .report import Issue, Location, Report, Severity
from .rules import Rule, RuleSet, catalogue
from .validation import detect, validate

__all__ = [
    "Issue",
    "Limits",
    "Location",
    "Options",
    "Pack",
    "Payload",
    "Registry",
    "Report",
    "Rule",
    "RuleSet",
    "Severity",
    "Standard",
    "__version__",
    "catalogue",
    "default_registry",
    "detect",
    "validate",
]
