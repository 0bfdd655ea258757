"""Compiled FHIRPath invariants agree with fhirpathpy (the reference they fall back to), and the
functions fhirpathpy lacks (conformsTo, memberOf, htmlChecks) answer through the validator."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fhirpathpy import evaluate
from fhirpathpy.models import models

from dkhealth_conformance.fhir import fhirpath as fp
from dkhealth_conformance.fhir.packages import Definitions
from dkhealth_conformance.fhir.validator import FhirValidator

from .conftest import constraint_profile, core_with, official_examples


def _compiled(expression: str, resource: Any, constants: dict[str, Any] | None = None) -> list[Any]:
    fn = fp.compile_tree(fp.parse(expression))
    return fn([resource], fp.Env(constants or {"resource": resource, "rootResource": resource}))


def _reference(expression: str, resource: Any) -> list[Any]:
    return list(evaluate(resource, expression, {"resource": resource, "rootResource": resource}, models["r4"]))


T, F = "true", "false"
E = "{}"  # the empty collection
LOGIC = [(a, op, b) for a in (T, F, E) for b in (T, F, E) for op in ("and", "or", "xor", "implies")]


@pytest.mark.parametrize(("a", "op", "b"), LOGIC)
def test_three_valued_logic_matches_fhirpathpy(a: str, op: str, b: str) -> None:
    expression = f"({a}) {op} ({b})"
    assert _compiled(expression, {}) == _reference(expression, {})


PATIENT = {
    "resourceType": "Patient", "id": "p1", "active": True, "gender": "female",
    "name": [{"use": "official", "family": "Hansen", "given": ["Åse", "Marie"]}, {"use": "home", "text": "Å"}],
    "identifier": [{"system": "urn:oid:1.2.208.176.1.2", "value": "0101701234"},
                   {"system": "http://example.org/mrn", "value": "42"}],
    "multipleBirthInteger": 2,
    "extension": [{"url": "http://example.org/a", "valueString": "x"},
                  {"url": "http://example.org/b", "valueCodeableConcept": {"text": "t"}}],
}

EXPRESSIONS = [
    "name.given.count()", "name.given.first()", "name.given.last()", "name.tail().use",
    "name.where(use = 'home').empty()", "name.all(use.exists())", "name.select(given).count() + 1",
    "identifier.where(system = 'urn:oid:1.2.208.176.1.2').value.matches('^[0-9]{10}$')",
    "identifier.value.first().substring(0, 4)", "identifier.value.first().substring(6).toInteger() * 2",
    "identifier[1].value.toInteger() mod 5", "identifier[1].value.toInteger() div 5",
    "identifier[1].value.toInteger() - 50 < 0", "(identifier.count() + name.count()) > 3",
    "multipleBirth = 2", "multipleBirth.exists()", "deceased.exists()", "gender in ('male' | 'female')",
    "('male' | 'female') contains gender", "gender != 'other'", "gender.startsWith('fe')",
    "gender.endsWith('ale') and gender.contains('ema')", "gender.length()", "active.not()",
    "active = true implies gender.exists()", "name.given.isDistinct()", "(name.given | name.given).count()",
    "name.use.intersect('official' | 'temp')", "iif(active, 'yes', 'no')", "iif(active.not(), 'yes')",
    "extension('http://example.org/a').value", "extension('http://example.org/b').value.text",
    "Patient.name.family", "$this.id = 'p1'", "%resource.id & '-' & %resource.gender",
    "name.given.trace('g').count()", "name.where(given.exists(given = 'Åse')).use",
    "identifier.select(system & '|' & value).isDistinct()", "telecom.empty() or telecom.system.exists()",
]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_expressions_match_fhirpathpy(expression: str) -> None:
    assert _compiled(expression, PATIENT) == _reference(expression, PATIENT)


def _answer(expression: str, resource: Any) -> list[Any]:
    """What the validator uses: the compiled result, or fhirpathpy's where the compiled form gives up."""
    try:
        return _compiled(expression, resource)
    except (fp.Fallback, fp.Unsupported):
        return _reference(expression, resource)


ODD = {
    "resourceType": "Patient", "id": "p", "active": False, "gender": "male",
    "name": [{"family": "A", "given": ["x", "y"]}, {"family": "B"}],
    "communication": [{"language": {"text": "da"}, "preferred": True}, {"language": {"text": "en"}}],
    "extension": [
        {"url": "http://example.org/q1", "valueQuantity": {"value": 1, "code": "mg", "unit": "milligram"}},
        {"url": "http://example.org/q2", "valueQuantity": {"value": 1, "code": "mg"}},
        {"url": "http://example.org/s", "_valueString": {"extension": [{"url": "http://example.org/x",
                                                                         "valueCode": "masked"}]}},
        {"url": "http://example.org/two", "valueString": "x", "valueAddress": {"city": "c"}},
        {"url": "http://example.org/c", "valueCodeableConcept": {"coding": [{"code": "a"}]}},
        {"url": "http://example.org/c", "valueCodeableConcept": {"coding": {"code": "a"}}},
    ],
}

