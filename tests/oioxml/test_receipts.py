"""Receipts (XCTL): rules on one receipt and correlation with the letters it answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dkhealth_conformance import Options, validate
from dkhealth_conformance.cli import main
from dkhealth_conformance.data import examples_dir

NS = "http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/"
LETTER = examples_dir() / "medcom-oioxml" / "xdis91-XD9134L-clinicalemail.xml"


def receipt(kind: str = "PositiveReceipt", version: str = "XC0330Q", *, envelope: str = "ENV0001",
            letter: str = "LET0001", letter_version: str = "XD9134L", original_sender: str = "5790000209354",
            own_sender: str = "5790001348120", refuse: str = "", letter_refuse: str = "",
            extra_letter: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Emessage xmlns="{NS}">
 <Envelope><Sent><Date>2024-05-01</Date><Time>12:05</Time></Sent><Identifier>ENVR0001</Identifier>
  <AcknowledgementCode>minuspositivkvitt</AcknowledgementCode></Envelope>
 <{kind}>
  <Letter><Identifier>R0001</Identifier><VersionCode>{version}</VersionCode><StatisticalCode>XCTL03</StatisticalCode></Letter>
  <Sender><EANIdentifier>{own_sender}</EANIdentifier></Sender>
  <Receiver><EANIdentifier>5790000209354</EANIdentifier></Receiver>
  <OriginalEmessage>
   <OriginalEnvelopeIdentifier>{envelope}</OriginalEnvelopeIdentifier>
   <OriginalSender><EANIdentifier>{original_sender}</EANIdentifier></OriginalSender>
   <OriginalReceiver><EANIdentifier>5790001348120</EANIdentifier></OriginalReceiver>{refuse}
   <OriginalLetter><OriginalLetterIdentifier>{letter}</OriginalLetterIdentifier>
    <OriginalVersionCode>{letter_version}</OriginalVersionCode>{letter_refuse}</OriginalLetter>{extra_letter}
  </OriginalEmessage>
 </{kind}>
</Emessage>
""".replace("<StatisticalCode>XCTL03", "<StatisticalCode>" + {"PositiveReceipt": "XCTL03",
            "NegativeReceipt": "XCTL02", "NegativeVansReceipt": "XCTL01"}[kind]).encode("utf-8")


@pytest.fixture()
def sent(tmp_path: Path) -> Path:
    folder = tmp_path / "sent"
    folder.mkdir()
    shutil.copy(LETTER, folder / LETTER.name)
    return folder


def rules_of(data: bytes, folder: Path | None = None) -> list[str]:
    options = Options(extra={"correlate": str(folder)}) if folder else Options()
    return validate(data, options=options).rule_ids()


def test_positive_receipt_is_detected_and_clean(sent: Path) -> None:
    report = validate(receipt(), options=Options(extra={"correlate": str(sent)}))
    assert report.standard_ref == "medcom.oioxml.XCTL03@XC0330Q"
    assert report.issues == []


def test_refuse_code_on_positive_receipt() -> None:
    data = receipt(letter_refuse="<RefuseCode>syntaksfejl</RefuseCode>")
    found = rules_of(data)
    assert "oioxml.receipt.refuse-on-positive" in found
    assert "oioxml.structure.unexpected-element" not in found  # the specific rule explains it


def test_negative_receipt_needs_a_refuse_code() -> None:
    assert "oioxml.receipt.refuse-missing" in rules_of(receipt("NegativeReceipt", "XC0230Q"))
    with_code = receipt("NegativeReceipt", "XC0230Q", refuse="<RefuseCode>syntaksfejl</RefuseCode>")
    assert "oioxml.receipt.refuse-missing" not in rules_of(with_code)
    per_letter = receipt("NegativeReceipt", "XC0230Q", letter_refuse="<RefuseCode>problem_med_version</RefuseCode>")
    assert "oioxml.receipt.refuse-missing" not in rules_of(per_letter)


