"""Hostile and broken input: each gives one clear fatal issue, exit code 1, and nothing is
expanded, resolved, fetched or written."""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
import typing
from pathlib import Path

import pytest

from dkhealth_conformance import validate
from dkhealth_conformance.payload import DEFAULT_MAX_BYTES, Limits, load
from dkhealth_conformance.render import FORMATS, render

from .conftest import BOOM, NOTE_NS, rule_ids

SECRET = "TOP-SECRET-7f3a9c"

LOL = "".join(
    f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10)
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + LOL
    + f']>\n<Note xmlns="{NOTE_NS}">&lol9;</Note>'
)


def xxe(secret_file: Path) -> str:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE Note [<!ENTITY xxe SYSTEM "file://{secret_file}">]>\n'
        f'<Note xmlns="{NOTE_NS}"><To>&xxe;</To><Body>x</Body></Note>'
    )


def xinclude(secret_file: Path, root: str = "Letter") -> str:
    return (
        f'<{root} xmlns="{NOTE_NS if root == "Note" else "urn:demo:other"}" '
        'xmlns:xi="http://www.w3.org/2001/XInclude">'
        f'<To>Ann</To><Body><xi:include href="file://{secret_file}" parse="text"/></Body></{root}>'
    )


CASES: dict[str, tuple[bytes, str]] = {
    "billion-laughs": (BILLION_LAUGHS.encode(), "xml.dtd-forbidden"),
    "external-dtd": (
        b'<?xml version="1.0"?>\n<!DOCTYPE Note SYSTEM "http://127.0.0.1:9/note.dtd">\n'
        b'<Note xmlns="urn:demo:note"/>',
        "xml.dtd-forbidden",
    ),
    "empty": (b"", "payload.empty"),
    "blank": (b" \r\n\t\n", "payload.empty"),
    "truncated-xml": (f'<?xml version="1.0"?>\n<Note xmlns="{NOTE_NS}">\n  <To>An'.encode(), "xml.malformed"),
    "truncated-json": (b'{"resourceType": "Patient",\n "name": [{"family": "Hans', "json.malformed"),
    "deep-json": (b"[" * 100_000 + b"]" * 100_000, "json.too-deep"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "payload.binary"),
    "undecodable": ('<?xml version="1.0" encoding="UTF-8"?><Note>Søren</Note>'.encode("latin-1"),
                    "payload.undecodable"),
}


def assert_one_fatal(report, rule_id: str) -> None:
    assert rule_ids(report) == [rule_id], report.issues
    assert report.issues[0].severity.value == "fatal"
    assert report.issues[0].message
    assert report.verdict == "unreadable"
    assert not report.valid


@pytest.mark.parametrize("case", sorted(CASES))
def test_library_gives_one_fatal_issue(case: str, demo_registry) -> None:
    data, expected = CASES[case]
    started = time.perf_counter()
    report = validate(data, registry=demo_registry)
    assert time.perf_counter() - started < 5
    assert_one_fatal(report, expected)


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_exit_1_and_file_untouched(case: str, cli, tmp_path: Path) -> None:
    data, expected = CASES[case]
    target = tmp_path / "payload.xml"
    target.write_bytes(data)
    os.chmod(target, 0o444)
    before = (target.read_bytes(), target.stat().st_mtime_ns, target.stat().st_mode)
    result = cli("check", "--format", "json", str(target))
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)["reports"][0]
    assert [i["rule"] for i in report["issues"]] == [expected]
    assert report["verdict"] == "unreadable"
    assert (target.read_bytes(), target.stat().st_mtime_ns, target.stat().st_mode) == before


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n")
    return path


def test_xxe_never_reads_the_file(secret_file: Path, demo_registry, cli, tmp_path: Path) -> None:
    report = validate(xxe(secret_file), registry=demo_registry)
    assert_one_fatal(report, "xml.dtd-forbidden")
    for fmt in FORMATS:
        assert SECRET not in render([report], fmt)
    assert SECRET not in json.dumps(report.to_dict())
    target = tmp_path / "xxe.xml"
    target.write_text(xxe(secret_file))
    for fmt in FORMATS:
        result = cli("check", "--format", fmt, str(target))
        assert result.exit_code == 1
        assert SECRET not in result.output


def test_xxe_without_doctype_check_is_not_resolved_by_the_parser(secret_file: Path) -> None:
    """Defence in depth: the hardened parser itself never substitutes an external entity."""
    from lxml import etree

    from dkhealth_conformance.payload import xml_parser

    tree = etree.fromstring(xxe(secret_file).encode(), xml_parser())
    assert SECRET not in etree.tostring(tree, encoding="unicode")


def test_billion_laughs_is_not_expanded(demo_registry) -> None:
    started = time.perf_counter()
    report = validate(BILLION_LAUGHS, registry=demo_registry)
    assert time.perf_counter() - started < 1
    assert_one_fatal(report, "xml.dtd-forbidden")
    assert report.issues[0].location.line == 2
    assert "lollol" not in json.dumps(report.to_dict())


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: typing.ClassVar[list[str]] = []

    def do_GET(self) -> None:  # pragma: no cover - reached only if the parser fetches
        _Recorder.requests.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'<!ENTITY leak "LEAKED">')

    def log_message(self, *args: object) -> None:
        pass


