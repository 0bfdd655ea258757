"""The narrative check's plain way (no parser, for the usual simple narratives) gives what the
parser gives, on every narrative of the official examples and the MedCom examples, and on near
misses made from them; anything unusual goes to the parser."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dkhealth_conformance.data import examples_dir
from dkhealth_conformance.fhir import narrative as N

from .conftest import official_examples

ROOT = '<div xmlns="http://www.w3.org/1999/xhtml">'


def _parsed(text: str) -> tuple[list[str], bool]:
    """check_div the parser's way."""
    plain, N._plain_div = N._plain_div, lambda text: None  # type: ignore[assignment]
    try:
        return N.check_div(text)
    finally:
        N._plain_div = plain  # type: ignore[assignment]


def _divs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "div" and isinstance(item, str):
                yield item
            else:
                yield from _divs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _divs(item)


def _agrees(text: str) -> bool:
    """The plain way answers like the parser where it answers; whether it answered."""
    plain = N._plain_div(text)
    if plain is not None:
        assert plain == _parsed(text), text
    return plain is not None


def test_the_medcom_narratives_take_the_plain_way() -> None:
    divs = {d for path in (examples_dir() / "medcom-fhir").glob("*.json")
            for d in _divs(json.loads(path.read_text(encoding="utf-8")))}
    assert len(divs) > 50
    assert all(_agrees(d) for d in divs)


def test_the_official_narratives_agree(examples_tgz: Path) -> None:
    divs = {d for _, resource in official_examples(examples_tgz) for d in _divs(resource)}
    answered = sum(_agrees(d) for d in divs)
    assert answered > 500  # many are plain; the rest went to the parser


#: contents of a div (each wrapped in the XHTML root unless it starts with "<div")
CONTENTS = [
    "<p>text</p>", "", " ", "<p> </p>", "<br/>", '<img src="x.png"/>', '<img src="javascript:alert(1)"/>',
    "<p>a &amp; b</p>", "<p>a & b</p>", "<p>a</b>", "<p>a", "<script>x</script>", '<p onclick="x">a</p>',
    '<p id="a" id="b">a</p>', "<p>a</p></div><p>b</p>", "<p>]]></p>", "<p>\x01</p>", "<p>\ud800</p>",
    '<p title="a>b">c</p>', "<p>a > b</p>", "<table><tr><td>1</td></tr></table>", "<x:p>a</x:p>",
    "<!-- c --><p>a</p>", "<?pi x?>", "<P>a</P>", "<p >a</p >", '<p\n class="c">a</p>', "<p class='c'>a</p>",
    "<div/>", "<p>\u00a0</p>", "<p>\u2003</p>", '<a href="#x">a</a>', '<a href="http://x">a</a>',
    '<span style="color: red">r</span>',
]
SAMPLES = [f"{ROOT}{content}</div>" for content in CONTENTS] + ["<div>plain</div>"]


@pytest.mark.parametrize("text", SAMPLES)
def test_samples_agree(text: str) -> None:
    _agrees(text)


def test_near_misses_agree() -> None:
    rng = random.Random(7)
    divs = sorted({d for path in (examples_dir() / "medcom-fhir").glob("*.json")
                   for d in _divs(json.loads(path.read_text(encoding="utf-8")))})
    inserts = ["<", ">", "&", "&amp;", "</p>", "<p>", "<br/>", "]]>", "\x0b", "\t", " ", "\u00a0", '"', "<b>",
               "</div>", "<img/>", "<x>", "&#65;", "<p a=\"1\">", "<!---->"]
    answered = 0
    for _ in range(3000):
        div = rng.choice(divs)
        at = rng.randrange(len(div) + 1)
        answered += _agrees(div[:at] + rng.choice(inserts) + div[at:])
    assert answered > 300


def test_a_lone_surrogate_in_a_narrative_is_a_finding_not_a_crash() -> None:
    from dkhealth_conformance import validate

    patient = {"resourceType": "Patient", "text": {"status": "generated", "div": f"{ROOT}a\ud800</div>"}}
    report = validate(json.dumps(patient))
    assert [i.rule_id for i in report.issues] == ["fhir.narrative.xhtml"]
    assert "surrogate" in report.issues[0].message
