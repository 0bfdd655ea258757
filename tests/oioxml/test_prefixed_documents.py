"""A letter written with a namespace prefix (``<m:Emessage xmlns:m=...>``) is the same letter: its
findings carry the same rule ids, element paths and lines as without the prefix."""

from __future__ import annotations

import re

import pytest

from dkhealth_conformance import validate
from dkhealth_conformance.data import examples_dir

FOLDER = examples_dir() / "medcom-oioxml"


def prefixed(data: bytes, prefix: bytes = b"m") -> bytes:
    """``data`` with every element of the default namespace written with ``prefix``."""
    data = data.replace(b"<Emessage xmlns=", b"<Emessage xmlns:" + prefix + b"=", 1)
    return re.sub(rb"<(/?)([A-Za-z_][\w.-]*)(?=[\s/>])", rb"<\1" + prefix + rb":\2", data)


def findings(data: bytes) -> list[tuple[str, str, int | None]]:
    return sorted((i.rule_id, i.location.path, i.location.line) for i in validate(data).issues)


@pytest.mark.parametrize("name", ["invalid-xdis91-structure.xml", "invalid-xdis91-business-rules.xml",
                                  "invalid-xdis91-cancelled.xml"])
def test_invalid_examples_give_the_same_findings_with_a_prefix(name: str) -> None:
    data = (FOLDER / name).read_bytes()
    assert b"<m:" not in data
    expected = findings(data)
    assert expected and all(path.startswith("/Emessage") for _, path, _ in expected)
    assert findings(prefixed(data)) == expected


def test_a_structure_finding_and_a_business_rule_on_one_element_are_reported_once() -> None:
    data = (FOLDER / "xdis91-XD9134L-clinicalemail.xml").read_bytes()
    data = data.replace(b"<VersionCode>XD9134L", b"<VersionCode>XD9999L")
    expected = findings(data)
    assert [rule for rule, _, _ in expected] == ["oioxml.version-code-mismatch"]
    assert findings(prefixed(data)) == expected
