"""The compiler's specialised forms (a literal operand, a path walked in one step, sums, literal
``substring``, ``ofType``/``is``/``where``/``all`` inline) answer as fhirpathpy does, also on
empty collections, several items, values of another type and missing values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fhirpathpy import evaluate
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models

from dkhealth_conformance.fhir import fhirpath as fp


def _compiled(expression: str, resource: Any) -> list[Any]:
    fn = fp.compile_tree(fp.parse(expression))
    return fn([resource], fp.Env({"resource": resource, "rootResource": resource}))


def _reference(expression: str, resource: Any) -> list[Any]:
    return list(evaluate(resource, expression, {"resource": resource, "rootResource": resource}, models["r4"]))


PATIENT = {
    "resourceType": "Patient", "id": "p", "active": True, "gender": "female", "birthDate": "1970-01-01",
    "multipleBirthInteger": 3,
    "identifier": [{"system": "urn:oid:1.2.208.176.1.1", "value": "5790000121526"},
                   {"system": "urn:oid:x", "value": "12a"}, {"value": "579000012152"}],
    "name": [{"family": "A", "given": ["x", "y"]}, {"given": ["z"]}],
    "extension": [{"url": "http://example.org/i", "valueInteger": 2},
                  {"url": "http://example.org/d", "valueDecimal": Decimal("2.5")},
                  {"url": "http://example.org/b", "valueBoolean": False}],
}

GLN = ("((10-((value.substring(0,1).toInteger()*1)+(value.substring(1,1).toInteger()*3)"
       "+(value.substring(2,1).toInteger()*1)+(value.substring(3,1).toInteger()*3)"
       "+(value.substring(4,1).toInteger()*1)+(value.substring(5,1).toInteger()*3)"
       "+(value.substring(6,1).toInteger()*1)+(value.substring(7,1).toInteger()*3)"
       "+(value.substring(8,1).toInteger()*1)+(value.substring(9,1).toInteger()*3)"
       "+(value.substring(10,1).toInteger()*1)+(value.substring(11,1).toInteger()*3))mod(10))mod(10))"
       "=value.substring(12,1).toInteger()")

#: (expression, whether the compiled form answers it itself: None where it may leave it to fhirpathpy)
SPECIALISED: list[tuple[str, bool | None]] = [
    # = and != with a literal on one side
    ("gender = 'female'", True), ("gender != 'female'", True), ("'female' = gender", True),
    ("telecom.system = 'phone'", True), ("name.given = 'x'", True), ("name.given != 'x'", True),
    ("multipleBirth = 'x'", False), ("birthDate = '1970-01-01'", False), ("gender = '1970-01-01'", None),
    ("active = true", True), ("active != false", True), ("true = active", True), ("gender = true", False),
    ("multipleBirth = 3", True), ("multipleBirth = 3.0", True), ("multipleBirth != 2", True),
    ("extension[1].value = 2.5", True), ("extension[1].value = 2", True), ("gender = 3", False),
    ("active = 1", False), ("name = 'x'", True), ("name.first() = 'x'", False), ("telecom = {}", True),
    ("extension[2].value = false", True), ("extension.value = 2", True),
    # = between two paths, one item each
    ("name[0].given[0] = name[0].given[0]", True), ("identifier[0] = identifier[0]", True),
    ("identifier[0] = identifier[1]", True), ("name.given = name.given", True), ("gender = name.given", True),
    # comparison with a number literal
    ("multipleBirth > 2", True), ("multipleBirth <= 2.5", True), ("name.given.count() >= 3", True),
    ("gender > 1", False), ("telecom.count() < 1", True), ("telecom.value.toInteger() > 1", True),
    ("name.given > 1", False), ("active > 0", False),
    # arithmetic with an integer literal, and sums
    ("multipleBirth * 2", True), ("multipleBirth * 0", True), ("2 * multipleBirth", True),
    ("multipleBirth mod 2", True), ("multipleBirth div 2", True), ("multipleBirth mod 0", True),
    ("multipleBirth div 0", True), ("10 - multipleBirth", True), ("multipleBirth - 10", True),
    ("telecom.value.toInteger() * 2", True), ("identifier.value.toInteger() * 2", True),
    ("name.given.count() * 2", True), ("gender * 2", False), ("2 * gender", False), ("active * 2", False),
    ("name.given * 2", False), ("2 + gender", False), ("gender + 2", False),
    ("multipleBirth + 1 + 2", True), ("1 + 2 + multipleBirth", True), ("1 + 2 - multipleBirth + 4", True),
    ("gender + 'x' + 'y'", True), ("gender + 'x' - 'y'", False), ("1 + telecom.value.toInteger() + 2", True),
    ("1 + name.given + 2", False), ("name.given + telecom.value + 2", True), ("name.given + 1 + 2", False),
    ("telecom.value + name.given + 2", True), ("1 + 'a' + 2", False), ("extension[1].value + 1 + 1", False),
    ("(multipleBirth * 2) + (multipleBirth * 3) + 1", True), ("(gender * 2) + 1 + 1", False),
    ("(telecom.value.toInteger() * 2) + 1 + 1", True), ("1 + (telecom.value.toInteger() * 2) + 1", True),
    ("(name.given.count() * 2) + (identifier.count() * 3) - 1", True), ("1 + (name.given * 2) + 1", False),
    ("(telecom.value.toInteger() * 2) + (name.given * 2) + 1", False), ("1 + (gender * 2) + 1", False),
    ("(telecom.value.toInteger() * 2) + (gender * 2) + 1", False),
    # substring with integer literals, and toInteger after it
    ("gender.substring(0, 2)", True), ("gender.substring(2)", True), ("gender.substring(10, 1)", True),
    ("gender.substring(0, 0)", True), ("gender.substring(3, 10)", True), ("gender.substring(6)", True),
    ("name.given.substring(0, 1)", False), ("telecom.value.substring(0, 1)", True),
    ("multipleBirth.substring(0, 1)", False), ("gender.substring(1, 2).toInteger()", True),
    ("identifier[0].value.substring(3, 2).toInteger()", True),
    ("identifier[1].value.substring(1, 2).toInteger()", True),
    ("telecom.value.substring(0, 1).toInteger()", True), ("name.given.substring(0, 1).toInteger()", False),
    ("identifier[0].value.substring(20, 1).toInteger()", True), ("active.substring(0, 1).toInteger()", False),
    ("identifier[0].value.substring(0, 3).toInteger().substring(0, 1)", False),
    # string functions with a literal argument
    ("gender.startsWith('fe')", True), ("gender.endsWith('')", None), ("name.given.startsWith('x')", False),
    ("telecom.value.contains('1')", True), ("multipleBirth.startsWith('3')", False),
    # paths in one step
    ("name.given", True), ("name.family", True), ("identifier.value", True), ("Patient.name.given", True),
    ("extension.value", True), ("extension.value.count()", True), ("name.where(family.exists()).given", True),
    ("identifier.system.value", True), ("name.given.family", True), ("Observation.name", False),
    # ofType, is, where, exists, all
    ("identifier.where(system = 'urn:oid:1.2.208.176.1.1' or system = 'urn:oid:x').count()", True),
    ("identifier.where(value).count()", False), ("identifier.exists(system = 'urn:oid:x')", True),
    ("identifier.all(system.exists())", True), ("name.all(given.exists())", True), ("name.all(given)", False),
    ("identifier.all(system = 'urn:oid:1.2.208.176.1.1')", True), ("name.all(family = 'A')", True),
    ("telecom.all(false)", True), ("telecom.where(true)", True), ("name.where(given = 'z').exists()", True),
    ("identifier.where(system.startsWith('urn')).value", True), ("name.exists(given)", False),
    ("name.ofType(Patient)", True), ("name.given.ofType(Patient)", False), ("name.is(Patient)", False),
    ("telecom.is(Patient)", True), ("gender.is(Patient)", False),
    # x = 'a' or x = 'b' or …
    ("identifier.where(system = 'a' or system = 'urn:oid:x' or system = 'b').value", True),
    ("identifier.where(system = 'a' or 'urn:oid:x' = system).value", True),
    ("identifier.where((system = 'a') or (system = 'urn:oid:x')).value", True),
    ("name.given = 'x' or name.given = 'z'", True), ("gender = 'male' or gender = 'female'", True),
    ("gender = 'male' or gender = 'other'", True), ("telecom.system = 'a' or telecom.system = 'b'", True),
    ("multipleBirth = 'x' or multipleBirth = 'y'", False), ("birthDate = 'a' or birthDate = 'b'", False),
    ("active = 'a' or active = 'b'", False), ("name = 'a' or name = 'b'", True),
    ("name.first() = 'a' or name.first() = 'b'", False), ("gender = 'female' or name.family = 'A'", True),
    ("gender = 'male' or name.family = 'A'", True), ("gender = 'male' or gender = 1", False),
    ("gender = 'x' or gender = '2020-01-01'", False), ("gender = 'female' or gender = '2020-01-01'", True),
    ("gender = 'x' or gender != 'y'", True), ("'a' = 'b' or 'a' = 'a'", True),
    # name.f(): the element of one object taken directly
    ("gender.exists()", True), ("name.count()", True), ("identifier.first().value", True),
    ("telecom.exists()", True), ("extension.exists()", True), ("name.given.count()", True),
    ("name.family.exists()", True), ("identifier.value.count()", True),
    # logic
    ("gender or active", False), ("(identifier.count() > 1) xor active", True), ("active and {}", True),
    ("name.given.exists() implies active", True), ("{} implies active", True), ("active implies {}", True),
]

#: the GLN check digit (MedCom) on identifiers right, wrong, short, missing and not digits
GLN_VALUES = ["5790000121526", "5790000121527", "579000012152", None, "57900001215x6", "579O000121526", ""]


def _agrees(expression: str, resource: Any) -> bool:
    """Whether the compiled form answers itself (the same as fhirpathpy), or leaves the input to
    fhirpathpy (which may raise an error for it: the validator then reports nothing)."""
    try:
        got = _compiled(expression, resource)
    except fp.Fallback:
        return False
    assert got == _reference(expression, resource)
    return True


@pytest.mark.parametrize(("expression", "answers"), SPECIALISED)
def test_specialised_forms_match_fhirpathpy(expression: str, answers: bool | None) -> None:
    answered = _agrees(expression, PATIENT)
    if answers is not None:
        assert answered is answers


@pytest.mark.parametrize("value", GLN_VALUES)
def test_the_gln_check_digit_matches_fhirpathpy(value: str | None) -> None:
    identifier = {"system": "urn:oid:1.2.208.176.1.1"} if value is None else {"value": value}
    assert _agrees(GLN, identifier)


def test_the_gln_check_digit_over_several_values_is_left_to_fhirpathpy() -> None:
    with pytest.raises(fp.Fallback):
        _compiled(GLN.replace("value", "name.given"), PATIENT)


BUNDLE = {"resourceType": "Bundle", "type": "collection", "entry": [
    {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient", "id": "a", "name": [{"family": "A"}]}},
    {"fullUrl": "urn:uuid:2"},
    {"fullUrl": "urn:uuid:3", "resource": {"resourceType": "Organization", "id": "o", "name": "O"}},
    {"fullUrl": "urn:uuid:4", "resource": {"resourceType": "Patient", "id": "b"}},
]}


@pytest.mark.parametrize("expression", [
    "Bundle.entry.resource.ofType(Patient).id", "entry.resource.ofType(Patient).name.family",
    "entry.resource.id", "entry.resource.name", "entry.ofType(Patient).count()",
    "entry.where(resource.is(Patient)).count() = 2", "entry.where(resource.is(Organization)).fullUrl",
    "entry.resource.is(Patient)", "entry.resource.ofType(Patient).id = 'a'", "entry.resource.ofType(Patient).id != 'a'",
    "%resource.entry.resource.ofType(Organization).name = 'O'", "entry.fullUrl.ofType(Patient)",
    "entry.resource.ofType(Organization).name.exists() and entry.resource.ofType(Patient).name.exists()",
    "entry.all(resource.exists())", "entry.where(resource.exists()).count()",
    "entry[1].resource.id", "entry.resource.ofType(Patient).first().id",
])
def test_paths_over_several_items_match_fhirpathpy(expression: str) -> None:
    _agrees(expression, BUNDLE)


def test_a_primitive_with_only_extensions_is_left_to_fhirpathpy_on_each_step() -> None:
    resource = {"resourceType": "Patient", "name": [{"family": "A"}, {"_family": {"extension": []}}],
                "contact": [{"name": {"family": "C", "_family": {"id": "x"}}}]}
    for expression in ("name.family", "name.family = 'A'", "contact.name.family", "contact.name.family.exists()"):
        with pytest.raises(fp.Fallback):
            _compiled(expression, resource)
    assert _compiled("name[0].family = 'A'", resource) == [True]


MESSAGE = {"resourceType": "Bundle", "type": "message", "entry": [
    {"fullUrl": "urn:uuid:h", "resource": {"resourceType": "MessageHeader", "id": "h",
                                           "sender": {"reference": "urn:uuid:o1"},
                                           "focus": [{"reference": "urn:uuid:c"}]}},
    {"fullUrl": "urn:uuid:c", "resource": {"resourceType": "Communication", "id": "c",
                                           "recipient": [{"reference": "urn:uuid:o1"}, {"reference": "urn:uuid:o2"}]}},
    {"fullUrl": "urn:uuid:o1", "resource": {"resourceType": "Organization", "id": "o1", "name": "One"}},
    {"fullUrl": "urn:uuid:o2", "resource": {"resourceType": "Organization", "id": "o2", "name": "Two"}},
]}

#: expressions sharing the prefixes ``Bundle.entry.resource.ofType(…)`` and ``….resolve()``
SHARING = [
    "Bundle.entry.resource.ofType(Communication).recipient.reference.resolve().name",
    "Bundle.entry.resource.ofType(Communication).recipient.reference.resolve().id.count()",
    "Bundle.entry.resource.ofType(MessageHeader).sender.reference.resolve() = "
    "Bundle.entry.resource.ofType(Communication).recipient.reference.resolve().first()",
    "Bundle.entry.resource.ofType(Communication).recipient.where(reference.resolve().name = 'Two').reference",
    "entry.resource.ofType(Organization).where(id.resolve().exists()).count()",
    "Bundle.entry.resource.ofType(Communication).exists()",
]


class _Resolver:
    """resolve() over the bundle's full URLs, counting the calls."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.by_url = {e["fullUrl"]: e.get("resource") for e in bundle["entry"]}
        self.calls = 0

    def __call__(self, items: list[Any]) -> list[Any]:
        self.calls += 1
        out = []
        for item in items:
            ref = item.get("reference") if isinstance(item, dict) else item
            if isinstance(ref, str) and self.by_url.get(ref) is not None:
                out.append(self.by_url[ref])
        return out