def test_external_dtd_and_entities_are_never_fetched(demo_registry) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        payloads = [
            f'<!DOCTYPE Note SYSTEM "{url}/note.dtd"><Note xmlns="{NOTE_NS}">&leak;</Note>',
            f'<!DOCTYPE Note [<!ENTITY % ext SYSTEM "{url}/p.dtd"> %ext;]><Note xmlns="{NOTE_NS}"/>',
            f'<!DOCTYPE Note [<!ENTITY e SYSTEM "{url}/e.txt">]><Note xmlns="{NOTE_NS}">&e;</Note>',
        ]
        for text in payloads:
            report = validate(text, registry=demo_registry)
            assert_one_fatal(report, "xml.dtd-forbidden")
            assert "LEAKED" not in json.dumps(report.to_dict())
            # the hardened parser alone must not fetch either
            from lxml import etree

            from dkhealth_conformance.payload import xml_parser

            try:
                etree.fromstring(text.encode(), xml_parser())
            except etree.XMLSyntaxError:
                pass
    finally:
        server.shutdown()
        server.server_close()
    assert _Recorder.requests == []


def test_xinclude_is_not_processed(secret_file: Path, demo_registry) -> None:
    report = validate(xinclude(secret_file), registry=demo_registry)
    assert_one_fatal(report, "payload.unrecognised")
    assert SECRET not in json.dumps(report.to_dict())
    # inside a recognised document, the include element stays an element: nothing is inlined
    payload = load(xinclude(secret_file, root="Note").encode())
    assert payload.issues == []
    body = payload.xml.getroot()[1]
    assert body[0].tag == "{http://www.w3.org/2001/XInclude}include"
    assert SECRET not in (body.text or "")
    report = validate(xinclude(secret_file, root="Note"), registry=demo_registry)
    assert report.standard == "demo.note"
    assert SECRET not in json.dumps(report.to_dict())


def test_size_limit_default_and_configurable(tmp_path: Path, cli) -> None:
    big = tmp_path / "big.xml"
    with big.open("wb") as handle:  # a sparse file: cheap to make, never read past the limit
        handle.truncate(DEFAULT_MAX_BYTES + 1)
    report = validate(big)
    assert_one_fatal(report, "payload.too-large")
    assert str(DEFAULT_MAX_BYTES) in report.issues[0].message
    small = tmp_path / "small.xml"
    small.write_text(f'<Note xmlns="{NOTE_NS}"><To>Ann</To></Note>')
    assert_one_fatal(validate(small, limits=Limits(max_bytes=10)), "payload.too-large")
    assert_one_fatal(validate(small.read_bytes(), limits=Limits(max_bytes=10)), "payload.too-large")
    result = cli("check", "--max-size", "10", "--format", "json", str(small))
    assert result.exit_code == 1
    assert [i["rule"] for i in json.loads(result.output)["reports"][0]["issues"]] == ["payload.too-large"]
    assert cli("check", str(small)).exit_code == 0


def test_json_depth_limit_is_configurable(tmp_path: Path, cli) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"a": [[[[1]]]]}')  # depth 5
    result = cli("check", "--max-depth", "4", "--format", "json", str(path))
    assert result.exit_code == 1
    assert [i["rule"] for i in json.loads(result.output)["reports"][0]["issues"]] == ["json.too-deep"]
    result = cli("check", "--max-depth", "5", "--format", "json", str(path))
    assert [i["rule"] for i in json.loads(result.output)["reports"][0]["issues"]] == ["payload.unrecognised"]


def test_missing_file_is_unreadable(tmp_path: Path, cli) -> None:
    report = validate(tmp_path / "nope.xml")
    assert_one_fatal(report, "payload.unreadable")
    assert cli("check", str(tmp_path / "nope.xml")).exit_code == 1


@pytest.mark.parametrize("source", [12, 3.5, object(), "%PDF-1.7\x00\x00", None])
def test_validate_never_raises_on_odd_sources(source) -> None:
    report = validate(source)
    assert len(report.issues) == 1
    assert report.issues[0].severity.value == "fatal"
    assert report.issues[0].rule_id in {"payload.unreadable", "payload.binary"}


def test_internal_error_becomes_a_fatal_issue(demo_registry) -> None:
    report = validate(BOOM, registry=demo_registry)
    assert rule_ids(report) == ["internal-error"]
    issue = report.issues[0]
    assert issue.severity.value == "fatal"
    assert "RuntimeError" in issue.message and "the boom validator exploded" in issue.message
    assert "report" in issue.message
    assert report.standard == "demo.boom"


def test_internal_error_exit_code_3(cli, tmp_path: Path) -> None:
    path = tmp_path / "boom.xml"
    path.write_text(BOOM)
    ok = tmp_path / "ok.xml"
    ok.write_text(f'<Note xmlns="{NOTE_NS}"><To>Ann</To></Note>')
    result = cli("check", str(ok), str(path))
    assert result.exit_code == 3
    assert "internal-error" in result.output


def test_a_failing_detector_is_an_internal_error_too(demo_registry) -> None:
    class BadDetector:
        name, version, family = "bad", "0", "bad"
        rules = ()

        def standards(self):
            return []

        def detect(self, payload):
            raise KeyError("detector bug")

    demo_registry.register(BadDetector())
    report = validate(f'<Note xmlns="{NOTE_NS}"><To>Ann</To></Note>', registry=demo_registry)
    # the demo pack is asked first and recognises the note; for another payload the bad one fails
    assert report.valid
    report = validate("<Other/>", registry=demo_registry)
    assert rule_ids(report) == ["internal-error"]
