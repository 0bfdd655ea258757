"""The business rules read the usual layout of a letter first (header first in the letter, IdentifierCode
right after Identifier, Date before Time, Envelope first in the Emessage): letters laid out otherwise
must give the same findings as a full search of the children would."""

from __future__ import annotations

import hashlib
import pickle

from dkhealth_conformance import validate
from dkhealth_conformance.data import examples_dir

LETTER = (examples_dir() / "medcom-oioxml" / "xdis01-XD0133L-minimal.xml").read_bytes()
RECEIPT = (examples_dir() / "medcom-oioxml" / "xctl01-XC0130Q-minimal.xml").read_bytes()


def at(report, rule: str) -> list[tuple[str, int | None]]:
    return [(i.location.path, i.location.line) for i in report.issues if i.rule_id == rule]


def test_the_examples_are_clean() -> None:
    assert validate(LETTER).issues == []
    assert validate(RECEIPT).issues == []


def test_the_first_identifier_code_of_the_parent_decides_the_kind() -> None:
    # the IdentifierCode right after the Identifier says SOR, but an earlier one says GLN: GLN counts
    data = LETTER.replace(b"<Sender>\n", b"<Sender>\n<IdentifierCode>lokationsnummer</IdentifierCode>", 1)
    report = validate(data)
    assert at(report, "dk.gln.format") == [("/Emessage/DischargeLetter/Sender/Identifier", 25)]
    # with no IdentifierCode after it, the one before it counts all the same
    data = LETTER.replace(b"<Identifier>265161000016000</Identifier>\n      <IdentifierCode>sorkode</IdentifierCode>",
                          b"<Identifier>265161000016000</Identifier>")
    data = data.replace(b"<Sender>\n", b"<Sender>\n<IdentifierCode>lokationsnummer</IdentifierCode>", 1)
    assert at(validate(data), "dk.gln.format") == [("/Emessage/DischargeLetter/Sender/Identifier", 25)]


def test_an_identifier_code_after_a_comment_is_found() -> None:
    data = LETTER.replace(b"<Identifier>953741000016009</Identifier>",
                          b"<Identifier>5790001348120</Identifier><!-- GLN -->")
    data = data.replace(b"<IdentifierCode>sorkode</IdentifierCode>\n    </Receiver>",
                        b"<IdentifierCode>lokationsnummer</IdentifierCode>\n    </Receiver>")
    assert at(validate(data), "dk.gln.check-digit") == []
    data = data.replace(b"<Identifier>5790001348120</Identifier>", b"<Identifier>5790001348121</Identifier>")
    assert at(validate(data), "dk.gln.check-digit") == [("/Emessage/DischargeLetter/Receiver/Identifier", 31)]


def test_a_header_after_a_comment_is_checked() -> None:
    data = LETTER.replace(b"<DischargeLetter>\n    <Letter>", b"<DischargeLetter><!-- header -->\n    <Letter>")
    data = data.replace(b"<VersionCode>XD0133L</VersionCode>", b"<VersionCode>XD0134L</VersionCode>")
    assert at(validate(data), "oioxml.version-code-mismatch") == [
        ("/Emessage/DischargeLetter/Letter/VersionCode", 14)]


def test_timestamps_in_any_order_and_after_comments() -> None:
    late = LETTER.replace(b"<Date>2006-03-10</Date>\n        <Time>14:02</Time>",
                          b"<Time>14:09</Time><!-- x --><Date>2006-03-10</Date>")
    assert at(validate(late), "oioxml.authorisation-after-sent") == [("/Emessage/DischargeLetter/Letter/Authorisation",
                                                                       16)]
    # the Envelope after a comment, its Sent after another
    moved = late.replace(b"<Emessage xmlns", b"<Emessage xmlns", 1).replace(b"  <Envelope>\n    <Sent>",
                                                                             b"<!-- e --><Envelope><!-- s --><Sent>")
    assert at(validate(moved), "oioxml.authorisation-after-sent") == [
        ("/Emessage/DischargeLetter/Letter/Authorisation", 15)]
    # the first of two Date children counts
    first = LETTER.replace(b"<Date>2006-03-10</Date>\n        <Time>14:02</Time>",
                           b"<Date>2006-03-11</Date><Date>2006-03-10</Date><Time>14:02</Time>")
    assert at(validate(first), "oioxml.authorisation-after-sent") == [
        ("/Emessage/DischargeLetter/Letter/Authorisation", 16)]


def test_receipt_refusals_in_any_namespace() -> None:
    without = RECEIPT.replace(b"<RefuseCode>ukendt_lokationsnummer</RefuseCode>", b"")
    assert at(validate(without), "oioxml.receipt.refuse-missing") == [
        ("/Emessage/NegativeVansReceipt/OriginalEmessage", 23)]
    foreign = RECEIPT.replace(b"<RefuseCode>ukendt_lokationsnummer</RefuseCode>",
                              b'<RefuseCode xmlns="urn:other">ukendt_lokationsnummer</RefuseCode>')
    assert at(validate(foreign), "oioxml.receipt.refuse-missing") == []


def test_the_digest_is_made_when_read_and_travels_with_a_pickled_report() -> None:
    report = validate(RECEIPT)
    state = report.__getstate__()
    assert "_digest_of" not in state and state["digest"] == hashlib.sha256(RECEIPT).hexdigest()
    again = pickle.loads(pickle.dumps(validate(RECEIPT)))
    assert again.digest == report.digest == hashlib.sha256(RECEIPT).hexdigest()
    assert again.to_dict()["sha256"] == report.digest
    report.digest = "set by hand"
    assert report.digest == "set by hand"