def test_shared_prefixes_are_evaluated_once_per_environment() -> None:
    compiled = [fp.compile_tree(fp.parse(e)) for e in SHARING]
    expected = [["One", "Two"], [2], [True], ["urn:uuid:o2"], [0], [True]]
    resolver = _Resolver(MESSAGE)
    env = fp.Env({"resource": MESSAGE, "rootResource": MESSAGE}, resolver)
    assert [fn([MESSAGE], env) for fn in compiled] == expected
    shared_calls = resolver.calls
    assert [fn([MESSAGE], env) for fn in compiled] == expected  # again, in the same environment
    assert resolver.calls - shared_calls < shared_calls  # the shared resolve() results are kept
    resolver.calls = 0
    for fn in compiled:  # each in an environment of its own: nothing is shared
        fn([MESSAGE], fp.Env({"resource": MESSAGE, "rootResource": MESSAGE}, resolver))
    assert shared_calls < resolver.calls


def test_shared_prefixes_keep_items_apart() -> None:
    """The where() criteria start from each item: a prefix kept for one is not the other's."""
    first = fp.compile_tree(fp.parse("entry.resource.ofType(Organization).where(name.ofType(Patient).empty()).id"))
    second = fp.compile_tree(fp.parse("entry.resource.ofType(Organization).where(id.ofType(Patient).empty()).count()"))
    env = fp.Env({"resource": MESSAGE, "rootResource": MESSAGE}, _Resolver(MESSAGE))
    with pytest.raises(fp.Fallback):  # a string is not a resource: fhirpathpy decides
        first([MESSAGE], env)
    with pytest.raises(fp.Fallback):
        second([MESSAGE], env)
    with pytest.raises(fp.Fallback):  # nothing was kept for a prefix that gave up
        first([MESSAGE], env)
    other = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Organization", "id": "x"}}]}
    shared = "entry.resource.ofType(Organization).id"
    also = fp.compile_tree(fp.parse("entry.resource.ofType(Organization).count()"))
    fn = fp.compile_tree(fp.parse(shared))
    assert fn([MESSAGE], env) == ["o1", "o2"]
    assert also([MESSAGE], env) == [2]
    assert fn([other], env) == ["x"]  # another focus item in the same environment
    assert also([other], env) == [1]


