"""JUnit XML: one ``testcase`` per payload; failures list the issues; rule ids as properties."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree

from ..report import Report, Severity

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _safe(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold (control characters, lone surrogates)
    replaced by U+FFFD; payload values quoted in messages may contain them."""
    return _NOT_XML.sub("\ufffd", text)


def _case(report: Report) -> etree._Element:
    case = etree.Element(
        "testcase",
        classname=f"dkconform.{report.standard or 'unrecognised'}",
        name=_safe(report.name),
        time=f"{report.timings.get('total', 0.0) / 1000:.6f}",
    )
    props = etree.SubElement(case, "properties")
    etree.SubElement(props, "property", name="sha256", value=report.digest)
    etree.SubElement(props, "property", name="standard", value=report.standard_ref or "")
    for rule_id in report.rule_ids():
        etree.SubElement(props, "property", name="rule", value=_safe(rule_id))
    internal = [i for i in report.issues if i.rule_id == "internal-error"]
    bad = [i for i in report.issues if i.severity.at_least(Severity.ERROR)]
    if internal or bad:
        tag = "error" if internal else "failure"
        summary = f"{report.verdict}: {len(bad)} issue(s): {', '.join(report.rule_ids())}"
        element = etree.SubElement(
            case, tag, message=_safe(summary),
            type=(internal or bad)[0].rule_id,
        )
        element.text = _safe("\n".join(
            f"{i.severity.value} {i.rule_id} {i.location} (line {i.location.line or '?'}): {i.message}"
            for i in report.issues
        ))
    other = [i for i in report.issues if not i.severity.at_least(Severity.ERROR)]
    if other:
        out = etree.SubElement(case, "system-out")
        lines = [f"{i.severity.value} {i.rule_id} {i.location}: {i.message}" for i in other]
        out.text = _safe("\n".join(lines))
    return case


def render(reports: Sequence[Report]) -> str:
    cases = [_case(r) for r in reports]
    failures = sum(1 for c in cases if c.find("failure") is not None)
    errors = sum(1 for c in cases if c.find("error") is not None)
    total = sum(r.timings.get("total", 0.0) for r in reports) / 1000
    suites = etree.Element("testsuites", name="dkconform", tests=str(len(cases)), failures=str(failures),
                           errors=str(errors), time=f"{total:.6f}")
    suite = etree.SubElement(suites, "testsuite", name="dkconform", tests=str(len(cases)),
                             failures=str(failures), errors=str(errors), skipped="0", time=f"{total:.6f}")
    suite.extend(cases)
    return etree.tostring(suites, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode("utf-8")
