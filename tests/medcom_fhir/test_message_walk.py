"""The one walk of a message (``message._scan``) finds what a separate walk per rule finds: the
References of each entry (not in contained resources, narrative or ``_x``), the attachment data of
the entries (not in narrative) and the dateTime and instant values of the whole Bundle (from the
element tables, without the walker's pruning), on generated messages and on messages edited to put
references, data and times where messages do not usually have them.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dkhealth_conformance.data import examples_dir
from dkhealth_conformance.packs.medcom_fhir import KINDS, compiled
from dkhealth_conformance.packs.medcom_fhir.message import Message, _scan
from dkhealth_conformance.packs.medcom_fhir.types import DateTimeWalker
from dkhealth_conformance.strategies.medcom_fhir import invalid_medcom_messages, medcom_messages

_TIMES = ("dateTime", "instant")


def _settings(n: int) -> settings:
    return settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))


# --------------------------------------------------------------------- one walk per rule


def _references(value: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(value.get("reference"), str):
        out.append((path, value))
    for key, child in value.items():
        if key in ("contained", "text") or key.startswith("_"):
            continue
        if isinstance(child, list):
            for i, item in enumerate(child):
                if isinstance(item, dict):
                    out += _references(item, f"{path}.{key}[{i}]")
        elif isinstance(child, dict):
            out += _references(child, f"{path}.{key}")
    return out


def _attachments(value: Any) -> list[str]:
    out: list[str] = []
    if isinstance(value, dict):
        data = value.get("data")
        if isinstance(data, str) and len(data) >= 16:
            out.append(data)
        for key, child in value.items():
            if key != "text":
                out += _attachments(child)
    elif isinstance(value, list):
        for item in value:
            out += _attachments(item)
    return out


def _times(walker: DateTimeWalker, obj: dict[str, Any], type_name: str, elem: str, path: str) -> list[tuple[str, str]]:
    """Every dateTime and instant value, by the element tables alone (no pruning)."""
    table = walker._table(type_name)
    out: list[tuple[str, str]] = []
    if table is None:
        return out
    children = table.get(elem, {})
    for key, value in obj.items():
        if key not in children:
            continue
        kind, target = children[key]
        many = isinstance(value, list)
        for i, item in enumerate(value if many else [value]):
            where = f"{path}.{key}[{i}]" if many else f"{path}.{key}"
            if kind == "type" and target in _TIMES:
                if isinstance(item, str):
                    out.append((where, item))
            elif not isinstance(item, dict):
                continue
            elif kind == "resource":
                rtype = item.get("resourceType")
                if isinstance(rtype, str):
                    out += _times(walker, item, rtype, rtype, where)
            elif kind == "backbone":
                out += _times(walker, item, type_name, target, where)
            elif target[:1].isupper():
                out += _times(walker, item, target, target, where)
    return out


def _walker() -> DateTimeWalker:
    return compiled(KINDS[0])[1]


def _assert_same(bundle: dict[str, Any]) -> None:
    walker = _walker()
    msg = Message(bundle)
    for with_walker in (walker, None):
        found = _scan(msg, with_walker)
        assert [res for res, _ in found.entries] == [res for _, res in msg.entries]
        for (index, res), (_, refs) in zip(msg.entries, found.entries, strict=True):
            assert refs == _references(res, f"Bundle.entry[{index}].resource")
        assert found.attachments == [d for _, res in msg.entries for d in _attachments(res)]
        rtype = bundle.get("resourceType")
        expected = _times(walker, bundle, rtype, rtype, rtype) if with_walker and isinstance(rtype, str) else []
        assert found.times == expected
        assert list(walker.values(bundle)) == (_times(walker, bundle, rtype, rtype, rtype)
                                               if isinstance(rtype, str) else [])


# -------------------------------------------------------------------------------- edits

_B64 = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwMTIzNDU2Nzg5MA=="
_ODD = st.sampled_from([
    {"reference": "Patient/elsewhere"},
    {"data": _B64},
    {"data": "Q UJ\nDR EV" * 4},
    {"data": "A" * 15},
    [[{"data": _B64}]],
    [[{"reference": "Patient/in-a-list-in-a-list"}]],
    {"_family": {"reference": "Patient/under-a-primitive-extension"}},
    {"contained": [{"resourceType": "Patient", "id": "c", "birthDate": "2020", "deceasedDateTime": "2021-01-01",
                    "managingOrganization": {"reference": "Organization/contained"}, "photo": [{"data": _B64}]}]},
    {"text": [[{"data": _B64}]], "other": [{"reference": "#x"}]},
    {"div": [{"data": _B64}], "status": {"reference": "Patient/in-text"}},
    [{"url": "http://x", "valueDateTime": "2023-01-01"}, {"url": "http://y", "valuePeriod": {"start": "2023"}}],
    {"start": "2023-01-01T10:00:00", "end": ["2023"]},
    "2023-01-01T10:00:00",
    ["2023-01-01", {"reference": "Patient/in-a-time"}],
    {"resourceType": "Encounter", "period": {"start": "2022"}, "subject": {"reference": "Patient/p"}},
    None,
])
_KEYS = st.sampled_from(["reference", "data", "text", "contained", "_birthDate", "extension", "period", "meta",
                         "effectiveDateTime", "sent", "timestamp", "recorded", "entry", "resource", "identifier",
                         "subject", "target", "entity", "what", "photo", "content", "attachment", "valueDateTime",
                         "response", "outcome"])


def _containers(value: Any, out: list[Any]) -> list[Any]:
    if isinstance(value, (dict, list)):
        out.append(value)
        for child in value.values() if isinstance(value, dict) else value:
            _containers(child, out)
    return out


@st.composite
def _edited(draw: st.DrawFn) -> dict[str, Any]:
    bundle = copy.deepcopy(draw(medcom_messages() | invalid_medcom_messages().map(lambda m: m.bundle)))
    for _ in range(draw(st.integers(1, 5))):
        containers = _containers(bundle, [])
        target = containers[draw(st.integers(0, len(containers) - 1))]
        value = copy.deepcopy(draw(_ODD))
        if isinstance(target, dict):
            target[draw(_KEYS)] = value
        else:
            target.append(value)
    return bundle


@pytest.mark.parametrize("name", sorted(p.name for p in (examples_dir() / "medcom-fhir").glob("*.json")))
def test_one_walk_finds_what_the_walks_of_the_rules_find_in_the_examples(name: str) -> None:
    _assert_same(json.loads((examples_dir() / "medcom-fhir" / name).read_text(encoding="utf-8"),
                            parse_float=Decimal))


@_settings(60)
@given(medcom_messages())
def test_one_walk_finds_what_the_walks_of_the_rules_find_in_generated_messages(bundle: dict[str, Any]) -> None:
    _assert_same(bundle)


@_settings(150)
@given(_edited())
def test_one_walk_finds_what_the_walks_of_the_rules_find_in_edited_messages(bundle: dict[str, Any]) -> None:
    _assert_same(bundle)


def test_a_bundle_whose_entry_is_not_a_list_has_no_entries_but_its_times() -> None:
    bundle = {"resourceType": "Bundle", "timestamp": "2023-01-01",
              "entry": {"resource": {"resourceType": "Patient", "birthDate": "2020",
                                     "deceasedDateTime": "2021-01-01",
                                     "managingOrganization": {"reference": "Organization/x"}}}}
    found = _scan(Message(bundle), _walker())
    assert found.entries == [] and found.attachments == []
    assert found.times == [("Bundle.timestamp", "2023-01-01"),
                           ("Bundle.entry.resource.deceasedDateTime", "2021-01-01")]
    _assert_same(bundle)


def test_a_resource_that_is_not_a_bundle_has_its_entries_walked_on_their_own() -> None:
    other = {"resourceType": "Patient", "deceasedDateTime": "2021-01-01",
             "entry": [{"resource": {"resourceType": "Patient", "managingOrganization": {"reference": "X/y"},
                                     "photo": [{"data": _B64}], "deceasedDateTime": "2022-01-01"}}]}
    found = _scan(Message(other), _walker())
    assert [refs for _, refs in found.entries] == [[("Bundle.entry[0].resource.managingOrganization",
                                                     {"reference": "X/y"})]]
    assert found.attachments == [_B64]
    assert found.times == [("Patient.deceasedDateTime", "2021-01-01")]
    _assert_same(other)


def test_attachment_data_in_a_list_in_a_list_under_a_time_element_is_found() -> None:
    bundle = {"resourceType": "Bundle", "type": "message",
              "entry": [{"resource": {"resourceType": "Patient", "meta": {"lastUpdated": [[{"data": _B64}]]},
                                      "birthDate": [[{"data": _B64}]], "deceasedDateTime": ["2021", [{"data": "x"}]]}}]}
    found = _scan(Message(bundle), _walker())
    assert found.attachments == [_B64, _B64]
    _assert_same(bundle)