@pytest.mark.parametrize("expression", SHARING)
def test_shared_prefixes_match_fhirpathpy(expression: str) -> None:
    env = fp.Env({"resource": MESSAGE, "rootResource": MESSAGE}, _Resolver(MESSAGE))
    for other in SHARING:  # the others first, in the same environment
        fp.compile_tree(fp.parse(other))([MESSAGE], env)
    got = fp.compile_tree(fp.parse(expression))([MESSAGE], env)
    resolver = _Resolver(MESSAGE)
    expected = evaluate(MESSAGE, expression, {"resource": MESSAGE, "rootResource": MESSAGE}, models["r4"], options={
        "userInvocationTable": {"resolve": {"fn": lambda inputs: [
            ResourceNode.create_node(r, r["resourceType"]) for r in resolver([
                i.data if isinstance(i, ResourceNode) else i for i in inputs])], "arity": {0: []}}}})
    assert got == list(expected)


@pytest.mark.parametrize(("expression", "resource", "answers"), [
    ("gender.exists()", {"resourceType": "Patient", "gender": "male", "_gender": {"id": "g"}}, False),
    ("gender.exists()", {"resourceType": "Patient", "_gender": {"id": "g"}}, False),
    ("gender.exists()", {"resourceType": "Patient"}, True),
    ("deceased.exists()", {"resourceType": "Patient", "deceasedBoolean": True}, True),
    ("deceased.count()", {"resourceType": "Patient", "deceasedBoolean": True, "deceasedDateTime": "2020"}, False),
    ("deceased.not()", {"resourceType": "Patient", "deceasedBoolean": False}, True),
    ("value.substring(0, 1).toInteger()", {"value": "12"}, True),
    ("value.substring(0, 1).toInteger()", {"value": ["1", "2"]}, False),
    ("value.substring(0, 1).toInteger()", {"value": []}, True),
    ("value.substring(0, 1).toInteger()", {"value": 12}, False),
    ("system = 'a' or system = 'b'", {"system": "b", "_system": {"id": "s"}}, False),
    ("system = 'a' or system = 'b'", {"system": ["a", "b"]}, True),
    ("system = 'a' or system = 'b'", {"system": "2020-01-01"}, False),
])
def test_elements_taken_directly_match_fhirpathpy(expression: str, resource: dict[str, Any], answers: bool) -> None:
    assert _agrees(expression, resource) is answers


def test_of_type_after_a_shared_prefix_groups_it_once_per_item() -> None:
    """``entry.resource.ofType(X)`` for several X in one environment: the prefix is walked once per
    focus item, and each type gets what fhirpathpy gives, in order; an entry that is not a resource
    leaves every type to fhirpathpy."""
    types = ["Organization", "MessageHeader", "Patient", "Communication", "Organization"]
    compiled = [fp.compile_tree(fp.parse(f"entry.resource.ofType({t}).id")) for t in types]
    env = fp.Env({"resource": MESSAGE, "rootResource": MESSAGE})
    for t, fn in zip(types, compiled, strict=True):
        assert fn([MESSAGE], env) == _reference(f"entry.resource.ofType({t}).id", MESSAGE)
    kept = [v[1] for v in env.memo.values() if isinstance(v[1], dict)]
    assert len(kept) == 1 and sorted(kept[0]) == ["Communication", "MessageHeader", "Organization"]
    other = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "id": "p"}}]}
    assert compiled[2]([other], env) == ["p"]  # another item in the same environment
    assert compiled[0]([other], env) == []
    odd = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "id": "p"}},
                                               {"resource": "not a resource"}]}
    for fn in compiled:
        with pytest.raises(fp.Fallback):
            fn([odd], env)