def test_duplicate_original_letter() -> None:
    twice = "<OriginalLetter><OriginalLetterIdentifier>LET0001</OriginalLetterIdentifier>" \
            "<OriginalVersionCode>XD9134L</OriginalVersionCode></OriginalLetter>"
    assert "oioxml.receipt.original-letter-duplicate" in rules_of(receipt(extra_letter=twice))


def test_only_the_letters_of_the_original_emessage_count_as_its_letters() -> None:
    """A positive receipt: an OriginalLetter inside another is a schema finding, not a second letter of
    the Emessage; a refusal anywhere in it is reported where it is."""
    nested = "<OriginalLetter><OriginalLetterIdentifier>LET0001</OriginalLetterIdentifier>" \
             "<OriginalVersionCode>XD9134L</OriginalVersionCode></OriginalLetter>"
    found = rules_of(receipt(letter_refuse=nested))
    assert "oioxml.receipt.original-letter-duplicate" not in found
    assert "oioxml.structure.unexpected-element" in found
    report = validate(receipt(letter_refuse=nested.replace("</OriginalLetter>", "<RefuseText>x</RefuseText>"
                                                                               "</OriginalLetter>")))
    refusals = [i for i in report.issues if i.rule_id == "oioxml.receipt.refuse-on-positive"]
    assert [i.message for i in refusals] == ["<RefuseText> in a positive receipt"]
    assert refusals[0].location.path.endswith("/OriginalLetter/OriginalLetter/RefuseText")


@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"envelope": "ENV9999"}, "oioxml.receipt.unknown-envelope"),
        ({"letter": "LET9999"}, "oioxml.receipt.unknown-letter"),
        ({"letter_version": "XD9133L"}, "oioxml.receipt.version-mismatch"),
        ({"original_sender": "5790001348120"}, "oioxml.receipt.party-mismatch"),
        ({"own_sender": "5790000209354"}, "oioxml.receipt.party-mismatch"),
    ],
)
def test_correlation_findings(sent: Path, kwargs: dict[str, str], rule: str) -> None:
    assert rule in rules_of(receipt(**kwargs), sent)
    assert rule not in rules_of(receipt(**kwargs))  # only with --correlate


def test_edifact_style_version_code_is_accepted(sent: Path) -> None:
    assert "oioxml.receipt.version-mismatch" not in rules_of(receipt(letter_version="D9134L"), sent)


def test_cli_correlate(sent: Path, tmp_path: Path) -> None:
    path = tmp_path / "receipt.xml"
    path.write_bytes(receipt(letter="LET0404"))
    result = CliRunner().invoke(main, ["check", "--correlate", str(sent), str(path)])
    assert result.exit_code == 1
    assert "oioxml.receipt.unknown-letter" in result.output
    assert CliRunner().invoke(main, ["check", str(path)]).exit_code == 0


def test_sent_letters_in_vans_envelopes_are_correlated(tmp_path: Path) -> None:
    wrapped = tmp_path / "sent-in-envelopes"
    wrapped.mkdir()
    shutil.copy(examples_dir() / "vans" / "vans-xdis91.xml", wrapped / "envelope.xml")
    assert rules_of(receipt(), wrapped) == []  # ENV0001 / LET0001 are inside the envelope
    assert rules_of(receipt(letter="LET0404"), wrapped) == ["oioxml.receipt.unknown-letter"]
    # an envelope whose Data is not base64 is passed over (the folder's index is read once: another folder)
    broken_folder = tmp_path / "broken"
    broken_folder.mkdir()
    data = (wrapped / "envelope.xml").read_bytes()
    start = data.index(b"Data>") + len(b"Data>")
    (broken_folder / "broken.xml").write_bytes(data[:start] + b"@@" + data[start:])
    assert rules_of(receipt(), broken_folder) == ["oioxml.receipt.unknown-envelope"]
