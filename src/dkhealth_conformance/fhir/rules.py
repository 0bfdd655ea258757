"""Rules of the FHIR R4 engine: set-up, structure, primitive formats and cardinality."""

from __future__ import annotations

from ..report import Severity
from ..rules import RuleSet

FHIR_RULES = RuleSet("fhir")
_R = FHIR_RULES.add
FATAL, ERROR = Severity.FATAL, Severity.ERROR
_JSON = "FHIR R4 §2.6.2 JSON representation (http://hl7.org/fhir/R4/json.html)"
_TYPES = "FHIR R4 §2.24 Data types, primitive types (http://hl7.org/fhir/R4/datatypes.html#primitive)"

# ---------------------------------------------------------------------------------- set-up

CORE_MISSING = _R(
    "fhir.setup.core-missing", FATAL, "The FHIR R4 core package is not installed",
    issue_type="not-found",
    source="dkhealth-conformance: FHIR package cache (docs/fhir.md)",
    rationale="FHIR content is checked against the official hl7.fhir.r4.core 4.0.1 definitions, "
    "which are obtained once with `dkconform fhir setup` and then used offline. Without them no "
    "FHIR check can run, so validation stops with this one message.",
    example="dkconform check patient.json   (before `dkconform fhir setup`)",
)

# ------------------------------------------------------------------------------- structure

RESOURCE_TYPE = _R(
    "fhir.structure.resource-type", ERROR, "resourceType is missing or names no FHIR R4 resource",
    issue_type="structure",
    source=_JSON + ": resourceType",
    rationale="Every resource in JSON, including contained and Bundle entry resources, starts with "
    "a resourceType naming one of the R4 resources; without it the content cannot be read.",
    example='{"resourceType": "Patinet", "id": "p1"}',
)
UNKNOWN_ELEMENT = _R(
    "fhir.structure.unknown-element", ERROR, "Element not defined for this type",
    issue_type="structure",
    source=_JSON + "; the resource and data type definitions",
    rationale="A receiver ignores or rejects elements its definitions do not know; a misspelt "
    "element name silently loses the data. Extensions are the place for extra content.",
    example='{"resourceType": "Patient", "birthdate": "1970-01-01"}  (birthDate)',
)
JSON_TYPE = _R(
    "fhir.structure.json-type", ERROR, "Wrong JSON type for the element",
    issue_type="structure",
    source=_JSON + ": primitive values (boolean, number, string) and objects",
    rationale="FHIR JSON fixes the JSON type of each element: booleans are true/false, integer and "
    "decimal are numbers, every other primitive is a string, complex types are objects.",
    example='{"resourceType": "Patient", "active": "true"}',
)
ARRAY_EXPECTED = _R(
    "fhir.structure.array-expected", ERROR, "A repeating element must be a JSON array",
    issue_type="structure",
    source=_JSON + ": elements that may repeat are always arrays, even with one item",
    rationale="Elements with a maximum cardinality above 1 in the base definition are arrays in "
    "JSON whatever their count, so that a parser does not need to guess.",
    example='{"resourceType": "Patient", "name": {"family": "Hansen"}}',
)
ARRAY_UNEXPECTED = _R(
    "fhir.structure.array-unexpected", ERROR, "A single-valued element must not be a JSON array",
    issue_type="structure",
    source=_JSON + ": elements with maximum cardinality 1 are never arrays",
    rationale="An array for a single-valued element means several values where only one is "
    "allowed; a receiver would take one of them or fail.",
    example='{"resourceType": "Patient", "gender": ["female"]}',
)
EMPTY = _R(
    "fhir.structure.empty", ERROR, "Empty string, object or array",
    issue_type="structure",
    source=_JSON + ": empty values are not allowed; an element is either absent or has content",
    rationale="FHIR has no empty elements: a string has at least one character, an object at "
    "least one property, an array at least one item. Leave the element out instead.",
    example='{"resourceType": "Patient", "name": []}',
)
NULL = _R(
    "fhir.structure.null", ERROR, "null where a value is required",
    issue_type="structure",
    source=_JSON + ": null only keeps arrays of primitives aligned with their _ extension array",
    rationale="null is allowed only inside an array of primitives whose matching `_element` entry "
    "carries an id or extensions; anywhere else it is not a FHIR value.",
    example='{"resourceType": "Patient", "active": null}',
)
PRIMITIVE_EXTENSION = _R(
    "fhir.structure.primitive-extension", ERROR, "Malformed _element (id and extensions of a primitive)",
    issue_type="structure",
    source=_JSON + ": representation of primitive elements (`_birthDate`)",
    rationale="A primitive's id and extensions go in an object named `_element`, which holds only "
    "`id` and `extension`; for repeating primitives both arrays have the same length.",
    example='{"resourceType": "Patient", "_birthDate": "1970"}',
)

