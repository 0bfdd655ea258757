"""Checks and fixtures shared by the per-namespace model tests on a namespace's example letters."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from lxml import etree
from oracle_mutations import disagreements

from dkhealth_conformance.xmlmodel.loader import load_schema
from dkhealth_conformance.xmlmodel.model import Schema
from dkhealth_conformance.xmlmodel.xsd import compiled

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "medcom-oioxml"


def examples_of(letters: dict[str, tuple[Any, ...]], namespace: str) -> list[Path]:
    """The example files named after a letter of ``letters`` (element -> (TypeCode, VersionCode, …))
    whose Emessage is in ``namespace`` (a version code may be shared by two namespaces)."""
    found: set[Path] = set()
    for type_code, version_code, *_ in letters.values():
        found.update(EXAMPLES.glob(f"{type_code.lower()}-{version_code}-*.xml"))
    return sorted(path for path in found if etree.parse(str(path)).getroot().tag == f"{{{namespace}}}Emessage")


def assert_encodings(cases: Sequence[Path]) -> None:
    """Each example decodes with the encoding it declares; a third or more store their Danish
    letters in a single-byte encoding (windows-1252 or ISO-8859-1), as many senders do."""
    single_byte = 0
    for path in cases:
        data = path.read_bytes()
        encoding = etree.parse(str(path)).docinfo.encoding
        data.decode(encoding)
        if encoding.lower() in ("windows-1252", "iso-8859-1") and not data.isascii():
            single_byte += 1
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
    assert single_byte * 3 >= len(cases)


def assert_unique_identifiers(cases: Sequence[Path], namespace: str) -> None:
    """No two examples share an envelope identifier or a letter identifier."""
    letters, envelopes = [], []
    for path in cases:
        root = etree.parse(str(path)).getroot()
        envelopes.append(root.findtext(f"{{{namespace}}}Envelope/{{{namespace}}}Identifier"))
        letters += [el.text for el in root.iterfind(f"*/{{{namespace}}}Letter/{{{namespace}}}Identifier")]
    assert len(set(letters)) == len(letters)
    assert len(set(envelopes)) == len(envelopes)


def schema_fixtures(models: Path, key: str, official_xsd: Path) -> tuple[Any, Any, Any]:
    """The module fixtures ``model`` (our model of namespace ``key``), ``ours`` (its generated
    schema) and ``official`` (MedCom's schema at ``official_xsd``; the test is skipped without it)."""

    @pytest.fixture(scope="module")
    def model() -> Schema:
        return load_schema(models, key)

    @pytest.fixture(scope="module")
    def ours(model: Schema) -> etree.XMLSchema:
        return compiled(model)

    @pytest.fixture(scope="module")
    def official() -> etree.XMLSchema:
        if not official_xsd.exists():
            pytest.skip(f"MedCom's official schemas are not available ({official_xsd.parent})")
        return etree.XMLSchema(etree.parse(str(official_xsd)))

    return model, ours, official


def schema_error(schema: etree.XMLSchema) -> str:
    return str(schema.error_log.last_error)


class ExampleChecks:
    """The checks on a namespace's example letters; a test module subclasses this as
    ``TestExamples`` with ``CASES`` (the example files), ``NS`` (the namespace), ``EXAMPLES`` (their
    folder) and ``RECEIPTS`` ((receipt file, letter file) pairs). ``conftest.py`` parametrizes
    ``example`` and ``receipt_pair`` from them."""

    CASES: ClassVar[Sequence[Path]] = ()
    NS: ClassVar[str] = ""
    EXAMPLES: ClassVar[Path] = Path()
    RECEIPTS: ClassVar[Sequence[tuple[str, str]]] = ()

    def test_encodings(self) -> None:
        assert_encodings(self.CASES)

    def test_unique_identifiers(self) -> None:
        assert_unique_identifiers(self.CASES, self.NS)

    def test_valid_against_model(self, example: Path, ours: etree.XMLSchema) -> None:
        assert ours.validate(etree.parse(str(example))), schema_error(ours)

    def test_valid_against_official(self, example: Path, official: etree.XMLSchema) -> None:
        assert official.validate(etree.parse(str(example))), schema_error(official)

    def test_mutations_judged_alike(self, example: Path, ours: etree.XMLSchema, official: etree.XMLSchema) -> None:
        """Both schemas judge every simple mutation of the example alike."""
        found = disagreements(etree.parse(str(example)), ours, official)
        assert not found, "\n".join(found[:20])

    def test_receipt_answers_letter(self, receipt_pair: tuple[str, str]) -> None:
        ns = self.NS

        def q(*names: str) -> str:
            return "/".join(f"{{{ns}}}{n}" for n in names)

        receipt_root, letter_root = (etree.parse(str(self.EXAMPLES / name)).getroot() for name in receipt_pair)
        receipt, letter = receipt_root[1], letter_root[1]
        original = receipt.find(q("OriginalEmessage"))
        assert original.findtext(q("OriginalEnvelopeIdentifier")) == letter_root.findtext(q("Envelope", "Identifier"))
        sender_gln = letter.findtext(q("Sender", "EANIdentifier"))
        receiver_gln = letter.findtext(q("Receiver", "EANIdentifier"))
        assert original.findtext(q("OriginalSender", "EANIdentifier")) == sender_gln
        assert original.findtext(q("OriginalReceiver", "EANIdentifier")) == receiver_gln
        # the receipt goes back to the letter's sender (a VANS receipt comes from the network itself)
        assert receipt.findtext(q("Receiver", "EANIdentifier")) == sender_gln
        if receipt.tag != f"{{{ns}}}NegativeVansReceipt":
            assert receipt.findtext(q("Sender", "EANIdentifier")) == receiver_gln
        answered = [(o.findtext(q("OriginalLetterIdentifier")), o.findtext(q("OriginalVersionCode")))
                    for o in original.iterfind(q("OriginalLetter"))]
        assert answered == [(letter.findtext(q("Letter", "Identifier")), letter.findtext(q("Letter", "VersionCode")))]
        negative = receipt.tag != f"{{{ns}}}PositiveReceipt"
        assert (original.find(q("RefuseCode")) is not None) == negative
