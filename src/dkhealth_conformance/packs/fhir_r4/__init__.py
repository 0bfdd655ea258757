"""FHIR R4 base pack: any FHIR JSON or XML resource against the R4 core definitions (4.0.1), every
loaded profile it claims in ``meta.profile``, and extra profiles and packages the user adds
(``dkconform check --ig PATH --profile CANONICAL``; API: ``Options(extra={"ig": [...],
"profile": [...]})``).

Standard-specific FHIR packs (the MedCom messages) take precedence in detection; this pack is the
fallback for every other FHIR payload.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..._version import __version__
from ...fhir import CoreMissing, Definitions, PackageError
from ...fhir import rules as R
from ...fhir.rules import FHIR_RULES
from ...fhir.validator import FhirValidator
from ...payload import FHIR_JSON, FHIR_XML, Payload
from ...registry import Options, Standard
from ...report import Issue

FAMILY = "hl7.fhir.r4"
CORE = Standard("hl7.fhir.r4.core", "4.0.1", FAMILY, "FHIR R4 base specification (any resource)",
                formats=(FHIR_JSON, FHIR_XML))

_VALIDATORS: dict[tuple[str, ...], FhirValidator] = {}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def validator_for(igs: Sequence[str] = ()) -> FhirValidator:
    """A validator over the core definitions plus ``igs`` (packages or definition files), built
    once per process and set of extra definitions. Raises CoreMissing or PackageError."""
    key = tuple(igs)
    if key not in _VALIDATORS:
        defs = Definitions.for_core()
        for path in igs:
            defs.add_file(path)
        _VALIDATORS[key] = FhirValidator(defs)
    return _VALIDATORS[key]


def validate_fhir(payload: Payload, validator: FhirValidator, profiles: Sequence[str] = ()) -> list[Issue]:
    """All issues of a FHIR JSON or XML payload; FHIRPath locations with line (and column for JSON)."""
    if payload.format == FHIR_XML:
        return validator.validate_xml(payload.data, profiles)
    assert payload.text is not None
    return validator.validate_json_text(payload.text, profiles)


def setup_issue(exc: Exception) -> Issue:
    """The one fatal issue for a missing core package or an unreadable extra package."""
    if isinstance(exc, CoreMissing):
        return R.CORE_MISSING.issue(str(exc))
    return R.CORE_MISSING.issue(f"the FHIR definitions could not be loaded: {exc}")


class FhirR4Pack:
    """The pack object registered under the entry point ``fhir_r4``."""

    name = "hl7-fhir-r4"
    version = __version__
    family = FAMILY
    rules = FHIR_RULES
    #: detection order: lower than the standard-specific FHIR packs
    priority = -10

    def standards(self) -> list[Standard]:
        return [CORE]

    def detect(self, payload: Payload) -> Standard | None:
        return CORE if payload.format in (FHIR_JSON, FHIR_XML) else None

    def validate(self, payload: Payload, standard: Standard, options: Options) -> list[Issue]:
        try:
            validator = validator_for(_as_list(options.extra.get("ig")))
        except (CoreMissing, PackageError, OSError) as exc:
            return [setup_issue(exc)]
        return validate_fhir(payload, validator, _as_list(options.extra.get("profile")))


def pack() -> FhirR4Pack:
    """Entry point: the FHIR R4 base pack."""
    return FhirR4Pack()