# ------------------------------------------------------------------------------ cardinality

CARDINALITY_MIN = _R(
    "fhir.cardinality.min", ERROR, "Required element missing or too few repetitions",
    issue_type="required",
    source="FHIR R4 ElementDefinition.min (http://hl7.org/fhir/R4/elementdefinition.html)",
    rationale="The definition requires at least `min` occurrences of the element; a receiver relies "
    "on it being there.",
    example='{"resourceType": "Observation", "code": {"text": "x"}}  (status is 1..1)',
)
CARDINALITY_MAX = _R(
    "fhir.cardinality.max", ERROR, "Too many repetitions of an element",
    issue_type="structure",
    source="FHIR R4 ElementDefinition.max (http://hl7.org/fhir/R4/elementdefinition.html)",
    rationale="The definition allows at most `max` occurrences; further ones cannot be handled "
    "by a receiver built on the definition.",
    example="a profile limiting Patient.name to 1..1 and an instance with two names",
)

# ---------------------------------------------------------------------------- primitives

PRIMITIVE_INTEGER = _R(
    "fhir.primitive.integer", ERROR, "Not a valid integer, positiveInt or unsignedInt",
    source=_TYPES + ": integer is 32-bit signed; positiveInt >= 1; unsignedInt >= 0",
    rationale="Integers outside the 32-bit range, with a fraction, or below the type's minimum do "
    "not fit the receiving systems' integer fields.",
    example='"multipleBirthInteger": 2147483648',
)
PRIMITIVE_DECIMAL = _R(
    "fhir.primitive.decimal", ERROR, "Not a valid decimal",
    source=_TYPES + ": decimal",
    rationale="Decimals are finite JSON numbers; NaN and Infinity (accepted by some JSON parsers) "
    "are not FHIR values.",
    example='"valueQuantity": {"value": NaN}',
)
PRIMITIVE_DATE = _R(
    "fhir.primitive.date", ERROR, "Not a valid date (YYYY, YYYY-MM or YYYY-MM-DD, a real day)",
    source=_TYPES + ": date",
    rationale="A date is a partial or full calendar date without time; 2023-02-29 and 2024-13-01 "
    "do not exist and break date arithmetic at the receiver.",
    example='"birthDate": "2023-02-29"',
)
PRIMITIVE_DATETIME = _R(
    "fhir.primitive.dateTime", ERROR, "Not a valid dateTime (a time needs seconds and a time zone)",
    source=_TYPES + ": dateTime",
    rationale="A dateTime is a date, optionally with a time; when a time is given, seconds and a "
    "time zone (Z or ±hh:mm) are required, and the date must exist.",
    example='"effectiveDateTime": "2024-05-01T10:00"',
)
PRIMITIVE_INSTANT = _R(
    "fhir.primitive.instant", ERROR, "Not a valid instant (full date, time with seconds and time zone)",
    source=_TYPES + ": instant",
    rationale="An instant is an exact moment: year to seconds plus a time zone, on a real day.",
    example='"issued": "2024-05-01"',
)
PRIMITIVE_TIME = _R(
    "fhir.primitive.time", ERROR, "Not a valid time (hh:mm:ss, no time zone)",
    source=_TYPES + ": time",
    rationale="A time of day is hh:mm:ss with optional fractions, without a date or time zone.",
    example='"valueTime": "25:00:00"',
)
PRIMITIVE_ID = _R(
    "fhir.primitive.id", ERROR, "Not a valid id (1-64 of A-Z a-z 0-9 - .)",
    source=_TYPES + ": id",
    rationale="Resource and element ids appear in URLs and references; other characters or more "
    "than 64 of them break references and servers.",
    example='"id": "patient_1"',
)
PRIMITIVE_CODE = _R(
    "fhir.primitive.code", ERROR, "Not a valid code (no leading, trailing or double white space)",
    source=_TYPES + ": code",
    rationale="Codes are compared exactly; white space at the ends or doubled inside makes a code "
    "that matches nothing.",
    example='"gender": " female"',
)
PRIMITIVE_URI = _R(
    "fhir.primitive.uri", ERROR, "Not a valid uri, url or canonical (no white space)",
    source=_TYPES + ": uri, url, canonical",
    rationale="URIs identify systems and resources and are compared exactly; white space is not "
    "allowed in them.",
    example='"system": "urn:oid:1.2.208.176.1.2 "',
)
PRIMITIVE_OID = _R(
    "fhir.primitive.oid", ERROR, "Not a valid oid (urn:oid:...)",
    source=_TYPES + ": oid",
    rationale="An oid value is written as urn:oid: followed by the dotted number.",
    example='"valueOid": "1.2.208.176.1.2"',
)
PRIMITIVE_UUID = _R(
    "fhir.primitive.uuid", ERROR, "Not a valid uuid (urn:uuid: and lower-case hex)",
    source=_TYPES + ": uuid",
    rationale="A uuid value is urn:uuid: followed by the canonical lower-case form.",
    example='"valueUuid": "urn:uuid:C757873D-EC9A-4326-A141-556F43239520"',
)
PRIMITIVE_BASE64 = _R(
    "fhir.primitive.base64Binary", ERROR, "Not valid base64",
    source=_TYPES + ": base64Binary",
    rationale="Attachments and binary content must decode; other characters or a length that is "
    "not a multiple of four mean a damaged payload.",
    example='"data": "SGVsbG8*"',
)
PRIMITIVE_STRING = _R(
    "fhir.primitive.string", ERROR, "Not a valid string (control characters, half a surrogate pair, longer than 1 MB)",
    source=_TYPES + ": string, markdown",
    rationale="Strings hold text: control characters other than tab, CR and LF cannot be written "
    "in XML and are not allowed, half of a surrogate pair (a JSON \\ud800 escape alone) is no "
    "character at all, and a string is at most 1 MB.",
    example='"family": "Hansen\\u0007"',
)

