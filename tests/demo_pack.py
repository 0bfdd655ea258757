"""A tiny standard pack used by the tests: ``demo.note`` for ``<Note xmlns="urn:demo:note">``.

It exercises the whole pipeline without depending on a real standard pack. A second pack,
``demo.boom``, fails inside its validator so that the internal-error path can be tested.
Both are exposed through an entry point by the ``demo_entry_points`` fixture in conftest.py.
"""

from __future__ import annotations

from dkhealth_conformance import Issue, Options, Payload, RuleSet, Severity, Standard
from dkhealth_conformance.payload import XML, location_of

NOTE_NS = "urn:demo:note"
BOOM_NS = "urn:demo:boom"

DEMO_RULES = RuleSet("demo")
MISSING_TO = DEMO_RULES.add(
    "demo.note.missing-to", Severity.ERROR, "A note must name its recipient",
    source="Demo note standard §1", rationale="A note without a recipient cannot be delivered.",
    issue_type="required",
    example="<Note><Body>hi</Body></Note>",
    example_payload=f'<Note xmlns="{NOTE_NS}"><Body>hi</Body></Note>',
    example_standard="demo.note",
)
EMPTY_BODY = DEMO_RULES.add(
    "demo.note.empty-body", Severity.WARNING, "A note should have a body",
    source="Demo note standard §2", rationale="An empty note is probably a mistake.",
    example="<Note><To>x</To><Body/></Note>",
    example_payload=f'<Note xmlns="{NOTE_NS}"><To>Ann</To><Body/></Note>',
    example_standard="demo.note",
)

NOTE_1 = Standard("demo.note", "1.0", "demo", "Demo note", formats=(XML,))
NOTE_2 = Standard("demo.note", "2.0", "demo", "Demo note", status="draft", formats=(XML,))


class DemoPack:
    name = "demo"
    version = "1.0"
    family = "demo"
    rules = DEMO_RULES

    def standards(self) -> list[Standard]:
        return [NOTE_1, NOTE_2]

    def detect(self, payload: Payload) -> Standard | None:
        if payload.root == "Note" and payload.namespace == NOTE_NS:
            return NOTE_1
        return None

    def validate(self, payload: Payload, standard: Standard, options: Options) -> list[Issue]:
        root = payload.xml.getroot()
        issues: list[Issue] = []
        to = root.find(f"{{{NOTE_NS}}}To")
        if to is None or not (to.text or "").strip():
            issues.append(MISSING_TO.issue("the note has no <To> recipient", location_of(root)))
        body = root.find(f"{{{NOTE_NS}}}Body")
        if body is not None and not (body.text or "").strip():
            issues.append(EMPTY_BODY.issue(f"the body is empty: {body.text or ''}", location_of(body)))
        # the recipient's name is quoted back, so that escaping of payload values can be tested
        if to is not None and to.text and to.text.startswith("<"):
            issues.append(MISSING_TO.issue(f"recipient {to.text!s} is not a name", location_of(to)))
        return issues


BOOM_RULES = RuleSet("boom")
BOOM = Standard("demo.boom", "1.0", "boom", "A standard whose validator fails", formats=(XML,))


class BoomPack:
    name = "boom"
    version = "0.1"
    family = "boom"
    rules = BOOM_RULES

    def standards(self) -> list[Standard]:
        return [BOOM]

    def detect(self, payload: Payload) -> Standard | None:
        return BOOM if payload.namespace == BOOM_NS else None

    def validate(self, payload: Payload, standard: Standard, options: Options) -> list[Issue]:
        raise RuntimeError("the boom validator exploded")


def make_demo_pack() -> DemoPack:
    return DemoPack()


boom_pack = BoomPack()