#: expressions on which the compiled form once answered differently from fhirpathpy
DIVERGED = [
    # arguments that are not evaluated per item: fhirpathpy evaluates them on $this or the root
    "name.given.first().startsWith(gender)", "name.given.first().startsWith($this.gender)",
    "name.where(family.startsWith($this.family)).count()", "name.family.intersect(name.family)",
    "('x' | 'y').intersect(name.given)", "gender.substring(0, name.count())", "gender.contains(gender)",
    # Quantities are compared as quantities
    "extension[0].value = extension[1].value", "extension[0].value != extension[1].value",
    "extension[0].value.intersect(extension[1].value).count()",
    # a choice element that is a primitive with only extensions, or with two types present
    "extension[2].value.exists()", "extension[2].value.count()", "extension[3].value",
    # one item against a list of one (invalid JSON)
    "extension[4].value = extension[5].value",
    # the member `length` of a string, `$this` after a dot
    "gender.length", "'abc'.length", "name.select(given.$this.family)",
    # \u with other than four hexadecimal digits
    r"'\u0_41'", r"'\u 041'", r"'\u+041'",
]


@pytest.mark.parametrize("expression", DIVERGED)
def test_once_diverging_expressions_match_fhirpathpy(expression: str) -> None:
    assert _answer(expression, ODD) == _reference(expression, ODD)


#: where fhirpathpy differs from the specification (FHIRPath N1) and the compiled form follows
#: the specification; fhirpathpy's answer in the comment
SPECIFIED = [
    ("active.where($this).count()", [0]),  # [1]: false, as fhirpathpy holds it, is truthy in where()
    ("communication.where(%resource.active).count()", [0]),  # [2]
    ("name.exists(%resource.active)", [False]),  # [True]
    ("name.given = ('x' | 'z')", [False]),  # [True]: fhirpathpy compares the first items only
    ("name.given != ('x' | 'z')", [True]),  # [False]
    (r"'\u00e5' = 'å'", [True]),  # [False]: fhirpathpy reads \u with decimal digits only
    (r"'a\/b' = 'a/b'", [True]),  # [False]: \/ is an escape
    (r"'\\u0041'.length()", [6]),  # [1]: \\ is a backslash, then u0041
    (r"'x\\n'.contains('\n')", [False]),  # [True]: fhirpathpy reads \n before \\
    ("(0 - 7) mod 2", [-1]),  # [1]: the remainder of the truncated division
    ("7 mod (0 - 2)", [1]),  # [-1]
    ("(0 - 7) div 2", [-3]),  # [-3]
    ("100000000000000001 div 1", [100000000000000001]),  # [100000000000000000]: a float quotient
    ("''.startsWith('')", [True]),  # [False]
    ("''.endsWith('')", [True]),  # [False]
    ("(gender | 'male').count()", [1]),  # [2]: no duplicates removed between a path and a literal
    ("(name.given | 'x').count()", [2]),  # [3]
    ("ofType(Patient).count()", [1]),  # [0]: fhirpathpy does not type a resource given as a dict
    ("%resource.ofType(Patient).count()", [1]),  # [0]
    ("$this is Patient", [True]),  # [False]
    ("true or 'a'", [True]),  # an error: the right operand is not needed
    ("false and 'a'", [False]),  # an error
]


@pytest.mark.parametrize(("expression", "expected"), SPECIFIED)
def test_where_fhirpathpy_differs_from_the_specification(expression: str, expected: list[Any]) -> None:
    assert _compiled(expression, ODD) == expected


@pytest.mark.parametrize(("expression", "resource"), [
    ("birthDate < deceasedDateTime", {"resourceType": "Patient", "birthDate": "1970",
                                      "deceasedDateTime": "2020-01-01T10:00:00+01:00"}),  # calendar rules
    ("birthDate.exists()", {"resourceType": "Patient", "_birthDate": {"extension": [
        {"url": "http://example.org/x", "valueString": "unknown"}]}}),  # a primitive with extensions only
    ("(name | name).count() = 1", {"resourceType": "Patient", "name": [{"use": "official"}, "odd"]}),
    ("value > 1", {"value": {"value": 2, "system": "http://unitsofmeasure.org", "code": "mg"}}),  # a Quantity
])
def test_typed_values_fall_back_to_fhirpathpy(expression: str, resource: Any) -> None:
    with pytest.raises(fp.Fallback):
        _compiled(expression, resource)