# ---------------------------------------------------------------------------------- profiles

PROFILE_UNKNOWN = _R(
    "fhir.profile.unknown", Severity.WARNING, "meta.profile names a profile that is not loaded",
    issue_type="not-found",
    source="FHIR R4 Resource.meta.profile (http://hl7.org/fhir/R4/resource.html#Meta)",
    rationale="A resource claims conformance to a profile the validator does not have, so that "
    "claim is not checked. Load the package that defines it (--ig) to check it.",
    example='"meta": {"profile": ["http://example.org/StructureDefinition/unknown"]}',
)
PROFILE_NOT_APPLICABLE = _R(
    "fhir.profile.not-applicable", ERROR, "The profile is for another resource type",
    issue_type="invalid",
    source="FHIR R4 StructureDefinition.type (http://hl7.org/fhir/R4/structuredefinition.html)",
    rationale="A profile constrains one resource type; a Patient cannot conform to an Observation "
    "profile.",
    example='{"resourceType": "Patient", "meta": {"profile": ["http://hl7.org/fhir/StructureDefinition/bp"]}}',
)
FIXED = _R(
    "fhir.profile.fixed", ERROR, "Value differs from the value the profile fixes",
    issue_type="value",
    source="FHIR R4 ElementDefinition.fixed[x] (http://hl7.org/fhir/R4/elementdefinition.html)",
    rationale="A fixed value must be matched exactly, including every property of a complex value "
    "and nothing more.",
    example='Observation.code.coding.system fixed to http://loinc.org, given http://snomed.info/sct',
)
PATTERN = _R(
    "fhir.profile.pattern", ERROR, "Value does not contain the pattern the profile requires",
    issue_type="value",
    source="FHIR R4 ElementDefinition.pattern[x] (http://hl7.org/fhir/R4/elementdefinition.html)",
    rationale="A pattern lists values the instance must carry (for a CodeableConcept, a coding "
    "with that system and code); other properties may be added.",
    example='vital signs category: a coding with system observation-category and code vital-signs',
)
SLICE_UNMATCHED = _R(
    "fhir.slicing.unmatched", ERROR, "Item matches no slice of a closed slicing",
    issue_type="structure",
    source="FHIR R4 ElementDefinition.slicing.rules = closed (http://hl7.org/fhir/R4/profiling.html#slicing)",
    rationale="When the slicing is closed, every repetition must be one of the defined slices; "
    "other content is not allowed.",
    example="a second Observation.value[x] type where the profile allows only valueQuantity",
)

# -------------------------------------------------------------------------------- terminology

