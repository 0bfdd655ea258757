"""The walk's shortcuts change nothing: a primitive found plainly well formed has nothing to report,
and a validator without the shortcuts (well-formed tests, per-element dispatch and direct object
walks, slice lookup by discriminator value) finds exactly the same issues on the MedCom examples,
valid and invalid, on each value of them changed, and on generated messages and near misses."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dkhealth_conformance.data import examples_dir
from dkhealth_conformance.fhir import validator as V
from dkhealth_conformance.fhir.validator import FhirValidator
from dkhealth_conformance.packs.medcom_fhir import KINDS, claim_json, compiled
from dkhealth_conformance.strategies.medcom_fhir import invalid_medcom_messages, medcom_messages

#: characters that exercise every branch of the primitive checks
ALPHABET = ["a", "Z", "0", "9", "1", " ", "\t", "\n", "\x01", "\x0b", "\x1f", "\x7f", "é", "\u00a0", "\u2028", "\ud800",
            "-", ":", "T", "+", "/", "=", ".", "Z", "2", "3"]
STRING_TYPES = ["string", "markdown", "uri", "url", "canonical", "code", "id", "oid", "uuid", "base64Binary",
                "date", "dateTime", "instant", "time"]


def _full_check(code: str, value: Any) -> list[Any]:
    """The issues of the primitive check with no well-formed shortcut."""
    validator = FhirValidator.__new__(FhirValidator)
    shortcut = V._WELL_FORMED.pop(code)
    try:
        out: list[Any] = []
        validator._primitive(out, value, code, "x")
        return out
    finally:
        V._WELL_FORMED[code] = shortcut


@pytest.mark.parametrize("code", STRING_TYPES)
def test_plainly_well_formed_strings_have_nothing_to_report(code: str) -> None:
    rng = random.Random(code)
    samples = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 8))) for _ in range(4000)]
    samples += ["2024-02-29", "2023-02-29", "2024-04-31", "2024-05-01", "2024", "2024-05-01T12:00:00+02:00", "12:00:00",
                "urn:uuid:93bce856-ca08-43dd-804f-d65ce1181284", "urn:oid:1.2.208", "QUJD", "a b", "a  b"]
    plain = V._WELL_FORMED[code]
    accepted = 0
    for value in samples:
        if plain(value):
            accepted += 1
            assert _full_check(code, value) == [], (code, value)
    assert accepted > 0  # the shortcut is taken for some values of every type


@pytest.mark.parametrize("code", ["boolean", "integer", "positiveInt", "unsignedInt"])
@pytest.mark.parametrize("value", [True, False, 0, 1, -1, 2**31 - 1, 2**31, -(2**31), 1.0, Decimal("1"), "1", None])
def test_plainly_well_formed_numbers_have_nothing_to_report(code: str, value: Any) -> None:
    if V._WELL_FORMED[code](value):
        assert _full_check(code, value) == []
    else:
        assert _full_check(code, value) != []  # only plain values are taken: the rest all fail here


@contextmanager
def _no_shortcuts() -> Iterator[None]:
    saved = (FhirValidator._dispatch, FhirValidator._slice_index, dict(V._WELL_FORMED))
    FhirValidator._dispatch = lambda self, node, tree: {}  # type: ignore[method-assign]
    FhirValidator._slice_index = lambda self, *args: None  # type: ignore[method-assign]
    V._WELL_FORMED.clear()
    try:
        yield
    finally:
        FhirValidator._dispatch, FhirValidator._slice_index = saved[0], saved[1]  # type: ignore[method-assign]
        V._WELL_FORMED.update(saved[2])


_PLAIN: dict[str, FhirValidator] = {}


def _same_issues(bundle: dict[str, Any]) -> None:
    claim = claim_json(bundle)
    kind = claim.kind if claim is not None else KINDS[0]
    validator, _ = compiled(kind)
    if kind.id not in _PLAIN:
        _PLAIN[kind.id] = FhirValidator(validator.defs)  # trees of its own: nodes made without shortcuts
    fast = [str(i) for i in validator.validate(bundle, None, [kind.message_profile])]
    with _no_shortcuts():
        plain = [str(i) for i in _PLAIN[kind.id].validate(bundle, None, [kind.message_profile])]
    assert fast == plain


def _example_bundles() -> list[Any]:
    return sorted((examples_dir() / "medcom-fhir").glob("*.json"))


@pytest.mark.parametrize("path", _example_bundles(), ids=lambda p: p.name)
def test_examples_give_the_same_issues_without_shortcuts(path: Any) -> None:
    _same_issues(json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal))


_SETTINGS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@_SETTINGS
@given(medcom_messages())
def test_generated_messages_give_the_same_issues_without_shortcuts(bundle: dict[str, Any]) -> None:
    _same_issues(json.loads(json.dumps(bundle), parse_float=Decimal))


@_SETTINGS
@given(st.data())
def test_near_misses_give_the_same_issues_without_shortcuts(data: st.DataObject) -> None:
    case = data.draw(invalid_medcom_messages())
    _same_issues(json.loads(json.dumps(case.bundle), parse_float=Decimal))


#: what a primitive value of an example is replaced with in the perturbed messages
REPLACEMENTS = ["x", "", " a", "a ", "a\x01b", "2024-02-30", "2024-02-29", "2024-05-01T12:00:00", "urn:uuid:x",
                "http://example.org/x", "official", "5790000209354", "0", 0, -1, 1.5, True, None, [], {}, ["x"]]


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The paths of the primitive values inside a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "resourceType":
                yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))
    else:
        yield path


def _replaced(bundle: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(bundle, default=str), parse_float=Decimal)
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


_VALID_EXAMPLES = [p for p in _example_bundles() if not p.with_name(p.name + ".expected").exists()]


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_perturbed_examples_give_the_same_issues_without_shortcuts(data: st.DataObject) -> None:
    """One primitive value of a valid example replaced (a fixed value, a format, a type, a slice's
    discriminator, a code): the shortcuts must still find what the full walk finds."""
    path = data.draw(st.sampled_from(_VALID_EXAMPLES))
    bundle = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    leaf = data.draw(st.sampled_from(list(_leaves(bundle))))
    _same_issues(_replaced(bundle, leaf, data.draw(st.sampled_from(REPLACEMENTS))))


@pytest.mark.parametrize("name", ["carecommunication-new-message.json", "hospitalnotification-stin.json",
                                  "acknowledgement-ok.json"])
def test_every_value_changed_gives_the_same_issues_without_shortcuts(name: str) -> None:
    """Each primitive value of one message per standard, in turn, replaced by another string, an
    empty one, one with a control character, and a number."""
    bundle = json.loads((examples_dir() / "medcom-fhir" / name).read_text(encoding="utf-8"), parse_float=Decimal)
    for leaf in _leaves(bundle):
        for value in ("x", "", "a\x01b", 7):
            _same_issues(_replaced(bundle, leaf, value))


#: values for the codes, fixed strings and narratives the walk settles in one test: other codes of
#: the same value set, codes of none, near misses of a fixed URL, narratives with and without problems
_PLAIN_CANDIDATES = ["additional", "extensions", "empty", "usual", "temp", "secondary", "old", "Generated",
                     "generated ", "completed", "message", "document", "http://medcomfhir.dk/ig/x",
                     '<div xmlns="http://www.w3.org/1999/xhtml"> </div>',
                     '<div xmlns="http://www.w3.org/1999/xhtml"><img src="x.png"/></div>',
                     '<div xmlns="http://www.w3.org/1999/xhtml"><script>x</script></div>',
                     '<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x">a</p></div>',
                     '<div xmlns="http://www.w3.org/1999/xhtml">a &amp; b</div>', "<div>a</div>"]


@pytest.mark.parametrize("name", ["carecommunication-new-message.json", "hospitalnotification-stin.json",
                                  "acknowledgement-ok.json"])
def test_codes_fixed_values_and_narratives_give_the_same_issues_without_shortcuts(name: str) -> None:
    """Every status, use, type, url and narrative div of one message per standard, in turn, replaced
    by codes of the same and other value sets, near misses and narratives that need a closer look."""
    bundle = json.loads((examples_dir() / "medcom-fhir" / name).read_text(encoding="utf-8"), parse_float=Decimal)
    leaves = [leaf for leaf in _leaves(bundle) if leaf[-1] in ("status", "use", "type", "url", "div", "code")]
    assert len(leaves) > 10
    for leaf in leaves:
        for value in _PLAIN_CANDIDATES:
            _same_issues(_replaced(bundle, leaf, value))


def _objects(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The paths of the objects inside a JSON value (itself left out)."""
    if isinstance(value, dict):
        if path:
            yield path
        for key, item in value.items():
            yield from _objects(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _objects(item, (*path, i))


@pytest.mark.parametrize("name", ["carecommunication-new-message.json", "hospitalnotification-stin.json"])
def test_objects_replaced_give_the_same_issues_without_shortcuts(name: str) -> None:
    """Each object of one message per standard (an item of a list of objects, a resource of an
    entry, a single object), in turn, replaced by a string, an empty object, null, an array, an
    array holding an empty object, and a number: the objects walked directly are walked as the
    full walk walks them."""
    bundle = json.loads((examples_dir() / "medcom-fhir" / name).read_text(encoding="utf-8"), parse_float=Decimal)
    for where in _objects(bundle):
        for value in ("x", {}, None, [], [{}], 7):
            _same_issues(_replaced(bundle, where, value))


def _overlapping_slices() -> dict[str, Any]:
    """Patient.identifier sliced by system, two slices sharing a system: the first one listed takes
    an identifier of that system (and allows one)."""
    from .conftest import constraint_profile

    sliced = {"id": "Patient.identifier", "path": "Patient.identifier",
              "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}}
    elements: list[dict[str, Any]] = [sliced]
    for name, system, extra in (("first", "urn:a", {"max": "1"}), ("second", "urn:a", {}), ("third", "urn:b", {})):
        elements.append({"id": f"Patient.identifier:{name}", "path": "Patient.identifier", "sliceName": name,
                         "min": 0, **extra})
        elements.append({"id": f"Patient.identifier:{name}.system", "path": "Patient.identifier.system",
                         "fixedUri" if name == "second" else "patternUri": system})
    return constraint_profile("overlapping", "Patient", elements)


@pytest.mark.parametrize("identifiers", [
    [{"system": "urn:a", "value": "1"}],
    [{"system": "urn:a", "value": "1"}, {"system": "urn:a", "value": "2"}],  # the first slice's max
    [{"system": "urn:b", "value": "1"}, {"system": "urn:a", "value": "2"}],
    [{"system": "urn:c", "value": "1"}],
    [{"system": 7, "value": "1"}],  # not a string: compared the general way
])
def test_slice_lookup_agrees_with_the_discriminators(core_definitions: Any, identifiers: list[Any]) -> None:
    from .conftest import EXAMPLE_SD, core_with

    defs = core_with(core_definitions, _overlapping_slices())
    patient = {"resourceType": "Patient", "identifier": identifiers}
    fast = [str(i) for i in FhirValidator(defs).validate(patient, None, [EXAMPLE_SD + "overlapping"])]
    with _no_shortcuts():
        plain = [str(i) for i in FhirValidator(defs).validate(patient, None, [EXAMPLE_SD + "overlapping"])]
    assert fast == plain
    if len(identifiers) == 2 and identifiers[1]["system"] == "urn:a" and identifiers[0]["system"] == "urn:a":
        assert any("identifier:first: maximum cardinality 1, found 2" in issue for issue in fast)


@pytest.mark.parametrize("key", sorted(V._SHORTCUTS))
def test_invariant_shortcuts_agree_with_the_expression(key: str) -> None:
    """Where a shortcut answers, the published expression gives the same answer (evaluated with the
    compiled form and with fhirpathpy); where it does not, the expression decides."""
    expression, shortcut = V._SHORTCUTS[key]
    validator = FhirValidator(compiled(KINDS[0])[0].defs)
    invariant = validator._fhirpath_fn(expression)
    assert invariant is not None
    rng = random.Random(key)
    values: list[Any] = ["5790000209354", "5790000209355", "57900002093540", "579000020935", "265161000016000",
                         "1234567890", "12345678901", "5790000209354\n", "５７９0000209354", "", "abc", 5790000209354]
    values += ["".join(rng.choice("0123456789") for _ in range(rng.randint(9, 16))) for _ in range(300)]
    values += ["".join(rng.choice("0123456789a -") for _ in range(rng.randint(11, 14))) for _ in range(100)]
    answered = 0
    for value in values:
        answer = shortcut(value)
        if answer is None:
            continue
        answered += 1
        here = {"value": value} if V._VALUE_PATH.search(expression) else value
        context = {"resource": {}, "rootResource": {}}
        env = V.Env(context)
        compiled_result = invariant.evaluate(here, lambda here=here: here, context, env)
        reference = invariant.reference(here, context)
        assert compiled_result == reference == [answer], (value, compiled_result, reference, answer)
    assert answered > 20


def test_half_of_a_surrogate_pair_in_a_string_is_a_finding() -> None:
    from dkhealth_conformance import validate

    report = validate(json.dumps({"resourceType": "Patient", "name": [{"family": "a\ud800"}]}))
    assert [(i.rule_id, i.location.path) for i in report.issues if i.rule_id != "fhir.invariant.dom-6"] == [
        ("fhir.primitive.string", "Patient.name[0].family")]