@pytest.mark.parametrize("expression", [
    "birthDate > @2000-01-01", "value is Quantity", "(value as Quantity).value", "children().count()",
    "%`vs-administrative-gender`.exists()", "name ~ name", "-1 < 0", "value / 2",
    "gender.startsWith(name.family)", "name.intersect(name)", "gender.substring($this.id.length())",
    "name.$this", "name.$index", "gender.matches('[')", r"'\u00'",
])
def test_outside_the_subset_is_left_to_fhirpathpy(expression: str) -> None:
    with pytest.raises(fp.Unsupported):
        fp.compile_tree(fp.parse(expression))


def test_a_tree_the_compiler_cannot_read_is_left_to_fhirpathpy() -> None:
    invariant = fp.Invariant("x", {"children": ["not a node"]}, lambda node, context: [True])
    assert invariant.compiled is None
    assert invariant.evaluate({}, lambda: {}, {}, fp.Env({})) == [True]


@pytest.fixture(scope="module")
def profiled(core_definitions: Definitions) -> tuple[FhirValidator, str]:
    """A profile on Bundle whose invariants use conformsTo, memberOf and htmlChecks."""
    patient = constraint_profile("female-patient", "Patient", [
        {"id": "Patient.gender", "path": "Patient.gender", "min": 1, "fixedCode": "female"}])
    bundle = constraint_profile("checked-bundle", "Bundle", [{"id": "Bundle", "path": "Bundle", "constraint": [
        {"key": "cb-1", "severity": "error", "human": "the first entry is a female patient",
         "expression": f"entry[0].resource.conformsTo('{patient['url']}')"},
        {"key": "cb-2", "severity": "error", "human": "patients have an administrative gender",
         "expression": "entry.resource.ofType(Patient).all(gender.memberOf("
                       "'http://hl7.org/fhir/ValueSet/administrative-gender'))"},
        {"key": "cb-3", "severity": "error", "human": "narratives pass the XHTML checks",
         "expression": "entry.resource.text.`div`.all(htmlChecks())"},
    ]}])
    defs, url = core_with(core_definitions, patient, bundle), bundle["url"]
    return FhirValidator(defs), url


def _bundle(url: str, gender: str = "female", div: str = '<div xmlns="http://www.w3.org/1999/xhtml">p</div>'
            ) -> dict[str, Any]:
    return {"resourceType": "Bundle", "meta": {"profile": [url]}, "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:2a0c6b3e-3b7c-4a55-9d2b-0d8c9f1e7a10", "resource": {
            "resourceType": "Patient", "text": {"status": "generated", "div": div}, "gender": gender}}]}


def _invariant_keys(validator: FhirValidator, resource: dict[str, Any]) -> list[str]:
    return sorted(i.message.split(":")[0] for i in validator.validate(resource)
                  if i.rule_id.startswith("fhir.invariant"))


def test_conforms_to_member_of_and_html_checks(profiled: tuple[FhirValidator, str]) -> None:
    validator, url = profiled
    assert _invariant_keys(validator, _bundle(url)) == []
    assert _invariant_keys(validator, _bundle(url, gender="male")) == ["cb-1"]
    assert _invariant_keys(validator, _bundle(url, gender="neuter")) == ["cb-1", "cb-2"]
    script = '<div xmlns="http://www.w3.org/1999/xhtml"><script>x()</script></div>'
    assert "cb-3" in _invariant_keys(validator, _bundle(url, div=script))


@pytest.mark.slow
def test_compiled_invariants_agree_with_fhirpathpy_on_the_official_examples(
        core_definitions: Definitions, examples_tgz: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every invariant evaluation while validating the official R4 examples, compiled and by
    fhirpathpy: the same result wherever the compiled form answers, and it answers almost always."""
    counts: Counter[str] = Counter()
    disagreements: list[tuple[str, str, Any, Any]] = []
    current = [""]

    def both(self: fp.Invariant, focus: Any, make_node: Any, context: dict[str, Any], env: fp.Env) -> list[Any]:
        try:
            expected = self.reference(make_node(), context)
        except Exception:
            counts["reference error"] += 1
            raise
        if self.compiled is None:
            counts["not compiled"] += 1
            return expected
        try:
            got = self.compiled([focus], env)
        except fp.Fallback:
            counts["fallback"] += 1
            return expected
        counts["compiled"] += 1
        if got != expected:
            disagreements.append((current[0], self.expression, got, expected))
        return expected

    monkeypatch.setattr(fp.Invariant, "evaluate", both)
    validator = FhirValidator(core_definitions)
    for name, resource in official_examples(examples_tgz):
        current[0] = name
        validator.validate(resource)
    assert disagreements == []
    assert counts["compiled"] > 400_000
    assert counts["compiled"] / sum(counts.values()) > 0.99


def test_a_tree_naming_another_method_is_not_compiled() -> None:
    """A parse tree read from the on-disk cache could be edited: only expression nodes are compiled."""
    with pytest.raises(fp.Unsupported):
        fp.compile_tree({"children": [{"type": "kids", "children": []}]})
    with pytest.raises(fp.Unsupported):
        fp.compile_tree({"children": [{"type": "constant", "children": []}]})