BINDING_REQUIRED = _R(
    "fhir.binding.required", ERROR, "Code not in the value set of a required binding",
    issue_type="code-invalid",
    source="FHIR R4 §2.24.0.3 Terminology bindings: required (http://hl7.org/fhir/R4/terminologies.html#required)",
    rationale="A required binding means the code SHALL come from the value set; receivers are "
    "built on exactly those codes.",
    example='{"resourceType": "Patient", "gender": "f"}',
)
BINDING_EXTENSIBLE = _R(
    "fhir.binding.extensible", Severity.WARNING, "No code from the value set of an extensible binding",
    issue_type="code-invalid",
    source="FHIR R4 §2.24.0.3 Terminology bindings: extensible "
    "(http://hl7.org/fhir/R4/terminologies.html#extensible)",
    rationale="An extensible binding means a code from the value set SHALL be used when one fits; "
    "other codes are allowed only when none does, so a code from outside deserves a look.",
    example="Observation.code of a vital-signs profile without a code from the vital signs value set",
)
BINDING_UNKNOWN_VALUESET = _R(
    "fhir.binding.unknown-valueset", Severity.WARNING, "The bound value set is not loaded",
    issue_type="not-found",
    source="FHIR R4 ElementDefinition.binding.valueSet",
    rationale="The code cannot be checked against a value set the validator does not have; load the "
    "package that defines it.",
    example="a profile binding a code to a value set from a package that is not installed",
)
UNKNOWN_CODE = _R(
    "fhir.terminology.unknown-code", ERROR, "The code does not exist in its code system",
    issue_type="code-invalid",
    source="FHIR R4 Coding.code and CodeSystem.concept (http://hl7.org/fhir/R4/codesystem.html)",
    rationale="A code of a code system the validator has in full (content complete) must be one "
    "of its concepts; a misspelt code means nothing to the receiver.",
    example='{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-sign"}',
)
NOT_CHECKED = _R(
    "fhir.terminology.not-checked", Severity.INFORMATION, "Codes of an external code system are not checked offline",
    issue_type="informational",
    source="dkhealth-conformance: offline terminology (docs/fhir.md)",
    rationale="SNOMED CT, LOINC, UCUM and other large or licensed code systems are not in the "
    "FHIR core package and validation never goes online, so their codes are not checked. Reported "
    "once per code system and resource.",
    example='{"system": "http://loinc.org", "code": "85354-9"}',
)

# --------------------------------------------------------------------------------- invariants

INVARIANT = _R(
    "fhir.invariant", ERROR, "An invariant (FHIRPath constraint) of the definition is not met",
    issue_type="invariant",
    source="FHIR R4 ElementDefinition.constraint (http://hl7.org/fhir/R4/conformance-rules.html#constraints)",
    rationale="Definitions state rules across elements as FHIRPath invariants (obs-6: dataAbsentReason "
    "only without a value; per-1: a period starts before it ends). Each finding's rule id names the "
    "invariant: fhir.invariant.<key> (fhir.invariant.obs-6, fhir.invariant.medcom-messaging-1), and the "
    "message starts with the key and the invariant's human text; invariants of severity warning are "
    "reported as warnings.",
    example='{"resourceType": "Observation", ..., "valueString": "x", "dataAbsentReason": {...}}  (obs-6)',
    keyed=True,
)

# ---------------------------------------------------------------------------------- narrative

NARRATIVE_XHTML = _R(
    "fhir.narrative.xhtml", ERROR, "Narrative XHTML uses elements or attributes FHIR does not allow",
    issue_type="invalid",
    source="FHIR R4 Narrative txt-1 (http://hl7.org/fhir/R4/narrative.html#xhtml)",
    rationale="The narrative is shown to people by any receiving system: only basic formatting "
    "HTML is allowed, never scripts, forms, frames, objects, event handlers or script URLs, "
    "which would run in the viewer.",
    example='<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="alert(1)">x</p></div>',
)
NARRATIVE_EMPTY = _R(
    "fhir.narrative.empty", ERROR, "Narrative without content",
    issue_type="invalid",
    source="FHIR R4 Narrative txt-2 (http://hl7.org/fhir/R4/narrative.html)",
    rationale="A narrative is for reading; one with nothing but white space tells the reader "
    "nothing and hides that the text is missing.",
    example='<div xmlns="http://www.w3.org/1999/xhtml">  </div>',
)

# --------------------------------------------------------------------------------- references

