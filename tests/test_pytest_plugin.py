"""The pytest plugin (``pytest --dkhealth``), run on example payloads in pytester folders."""

from __future__ import annotations

import hashlib
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dkhealth_conformance import validate
from dkhealth_conformance.data import examples_dir

pytest_plugins = ["pytester"]

OIOXML = examples_dir() / "medcom-oioxml"
VALID = "xdis91-XD9134L-clinicalemail.xml"
STRUCTURE = "invalid-xdis91-structure.xml"
BUSINESS = "invalid-xdis91-business-rules.xml"
MOJIBAKE = "warning-xdis91-mojibake.xml"
TRUNCATED = examples_dir() / "hostile" / "truncated.xml"


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Import and validate once in this process, outside pytester's runs: modules first imported
    inside an in-process run are unloaded after it, so each run would import them again (the
    hypothesis plugin imports hypothesis in its terminal summary) and rebuild the validators."""
    import hypothesis  # noqa: F401

    import dkhealth_conformance.cli
    import dkhealth_conformance.render.html  # noqa: F401

    for name in (VALID, MOJIBAKE):
        validate(OIOXML / name)


def expected_rules(path: Path) -> list[str]:
    sidecar = path.with_name(path.name + ".expected")
    return [ln.strip() for ln in sidecar.read_text().splitlines() if ln.strip() and not ln.startswith("#")]


def copy(pytester: pytest.Pytester, folder: str, *names: str) -> Path:
    target = pytester.path / folder
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = Path(name) if Path(name).is_absolute() else OIOXML / name
        shutil.copyfile(source, target / source.name)
    return target


@pytest.fixture
def messages(pytester: pytest.Pytester) -> Path:
    """``messages/`` with a valid letter, two invalid ones, a letter with a warning, a .py test
    module and a file that no include pattern takes."""
    folder = copy(pytester, "messages", VALID, STRUCTURE, BUSINESS, MOJIBAKE)
    (folder / "notes.txt").write_text("not a payload\n")
    (folder / "test_local.py").write_text("def test_local():\n    assert True\n")
    return folder


def nodeid(name: str, folder: str = "messages") -> str:
    return f"{folder}/{name}::dkhealth"


def test_without_the_flag_nothing_is_collected(pytester: pytest.Pytester, messages: Path) -> None:
    result = pytester.runpytest("messages", "--collect-only", "-q")
    assert result.ret == 0
    collected = [ln for ln in result.outlines if "::" in ln]
    assert collected == ["messages/test_local.py::test_local"]


def test_one_item_per_payload_and_python_tests_still_collected(pytester: pytest.Pytester, messages: Path) -> None:
    result = pytester.runpytest("--dkhealth", "messages", "--collect-only", "-q")
    collected = sorted(ln for ln in result.outlines if "::" in ln)
    assert collected == sorted([
        nodeid(BUSINESS), nodeid(STRUCTURE), nodeid(MOJIBAKE), nodeid(VALID), "messages/test_local.py::test_local",
    ])


def test_passing_and_failing_payloads(pytester: pytest.Pytester, messages: Path) -> None:
    result = pytester.runpytest("--dkhealth", "messages")
    result.assert_outcomes(passed=3, failed=2)  # the valid letter, the warning-only letter, test_local
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    for name in (STRUCTURE, BUSINESS):
        for rule in expected_rules(OIOXML / name):
            assert rule in out, rule
    # the failure lists severity, rule id, path and line, message and the quoted payload line
    result.stdout.fnmatch_lines([
        "*dkhealth: messages/invalid-xdis91-structure.xml*",
        "not-conformant (fail on error): *oioxml.value.type*",
        "*error*oioxml.value.type  /Emessage/Envelope/Sent/Date (line 3)",
        "*'2023-02-29' is not a valid value*",
        "*3 | <Envelope><Sent><Date>2023-02-29</Date>*",
    ])
    result.stdout.fnmatch_lines([f"FAILED {nodeid(STRUCTURE)} - not-conformant*"])
    assert "dkhealth: 4 payload(s) checked, 2 conform (fail on error)" in out


def test_unreadable_payloads_fail_with_the_fatal_issue(pytester: pytest.Pytester) -> None:
    folder = copy(pytester, "messages", str(TRUNCATED))
    (folder / "empty.xml").write_bytes(b"")
    (folder / "binary.xml").write_bytes(bytes(range(256)) * 4)
    result = pytester.runpytest("--dkhealth", "messages")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines([
        "*_ dkhealth: messages/binary.xml _*", "unreadable (fail on error): payload.binary",
        "*_ dkhealth: messages/empty.xml _*", "unreadable (fail on error): payload.empty",
        "*_ dkhealth: messages/truncated.xml _*", "unreadable (fail on error): xml.malformed",
        "*fatal*xml.malformed*(document) (line 7, column 195)",
    ])


def test_internal_error_is_marked(pytester: pytest.Pytester) -> None:
    # a pack whose validator raises, registered by the project's conftest (in a separate process)
    pytester.makeconftest("""
        from dkhealth_conformance import RuleSet, Standard, default_registry

        class BoomPack:
            name, version, family = "boom", "0.1", "boom"
            rules = RuleSet("boom")
            standard = Standard("demo.boom", "1.0", "boom", "fails", formats=("xml",))

            def standards(self):
                return [self.standard]

            def detect(self, payload):
                return self.standard if payload.namespace == "urn:demo:boom" else None

            def validate(self, payload, standard, options):
                raise RuntimeError("the boom validator exploded")

        default_registry().register(BoomPack())
    """)
    (pytester.path / "messages").mkdir()
    (pytester.path / "messages" / "boom.xml").write_text('<Boom xmlns="urn:demo:boom"/>\n')
    result = pytester.runpytest_subprocess("--dkhealth", "messages")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "INTERNAL ERROR: a validator failed while checking this payload*please report it",
        "*INTERNAL ERROR fatal*internal-error*",
        "*boom validator exploded*",
    ])


def test_k_x_and_last_failed(pytester: pytest.Pytester, messages: Path) -> None:
    result = pytester.runpytest("--dkhealth", "messages", "-k", "structure")
    result.assert_outcomes(failed=1, deselected=4)
    result = pytester.runpytest("--dkhealth", "messages", "-x")
    result.assert_outcomes(failed=1, passed=0)  # the business-rules letter comes first and stops the run
    result = pytester.runpytest("--dkhealth", "messages")
    result.assert_outcomes(passed=3, failed=2)
    result = pytester.runpytest("--dkhealth", "messages", "--lf")
    result.assert_outcomes(failed=2)
    result = pytester.runpytest("--dkhealth", nodeid(VALID))
    result.assert_outcomes(passed=1)


def test_explicit_file_is_collected_whatever_its_name(pytester: pytest.Pytester, messages: Path) -> None:
    (messages / "letter.msg").write_bytes((OIOXML / VALID).read_bytes())
    result = pytester.runpytest("--dkhealth", "messages/letter.msg", "messages/notes.txt", "--collect-only", "-q")
    assert sorted(ln for ln in result.outlines if "::" in ln) == [nodeid("letter.msg"), nodeid("notes.txt")]
    result = pytester.runpytest("--dkhealth", "messages", "--collect-only", "-q")
    assert not any("letter.msg" in ln or "notes.txt" in ln for ln in result.outlines)


def test_include_and_exclude_options(pytester: pytest.Pytester, messages: Path) -> None:
    result = pytester.runpytest("--dkhealth", "messages", "--dkhealth-exclude", "invalid-*",
                                "--dkhealth-include", "*.xml", "--dkhealth-include", "*.txt")
    result.assert_outcomes(passed=3, failed=1)  # valid, mojibake, test_local; notes.txt is unreadable text
    result.stdout.fnmatch_lines(["*messages/notes.txt*", "unreadable (fail on error): *"])


def test_configuration_from_pyproject(pytester: pytest.Pytester, messages: Path) -> None:
    pytester.makepyprojecttoml("""
        [tool.pytest.ini_options]
        testpaths = ["tests"]

        [tool.dkhealth]
        paths = ["messages"]
        fail_on = "warning"
        exclude = ["invalid-xdis91-structure.xml"]
    """)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_unit.py").write_text("def test_unit():\n    assert True\n")
    (pytester.path / "tests" / "fixture.xml").write_text("<not-a-payload/>\n")  # outside the payload paths

    result = pytester.runpytest()
    result.assert_outcomes(passed=1)  # without --dkhealth: only the project's tests
    result = pytester.runpytest("--dkhealth")
    # test_unit, test_local, the valid letter pass; business rules and the mojibake warning fail
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(["*warnings (fail on warning): payload.mojibake*"])
    assert "structure" not in result.stdout.str()
    # the command line wins over the configuration
    result = pytester.runpytest("--dkhealth", "--dkhealth-fail-on", "error")
    result.assert_outcomes(passed=4, failed=1)


def test_configuration_from_ini_options(pytester: pytest.Pytester, messages: Path) -> None:
    pytester.makeini("""
        [pytest]
        testpaths = tests
        dkhealth_paths = messages
        dkhealth_fail_on = warning
        dkhealth_exclude = invalid-*
    """)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_unit.py").write_text("def test_unit():\n    assert True\n")
    result = pytester.runpytest("--dkhealth")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([f"FAILED {nodeid(MOJIBAKE)} - warnings (fail on*"])


def test_bad_configuration_is_a_usage_error(pytester: pytest.Pytester, messages: Path) -> None:
    pytester.makepyprojecttoml('[tool.dkhealth]\npaths = ["nowhere"]\n')
    result = pytester.runpytest("--dkhealth")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*configured payload path*nowhere does not exist*"])
    pytester.makepyprojecttoml('[tool.dkhealth]\nfail_on = "information"\n')
    result = pytester.runpytest("--dkhealth", "messages")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*fail_on must be one of error, warning*"])


def test_no_payload_paths_gives_a_hint(pytester: pytest.Pytester, messages: Path) -> None:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["messages"]\n')
    result = pytester.runpytest("--dkhealth")
    result.assert_outcomes(passed=1)  # test_local only: testpaths are not payload paths
    result.stdout.fnmatch_lines(["dkhealth: no payload paths; name them*or configure them*"])


def test_fail_on_warning(pytester: pytest.Pytester) -> None:
    copy(pytester, "messages", MOJIBAKE)
    pytester.runpytest("--dkhealth", "messages").assert_outcomes(passed=1)
    result = pytester.runpytest("--dkhealth", "messages", "--dkhealth-fail-on", "warning")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*warning*payload.mojibake*(line 7)", "*looks like a Danish letter encoded twice*"])


def test_forced_standard(pytester: pytest.Pytester) -> None:
    copy(pytester, "messages", VALID)
    result = pytester.runpytest("--dkhealth", "messages", "--dkhealth-standard", "medcom.oioxml.XDIS91@XD9134L")
    result.assert_outcomes(passed=1)
    result = pytester.runpytest("--dkhealth", "messages", "--dkhealth-standard", "medcom.vans.envelope")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*standard.not-applicable*"])
    result = pytester.runpytest("--dkhealth", "messages", "--dkhealth-standard", "medcom.nothing")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown standard 'medcom.nothing'*"])


def test_fixtures_and_marker(pytester: pytest.Pytester) -> None:
    folder = copy(pytester, "data", VALID, STRUCTURE, MOJIBAKE)
    pytester.makepyfile(test_messages=f"""
        from pathlib import Path

        import pytest

        DATA = Path({str(folder)!r})

        def test_validate_returns_a_report(dkhealth_validate):
            report = dkhealth_validate(DATA / {VALID!r})
            assert report.valid and report.standard_ref == "medcom.oioxml.XDIS91@XD9134L"
            report = dkhealth_validate((DATA / {STRUCTURE!r}).read_bytes())
            assert "oioxml.value.type" in report.rule_ids()

        def test_assert_conforms_passes(dkhealth_assert_conforms):
            report = dkhealth_assert_conforms(DATA / {VALID!r})
            assert report.valid

        def test_assert_conforms_fails(dkhealth_assert_conforms):
            dkhealth_assert_conforms(DATA / {STRUCTURE!r})

        @pytest.mark.dkhealth(standard="medcom.vans.envelope")
        def test_marker_standard(dkhealth_validate):
            assert dkhealth_validate(DATA / {VALID!r}).rule_ids() == ["standard.not-applicable"]
            assert dkhealth_validate(DATA / {VALID!r}, "medcom.oioxml.XDIS91").valid

        @pytest.mark.dkhealth(fail_on="warning")
        def test_marker_fail_on(dkhealth_assert_conforms):
            dkhealth_assert_conforms(DATA / {MOJIBAKE!r})

        def test_default_fail_on_is_error(dkhealth_assert_conforms):
            dkhealth_assert_conforms(DATA / {MOJIBAKE!r})
    """)
    # the fixtures and the marker work without --dkhealth, also with --strict-markers
    result = pytester.runpytest("test_messages.py", "--strict-markers")
    result.assert_outcomes(passed=4, failed=2)
    result.stdout.fnmatch_lines([
        "*_ test_assert_conforms_fails _*",
        "not-conformant (fail on error): *oioxml.structure.missing-element*oioxml.value.type*",
        "*3 | <Envelope><Sent><Date>2023-02-29</Date>*",
        "*_ test_marker_fail_on _*",
        "warnings (fail on warning): payload.mojibake",
    ])
    assert "Traceback" not in result.stdout.str()
    # the run's fail-on setting is the fixtures' default below the marker
    result = pytester.runpytest("test_messages.py", "--dkhealth-fail-on", "warning")
    result.assert_outcomes(passed=3, failed=3)


def test_junit_properties(pytester: pytest.Pytester, messages: Path) -> None:
    result = pytester.runpytest("--dkhealth", "messages", "--junitxml", "junit.xml")
    result.assert_outcomes(passed=3, failed=2)
    cases = {c.get("classname"): c for c in ET.parse(pytester.path / "junit.xml").iter("testcase")}
    assert f"messages.{STRUCTURE}" in cases and cases[f"messages.{STRUCTURE}"].get("name") == "dkhealth"
    structure = cases[f"messages.{STRUCTURE}"]
    props = [(p.get("name"), p.get("value")) for p in structure.iter("property")]
    assert sorted(v for n, v in props if n == "dkhealth_rule") == sorted(expected_rules(OIOXML / STRUCTURE))
    assert ("dkhealth_standard", "medcom.oioxml.XDIS91@XD9134L") in props
    assert ("dkhealth_sha256", hashlib.sha256((OIOXML / STRUCTURE).read_bytes()).hexdigest()) in props
    assert structure.find("failure") is not None
    valid_props = [p.get("name") for p in cases[f"messages.{VALID}"].iter("property")]
    assert "dkhealth_rule" not in valid_props and "dkhealth_sha256" in valid_props


def test_html_report(pytester: pytest.Pytester, messages: Path) -> None:
    result = pytester.runpytest("--dkhealth", "messages", "--dkhealth-report", "out/report.html")
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(["dkhealth: 4 payload(s) checked, 2 conform*; HTML report: *out/report.html"])
    html = (pytester.path / "out" / "report.html").read_text(encoding="utf-8")
    for name in (VALID, STRUCTURE, BUSINESS, MOJIBAKE):
        assert f"messages/{name}" in html
    for rule in expected_rules(OIOXML / STRUCTURE):
        assert rule in html
    assert "2023-02-29" in html  # the quoted offending line


def test_xdist(pytester: pytest.Pytester, messages: Path) -> None:
    result = pytester.runpytest_subprocess(
        "--dkhealth", "messages", "-n", "2", "-p", "xdist",
        "--dkhealth-report", "report.html", "--junitxml", "junit.xml",
    )
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(["*2 workers*", f"FAILED {nodeid(STRUCTURE)}*"])
    html = (pytester.path / "report.html").read_text(encoding="utf-8")
    for name in (VALID, STRUCTURE, BUSINESS, MOJIBAKE):
        assert f"messages/{name}" in html
    assert "2023-02-29" in html
    rules = [p.get("value") for p in ET.parse(pytester.path / "junit.xml").iter("property")
             if p.get("name") == "dkhealth_rule"]
    assert set(expected_rules(OIOXML / STRUCTURE)) <= set(rules)


def test_plugin_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines([
        "*--dkhealth *", "*--dkhealth-standard=ID?@VERSION?*", "*--dkhealth-fail-on=*",
        "*--dkhealth-report=FILE.html*", "*dkhealth_paths*",
    ])
