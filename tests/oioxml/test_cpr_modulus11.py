"""The opt-in modulus-11 check of CPR numbers in OIOXML letters (``--cpr-modulus11``): information only,
and only on numbers that are otherwise valid."""

from __future__ import annotations

import json

from click.testing import CliRunner

from dkhealth_conformance import validate
from dkhealth_conformance.cli import main
from dkhealth_conformance.data import examples_dir
from dkhealth_conformance.registry import Options

LETTER = (examples_dir() / "medcom-oioxml" / "xdis91-XD9134L-clinicalemail.xml").read_bytes()
OPT_IN = Options(extra={"cpr_modulus11": True})
PATH = "/Emessage/ClinicalEmail/Patient/CivilRegistrationNumber"


def with_cpr(number: str) -> bytes:
    return LETTER.replace(b"<CivilRegistrationNumber>2509479989<", f"<CivilRegistrationNumber>{number}<".encode())


def found(data: bytes, options: Options | None = None) -> list[tuple[str, str, str]]:
    return [(i.rule_id, i.severity.value, i.location.path) for i in validate(data, options=options).issues]


def test_a_number_without_modulus_11_is_valid_unless_asked() -> None:
    data = with_cpr("2509479988")  # a real date; the weighted sum is not divisible by 11
    assert found(data) == []
    assert found(data, OPT_IN) == [("dk.cpr.modulus11", "information", PATH)]
    assert validate(data, options=OPT_IN).valid


def test_numbers_that_pass_or_are_already_wrong_get_no_modulus_finding() -> None:
    assert found(with_cpr("0101650006"), OPT_IN) == []  # passes modulus 11
    assert found(with_cpr("0000000000"), OPT_IN) == []  # "unknown"
    assert [rule for rule, _, _ in found(with_cpr("3102479988"), OPT_IN)] == ["dk.cpr.invalid-date"]


def test_the_cli_flag() -> None:
    runner = CliRunner()
    with runner.isolated_filesystem():
        with open("letter.xml", "wb") as handle:
            handle.write(with_cpr("2509479988"))
        plain = json.loads(runner.invoke(main, ["check", "-f", "json", "letter.xml"]).output)
        asked = runner.invoke(main, ["check", "-f", "json", "--cpr-modulus11", "letter.xml"])
    assert plain["reports"][0]["issues"] == []
    assert asked.exit_code == 0
    assert [i["rule"] for i in json.loads(asked.output)["reports"][0]["issues"]] == ["dk.cpr.modulus11"]