REFERENCE_UNRESOLVED = _R(
    "fhir.reference.unresolved", ERROR, "A local reference does not resolve",
    issue_type="not-found",
    source="FHIR R4 References (http://hl7.org/fhir/R4/references.html) and Bundle resolution "
    "(http://hl7.org/fhir/R4/bundle.html#references)",
    rationale="A reference to a contained resource (#id) or to a Bundle entry by urn:uuid/urn:oid "
    "can only point inside the payload; when nothing there has that id or fullUrl, the receiver "
    "cannot follow it.",
    example='"subject": {"reference": "urn:uuid:0c8a5b8e-7c26-4b5e-9c7a-3c1c1e0f0a01"} with no such entry',
)
REFERENCE_TARGET_TYPE = _R(
    "fhir.reference.target-type", ERROR, "The reference points to a resource type the element does not allow",
    issue_type="structure",
    source="FHIR R4 ElementDefinition.type.targetProfile (http://hl7.org/fhir/R4/elementdefinition.html)",
    rationale="Each Reference element lists the resource types (target profiles) it may point to; "
    "Observation.subject cannot be a Medication.",
    example='{"resourceType": "Observation", "subject": {"reference": "Medication/1"}, ...}',
)

# --------------------------------------------------------------------------------- extensions

EXTENSION_UNKNOWN = _R(
    "fhir.extension.unknown", Severity.WARNING, "Extension whose definition is not loaded",
    issue_type="extension",
    source="FHIR R4 Extensibility (http://hl7.org/fhir/R4/extensibility.html)",
    rationale="An extension is checked against its definition (its url); when the definition is not "
    "loaded, its content is not checked. Load the package that defines it.",
    example='"extension": [{"url": "http://example.org/unknown", "valueString": "x"}]',
)
EXTENSION_CONTEXT = _R(
    "fhir.extension.context", ERROR, "Extension used where its definition does not allow it",
    issue_type="structure",
    source="FHIR R4 StructureDefinition.context (http://hl7.org/fhir/R4/defining-extensions.html#context)",
    rationale="An extension definition names the elements it may appear on (its context); used "
    "elsewhere, the receiver cannot interpret it as its author meant.",
    example='{"resourceType": "Observation", "extension": [{"url": '
    '"http://hl7.org/fhir/StructureDefinition/patient-birthPlace", "valueAddress": {"city": "Aarhus"}}], ...}',
)

# ----------------------------------------------------------------------- references (profiles)

REFERENCE_TARGET_PROFILE = _R(
    "fhir.reference.target-profile", ERROR, "The referenced resource does not conform to a target profile",
    issue_type="structure",
    source="FHIR R4 ElementDefinition.type.targetProfile (http://hl7.org/fhir/R4/elementdefinition.html)",
    rationale="When a profile constrains a Reference to target profiles (a MedCom patient, an "
    "organization with a SOR identifier), the resource the reference resolves to inside the payload "
    "must conform to at least one of them, not merely have the right type.",
    example='MessageHeader.sender pointing to an Organization entry without the SOR identifier the '
    'target profile requires',
)
REFERENCE_AGGREGATION = _R(
    "fhir.reference.aggregation", ERROR, "The reference is not of a kind the element's aggregation allows",
    issue_type="structure",
    source="FHIR R4 ElementDefinition.type.aggregation "
    "(http://hl7.org/fhir/R4/valueset-resource-aggregation-mode.html)",
    rationale="aggregation says how a referenced resource travels with the reference: contained (#id), "
    "bundled (an entry of the same Bundle) or referenced (anywhere). A profile that says bundled "
    "requires the target in the message itself.",
    example='MessageHeader.focus (aggregation bundled) with a reference no Bundle entry has',
)

# ---------------------------------------------------------------------------------- slicing order

SLICE_ORDER = _R(
    "fhir.slicing.ordered", ERROR, "Slices out of the order the slicing requires",
    issue_type="structure",
    source="FHIR R4 ElementDefinition.slicing.ordered (http://hl7.org/fhir/R4/profiling.html#slicing)",
    rationale="With ordered slicing, repetitions appear in the order in which the slices are defined; "
    "a receiver may rely on it.",
    example="a component of the second slice before one of the first",
)
SLICE_OPEN_AT_END = _R(
    "fhir.slicing.open-at-end", ERROR, "Repetitions outside the slices before the last slice (openAtEnd)",
    issue_type="structure",
    source="FHIR R4 ElementDefinition.slicing.rules openAtEnd (http://hl7.org/fhir/R4/profiling.html#slicing)",
    rationale="With the rule openAtEnd, repetitions that belong to no slice are allowed only after all "
    "the sliced ones.",
    example="an unmatched identifier followed by one of a defined slice",
)
