"""Oracle agreement: MedCom's official OIOXML schemas judge our generated letters as our model does.

For every namespace model and every letter in it, the official ``EMessage.xsd`` of that namespace
(``../shared/oracle/medcom-oioxml-xsd/<yyyy>/<mm>/<dd>/`` beside the repository, test-only)
and the XSD generated from our model

(a) both accept every valid letter the model's strategy generates, and
(b) both reject every structural mutant (missing, unexpected or swapped element, a value outside
    its enumeration, length or pattern, an impossible date), each operator in its own test.

Business-rule mutants (CPR dates, GLN check digits, timestamps, duplicates, version codes) are not
expected to be rejected by a schema and are not judged here. A disagreement is a model bug.

``DKHEALTH_ORACLE_EXAMPLES`` sets the valid examples per letter (default 200; each structural
operator gets a fifth of that). The tests skip when the oracle folder is absent.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from lxml import etree

from dkhealth_conformance.data import profiles_dir
from dkhealth_conformance.xmlmodel import strategies as S
from dkhealth_conformance.xmlmodel.loader import load_all
from dkhealth_conformance.xmlmodel.model import Schema
from dkhealth_conformance.xmlmodel.xsd import compiled

REPO = Path(__file__).resolve().parents[2]
ORACLE = REPO.parent / "shared" / "oracle" / "medcom-oioxml-xsd"
EXAMPLES = int(os.environ.get("DKHEALTH_ORACLE_EXAMPLES", 200))
ORACLE_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
#: each structural operator gets its own test, with a share of the examples (every letter offers a
#: site to each: the envelope alone has required, ordered, enumerated, length-limited, patterned
#: and date values)
MUTANT_SETTINGS = settings(ORACLE_SETTINGS, max_examples=max(1, EXAMPLES // 5))
MODELS = load_all(profiles_dir() / "oioxml")
CASES = [pytest.param(schema.key, letter, id=f"{schema.key}-{letter}")
         for schema in MODELS.values() for letter in schema.letters]
_DATE = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/?$")


def _model(key: str) -> Schema:
    return next(s for s in MODELS.values() if s.key == key)


def oracle_folder(namespace: str) -> Path | None:
    """The official schema folder of ``namespace`` (by the date at the end of the URL)."""
    match = _DATE.search(namespace)
    return ORACLE.joinpath(*match.groups()) if match else None


@functools.cache
def _official(folder: Path) -> etree.XMLSchema:
    """The official schema, compiled once per session."""
    return etree.XMLSchema(etree.parse(str(folder / "EMessage.xsd")))


@functools.cache
def _probe(folder: Path) -> bytes | None:
    """The simplest letter of the namespace whose official schema is in ``folder`` (the first
    example the strategy draws, not shrunk), without Local_Elements."""
    schema = next((s for s in MODELS.values() if oracle_folder(s.namespace) == folder), None)
    if schema is None:
        return None
    return find(S.documents(schema, letters=(1, 1), local_elements=False), lambda _: True,
                settings=settings(max_examples=1, phases=[Phase.generate], database=None))


def _with_local_elements(document: bytes) -> etree._ElementTree:
    root = etree.fromstring(document)
    etree.SubElement(root, f"{{{etree.QName(root).namespace}}}Local_Elements")
    return etree.ElementTree(root)


@functools.cache
def _official_allows_local_elements(folder: Path) -> bool:
    """Whether the official Emessage lets ``Local_Elements`` follow a letter (not every namespace
    does), found by validating a probe letter rather than by reading the schema."""
    probe = _probe(folder)
    if probe is None or not _official(folder).validate(etree.ElementTree(etree.fromstring(probe))):
        return True  # cannot tell; the letter tests report what the official schema rejects
    return _official(folder).validate(_with_local_elements(probe))


def _schemas(key: str) -> tuple[Schema, etree.XMLSchema, etree.XMLSchema]:
    if not ORACLE.is_dir():
        pytest.skip(f"the official MedCom schemas are not at {ORACLE} (oracle agreement needs them)")
    schema = _model(key)
    folder = oracle_folder(schema.namespace)
    if folder is None or not (folder / "EMessage.xsd").is_file():
        pytest.skip(f"no official EMessage.xsd for namespace {schema.namespace} under {ORACLE}")
    return schema, compiled(schema), _official(folder)


def _snippet(document: bytes, limit: int = 3000) -> str:
    text = document.decode("utf-8" if b'encoding="UTF-8"' in document[:60] else "cp1252", "replace")
    return text if len(text) <= limit else text[:limit] + " ..."


def _errors(schema: etree.XMLSchema) -> str:
    return "\n".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5])


@pytest.mark.slow
@pytest.mark.parametrize(("key", "letter"), CASES)
def test_official_schema_and_model_accept_generated_letters(key: str, letter: str) -> None:
    schema, ours, official = _schemas(key)

    @ORACLE_SETTINGS
    @given(S.documents(schema, letter))
    def check(document: bytes) -> None:
        tree = etree.ElementTree(etree.fromstring(document))
        assert ours.validate(tree), f"our model rejects its own letter:\n{_errors(ours)}\n{_snippet(document)}"
        assert official.validate(tree), (
            f"the official schema rejects a letter our model accepts ({key} {letter}):\n"
            f"{_errors(official)}\n{_snippet(document)}")

    check()


@pytest.mark.slow
@pytest.mark.parametrize("operator", S.STRUCTURAL_OPERATORS)
@pytest.mark.parametrize(("key", "letter"), CASES)
def test_official_schema_and_model_reject_structural_mutants(key: str, letter: str, operator: str) -> None:
    schema, ours, official = _schemas(key)

    @MUTANT_SETTINGS
    @given(S.mutation_cases(schema, letter, operators=(operator,)))
    def check(case: S.MutationCase) -> None:
        assert case.operator == operator
        tree = etree.ElementTree(etree.fromstring(case.mutant.document))
        where = f"{key} {letter}, {case.mutant.description}"
        assert not ours.validate(tree), f"our model accepts a {operator} mutant ({where}):\n" \
                                        f"{_snippet(case.mutant.document)}"
        assert not official.validate(tree), f"the official schema accepts a {operator} mutant ({where}):\n" \
                                            f"{_snippet(case.mutant.document)}"

    check()


@pytest.mark.parametrize("key", [schema.key for schema in MODELS.values()])
def test_local_elements_allowed_as_in_the_official_emessage(key: str) -> None:
    """The Emessage wrapper: whether a letter may be followed by ``Local_Elements`` (the model's
    ``local_elements`` switch, which the letter strategies follow too)."""
    schema, ours, _ = _schemas(key)
    folder = oracle_folder(schema.namespace)
    probe = _probe(folder)
    assert probe is not None and ours.validate(etree.ElementTree(etree.fromstring(probe)))
    accepted = ours.validate(_with_local_elements(probe))
    assert accepted == _official_allows_local_elements(folder), (
        f"namespace {key}: our Emessage {'accepts' if accepted else 'rejects'} a Local_Elements after a "
        f"letter, the official one does not")
