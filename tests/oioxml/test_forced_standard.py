"""A standard forced with ``--standard`` / ``validate(standard=...)`` on an OIOXML letter: the Emessage
must carry a letter of that type and VersionCode, or the report says so."""

from __future__ import annotations

from click.testing import CliRunner

from dkhealth_conformance import validate
from dkhealth_conformance.cli import main
from dkhealth_conformance.data import examples_dir

FOLDER = examples_dir() / "medcom-oioxml"
EMAIL = (FOLDER / "xdis91-XD9134L-clinicalemail.xml").read_bytes()
OLD_EMAIL = (FOLDER / "xdis91-XD9133L-2004-06-01-minimal.xml").read_bytes()


def mismatches(report) -> list[str]:
    return [i.message for i in report.issues if i.rule_id == "oioxml.standard-mismatch"]


def test_another_letter_type_is_not_conformant() -> None:
    report = validate(EMAIL, "medcom.oioxml.XDIS01")
    assert (report.standard, report.valid) == ("medcom.oioxml.XDIS01", False)
    assert mismatches(report) == [f"the standard medcom.oioxml.XDIS01@{report.version} was requested, but the "
                                  "Emessage carries medcom.oioxml.XDIS91@XD9134L (ClinicalEmail)"]
    assert report.issues[0].location.path == "/Emessage"


def test_another_version_of_the_same_type_is_not_conformant() -> None:
    report = validate(EMAIL, "medcom.oioxml.XDIS91@XD9133L")
    assert (report.standard_ref, report.valid) == ("medcom.oioxml.XDIS91@XD9133L", False)
    assert len(mismatches(report)) == 1


def test_the_letter_s_own_standard_with_or_without_version_passes() -> None:
    for forced in ("medcom.oioxml.XDIS91", "medcom.oioxml.XDIS91@XD9134L"):
        report = validate(EMAIL, forced)
        assert (report.standard_ref, report.issues) == ("medcom.oioxml.XDIS91@XD9134L", [])
    # a VersionCode published in several namespaces: the older namespace's letter is of it all the same
    report = validate(OLD_EMAIL, "medcom.oioxml.XDIS91@XD9133L")
    assert (report.standard_ref, report.issues) == ("medcom.oioxml.XDIS91@XD9133L", [])


def test_any_letter_of_a_several_letter_emessage_may_be_forced() -> None:
    letter = EMAIL.split(b"<ClinicalEmail>", 1)[1].split(b"</ClinicalEmail>", 1)[0]
    second = letter.replace(b"<Identifier>", b"<Identifier>2", 1)
    both = EMAIL.replace(b"</ClinicalEmail>", b"</ClinicalEmail><ClinicalEmail>" + second + b"</ClinicalEmail>", 1)
    assert validate(both, "medcom.oioxml.XDIS91@XD9134L").issues == []
    assert len(mismatches(validate(both, "medcom.oioxml.XREF01"))) == 1


def test_the_cli_fails_a_letter_of_another_standard() -> None:
    path = str(FOLDER / "xdis91-XD9134L-clinicalemail.xml")
    result = CliRunner().invoke(main, ["check", "--standard", "medcom.oioxml.XDIS01", path])
    assert result.exit_code == 1
    assert "oioxml.standard-mismatch" in result.output
    assert CliRunner().invoke(main, ["check", "--standard", "medcom.oioxml.XDIS91", path]).exit_code == 0


def two_letter_types() -> bytes:
    """An XDIS01 DischargeLetter and an XREF01 HospitalReferral in one Emessage (one namespace)."""
    discharge = (FOLDER / "xdis01-XD0133L-minimal.xml").read_bytes()
    referral = (FOLDER / "xref01-XH0130R-minimal.xml").read_bytes()
    letter = referral[referral.index(b"<HospitalReferral>"):referral.index(b"</Emessage>")]
    return discharge.replace(b"</Emessage>", letter + b"</Emessage>")


def test_letters_of_several_standards_are_named() -> None:
    report = validate(two_letter_types())
    assert report.standard_ref == "medcom.oioxml.XDIS01@XD0133L"
    assert [(i.rule_id, i.severity.value, i.location.path) for i in report.issues] == [
        ("oioxml.several-standards", "information", "/Emessage")]
    assert report.issues[0].message == (
        "the Emessage carries letters of 2 standards: medcom.oioxml.XDIS01@XD0133L (DischargeLetter), "
        "medcom.oioxml.XREF01@XH0130R (HospitalReferral); the report is labelled with medcom.oioxml.XDIS01@XD0133L")
    forced = validate(two_letter_types(), "medcom.oioxml.XREF01")
    assert forced.standard_ref == "medcom.oioxml.XREF01@XH0130R"
    assert forced.rule_ids() == ["oioxml.several-standards"]
    assert forced.valid


def test_a_type_forced_without_version_matches_a_later_letter_of_an_older_version() -> None:
    # the newest XBIN01 version is not the one in this namespace: the letter's own version is taken
    email = (FOLDER / "xdis91-XD9133L-minimal.xml").read_bytes()
    binary = (FOLDER / "xbin01-XB0130X-minimal.xml").read_bytes()
    assert b"2005/08/07" in email and b"2005/08/07" in binary
    letter = binary[binary.index(b"<BinaryLetter>"):binary.index(b"</Emessage>")]
    both = email.replace(b"</Emessage>", letter + b"</Emessage>")
    for forced in ("medcom.oioxml.XBIN01", "medcom.oioxml.XBIN01@XB0130X"):
        report = validate(both, forced)
        assert report.standard_ref == "medcom.oioxml.XBIN01@XB0130X", forced
        assert "oioxml.standard-mismatch" not in report.rule_ids()
        assert "oioxml.several-standards" in report.rule_ids()
    assert "oioxml.standard-mismatch" in validate(both, "medcom.oioxml.XBIN01@XB0131X").rule_ids()


def test_the_unknown_emessage_standard_forced_on_a_known_letter_is_a_mismatch() -> None:
    report = validate(EMAIL, "medcom.oioxml.Emessage")
    assert report.standard_ref == "medcom.oioxml.Emessage@unknown"
    assert report.rule_ids() == ["oioxml.standard-mismatch"]
    unknown = EMAIL.replace(b"ClinicalEmail>", b"Notes>")
    assert "oioxml.standard-mismatch" not in validate(unknown, "medcom.oioxml.Emessage").rule_ids()
    assert "oioxml.standard-mismatch" not in validate(unknown).rule_ids()
