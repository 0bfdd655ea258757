"""``dkconform``: commands, options, exit codes (0 conformant, 1 not, 2 usage, 3 internal)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from dkhealth_conformance import __version__
from dkhealth_conformance.render import FORMATS

from .conftest import BOOM, INVALID_NOTE, NOTE_NS, VALID_NOTE, WARNING_NOTE, dkconform_cmd


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    payloads = [("valid.xml", VALID_NOTE), ("invalid.xml", INVALID_NOTE), ("warning.xml", WARNING_NOTE),
                ("boom.xml", BOOM), ("letter.xml", '<Letter xmlns="urn:x:letter"/>')]
    for name, text in payloads:
        out[name] = tmp_path / name
        out[name].write_text(text)
    return out


def reports_of(output: str) -> list[dict]:
    return json.loads(output)["reports"]


# ----------------------------------------------------------------------------- exit codes


def test_exit_0_for_a_conformant_payload(cli, files) -> None:
    result = cli("check", str(files["valid.xml"]))
    assert result.exit_code == 0
    assert f"{files['valid.xml']}: conformant (demo.note@1.0" in result.output
    assert result.output.rstrip().endswith("1 payload(s) checked: 1 conformant, 0 not; no issues")


def test_exit_1_for_a_non_conformant_payload(cli, files) -> None:
    result = cli("check", str(files["valid.xml"]), str(files["invalid.xml"]))
    assert result.exit_code == 1
    assert f"{files['invalid.xml']}:2 error demo.note.missing-to /Note the note has no <To> recipient" \
        in result.output


@pytest.mark.parametrize("args", [
    ["check"],
    ["check", "--format", "yaml", "x.xml"],
    ["check", "--fail-on", "information", "x.xml"],
    ["check", "--jobs", "0", "x.xml"],
    ["nosuchcommand"],
])
def test_exit_2_for_usage_errors(cli, args: list[str]) -> None:
    assert cli(*args).exit_code == 2


def test_exit_2_for_an_unknown_standard(cli, files) -> None:
    result = cli("check", "--standard", "demo.nosuch", str(files["valid.xml"]))
    assert result.exit_code == 2
    assert "unknown standard 'demo.nosuch'" in result.output
    assert "demo.note" in result.output  # lists the supported ones
    assert cli("check", "--standard", "demo.note@9.9", str(files["valid.xml"])).exit_code == 2


def test_exit_2_when_a_directory_holds_no_payloads(cli, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    result = cli("check", str(tmp_path))
    assert result.exit_code == 2
    assert "no payload files" in result.output


def test_exit_3_for_an_internal_error(cli, files) -> None:
    result = cli("check", str(files["invalid.xml"]), str(files["boom.xml"]))
    assert result.exit_code == 3
    assert "internal-error" in result.output and "the boom validator exploded" in result.output


# ------------------------------------------------------------------------------- options


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format(cli, files, fmt: str) -> None:
    result = cli("check", "--format", fmt, str(files["valid.xml"]), str(files["invalid.xml"]))
    assert result.exit_code == 1
    out = result.output
    if fmt == "json":
        assert [r["verdict"] for r in reports_of(out)] == ["conformant", "not-conformant"]
    elif fmt == "outcome":
        assert json.loads(out)["resourceType"] == "Bundle"
    elif fmt == "sarif":
        assert json.loads(out)["runs"][0]["results"][0]["ruleId"] == "demo.note.missing-to"
    elif fmt == "junit":
        assert len(etree.fromstring(out.encode()).findall("testsuite/testcase")) == 2
    elif fmt == "html":
        assert out.startswith("<!DOCTYPE html>") and "demo.note.missing-to" in out
    else:
        assert "error demo.note.missing-to" in out
    assert "\033[" not in out  # colour only on a terminal


def test_output_file(cli, files, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()
    result = cli("check", "--format", "json", "--output", str(target), str(files["invalid.xml"]))
    assert result.exit_code == 1
    assert result.output == ""
    assert reports_of(target.read_text(encoding="utf-8"))[0]["issues"][0]["rule"] == "demo.note.missing-to"


def test_fail_on_warning(cli, files) -> None:
    assert cli("check", str(files["warning.xml"])).exit_code == 0
    result = cli("check", "--fail-on", "warning", str(files["warning.xml"]))
    assert result.exit_code == 1
    assert "warning demo.note.empty-body" in result.output


def test_quiet(cli, files) -> None:
    result = cli("check", "--quiet", str(files["invalid.xml"]))
    assert (result.exit_code, result.output) == (1, "")
    result = cli("check", "-q", str(files["valid.xml"]))
    assert (result.exit_code, result.output) == (0, "")


def test_jobs_keep_input_order(cli, tmp_path: Path) -> None:
    names = [f"{c}.xml" for c in "qwertyuiopasdf"]
    for n, name in enumerate(names):
        (tmp_path / name).write_text(VALID_NOTE if n % 3 else INVALID_NOTE)
    paths = [str(tmp_path / name) for name in names]
    serial = cli("check", "--format", "json", *paths)
    parallel = cli("check", "--format", "json", "--jobs", "2", *paths)
    assert parallel.exit_code == serial.exit_code == 1
    assert [r["name"] for r in reports_of(parallel.output)] == paths
    strip = [{k: v for k, v in r.items() if k != "timings_ms"} for r in reports_of(serial.output)]
    assert [{k: v for k, v in r.items() if k != "timings_ms"} for r in reports_of(parallel.output)] == strip


def test_directories_are_recursive_with_include_and_exclude(cli, tmp_path: Path) -> None:
    tree = {
        "a/one.xml": VALID_NOTE, "a/b/two.xml": INVALID_NOTE, "a/b/c/three.json": '{"x": 1}',
        "a/skip-me.xml": VALID_NOTE, "a/.hidden.xml": VALID_NOTE, "a/.git/four.xml": VALID_NOTE,
        "a/notes.txt": "text", "a/b/five.hl7": "MSH|^~\\&|A\r",
    }
    for rel, text in tree.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    root = tmp_path / "a"

    def names(*args: str) -> list[str]:
        result = cli("check", "--format", "json", *args)
        return [Path(r["name"]).relative_to(root).as_posix() for r in reports_of(result.output)]

    assert names(str(root)) == ["one.xml", "skip-me.xml", "b/five.hl7", "b/two.xml", "b/c/three.json"]
    assert names("--include", "*.xml", str(root)) == ["one.xml", "skip-me.xml", "b/two.xml"]
    excluded = names("--exclude", "skip-*", "--exclude", "*.json", str(root))
    assert excluded == ["one.xml", "b/five.hl7", "b/two.xml"]
    assert names("--include", "*.txt", str(root)) == ["notes.txt"]
    assert names("--exclude", "*/b/*", str(root)) == ["one.xml", "skip-me.xml"]


def test_stdin(cli) -> None:
    result = cli("check", "--format", "json", "-", input=INVALID_NOTE.encode())
    assert result.exit_code == 1
    (report,) = reports_of(result.output)
    assert report["name"] == "<stdin>"
    assert [i["rule"] for i in report["issues"]] == ["demo.note.missing-to"]
    assert cli("check", "-", input=VALID_NOTE.encode()).exit_code == 0


def test_forced_standard_and_version(cli, tmp_path: Path) -> None:
    bare = tmp_path / "bare.xml"
    bare.write_text("<Note><To>Ann</To></Note>")  # no namespace: not detected
    assert reports_of(cli("check", "--format", "json", str(bare)).output)[0]["issues"][0]["rule"] == \
        "payload.unrecognised"
    forced = reports_of(cli("check", "--format", "json", "--standard", "demo.note@2.0", str(bare)).output)[0]
    assert (forced["standard"], forced["version"]) == ("demo.note", "2.0")
    json_file = tmp_path / "x.json"
    json_file.write_text('{"resourceType": "Patient"}')
    result = cli("check", "--format", "json", "--standard", "demo.note", str(json_file))
    assert result.exit_code == 1
    (issue,) = reports_of(result.output)[0]["issues"]
    assert issue["rule"] == "standard.not-applicable"
    assert "demo.note" in issue["message"]


def test_unrecognised_payload_names_what_was_sniffed(cli, files) -> None:
    result = cli("check", "--format", "json", str(files["letter.xml"]))
    assert result.exit_code == 1
    (issue,) = reports_of(result.output)[0]["issues"]
    assert issue["rule"] == "payload.unrecognised"
    assert "root element <Letter> in namespace urn:x:letter" in issue["message"]
    assert "demo.note" in issue["message"] and "demo.boom" in issue["message"]


def test_progress_bar_goes_to_stderr(cli, files) -> None:
    paths = [str(files["valid.xml"]), str(files["invalid.xml"])]
    result = cli("check", "--progress", "--format", "json", *paths)
    assert len(reports_of(result.stdout)) == 2


def test_input_files_are_not_modified(cli, files, tmp_path: Path) -> None:
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files.values()}
    cli("check", "--jobs", "2", str(tmp_path))
    cli("check", "--format", "html", "--output", str(tmp_path / "report.html"), *map(str, files.values()))
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files.values()} == before


# ------------------------------------------------------------------------ other commands


def test_standards(cli) -> None:
    result = cli("standards")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["ID", "FAMILY", "VERSION", "STATUS"]
    assert ["demo.note", "demo", "1.0", "active"] in [line.split() for line in lines]
    assert ["demo.note", "demo", "2.0", "draft"] in [line.split() for line in lines]


def test_standards_show(cli) -> None:
    result = cli("standards", "show", "demo.note")
    assert result.exit_code == 0
    assert "demo.note: Demo note" in result.output
    assert "version 1.0  status active" in result.output and "version 2.0  status draft" in result.output
    assert "rules: 2 in pack demo" in result.output
    unknown = cli("standards", "show", "demo.nope")
    assert unknown.exit_code == 2 and "unknown standard" in unknown.output


def test_rules(cli) -> None:
    result = cli("rules")
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split()[1] for line in result.output.splitlines()}
    assert rows["demo.note.missing-to"] == "error"
    assert rows["payload.mojibake"] == "warning"
    assert rows["internal-error"] == "fatal"
    demo = cli("rules", "--family", "demo")
    listed = [line.split()[0] for line in demo.output.splitlines()]
    assert listed == ["demo.note.empty-body", "demo.note.missing-to"]
    markdown = cli("rules", "--format", "markdown", "--family", "demo")
    assert markdown.output.startswith("# Rule catalogue") and "### `demo.note.missing-to`" in markdown.output


def test_explain(cli) -> None:
    result = cli("explain", "demo.note.missing-to")
    assert result.exit_code == 0
    assert "demo.note.missing-to  (error)" in result.output
    assert "Source:    Demo note standard §1" in result.output
    assert "Example:" in result.output
    unknown = cli("explain", "demo.note.missing-too")
    assert unknown.exit_code == 2
    assert "did you mean demo.note.missing-to" in unknown.output
    far = cli("explain", "zzzz")
    assert far.exit_code == 2 and "dkconform rules" in far.output


def test_version(cli) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == f"dkconform (dkhealth-conformance) {__version__}"
    assert "  pack demo 1.0 (demo)" in result.output.splitlines()


# ----------------------------------------------------------------------- real processes


def run(args: list[str], env: dict[str, str], input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, input=input, capture_output=True, timeout=120)


def test_subprocess_exit_codes_and_stdin(subprocess_env, files) -> None:
    cmd = [*dkconform_cmd(), "check"]
    ok = run([*cmd, str(files["valid.xml"])], subprocess_env)
    assert ok.returncode == 0, ok.stderr
    bad = run([*cmd, "-"], subprocess_env, input=INVALID_NOTE.encode())
    assert bad.returncode == 1
    assert b"<stdin>:2 error demo.note.missing-to" in bad.stdout
    assert b"\033[" not in bad.stdout
    boom = run([*cmd, "--jobs", "2", str(files["valid.xml"]), str(files["boom.xml"])], subprocess_env)
    assert boom.returncode == 3
    usage = run([*cmd, "--standard", "nope", str(files["valid.xml"])], subprocess_env)
    assert usage.returncode == 2 and b"unknown standard" in usage.stderr


def test_console_script(subprocess_env, files) -> None:
    beside = Path(sys.executable).parent / "dkconform"  # where pip put it for this interpreter
    script = str(beside) if beside.is_file() else shutil.which("dkconform")
    assert script, "the dkconform console script is not installed"
    result = run([script, "--version"], subprocess_env)
    assert result.returncode == 0
    assert b"pack demo 1.0" in result.stdout
    result = run([script, "check", "--format", "sarif", str(files["invalid.xml"])], subprocess_env)
    assert result.returncode == 1
    assert json.loads(result.stdout)["version"] == "2.1.0"


def test_unknown_namespace_note_is_not_the_demo_standard(cli, tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_text(f'<Note xmlns="{NOTE_NS}-v2"><To>x</To></Note>')
    assert cli("check", str(path)).exit_code == 1


def test_explain_a_member_of_a_keyed_rule(cli) -> None:
    result = cli("explain", "fhir.invariant.obs-6")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("fhir.invariant  (error)")
    assert "fhir.invariant.obs-6 is the member 'obs-6' of this family." in result.output
    assert cli("explain", "fhir.cardinality.min.obs-6").exit_code == 2
