"""The MedCom message rules: what no StructureDefinition of the standards can express.

:func:`check_message` takes a parsed Bundle (the JSON form; FHIR XML is converted first) and the
standard it is checked against, and returns issues located by FHIRPath with indices
(``Bundle.entry[3].resource.identifier[0].value``); the pack adds lines and columns.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from ... import dk
from ...report import Issue, Severity
from . import rules as R
from .standards import (
    ACKNOWLEDGEMENT,
    CARECOMMUNICATION,
    DESTINATION_USE_URL,
    GLN_SYSTEM,
    GLN_SYSTEM_LATER,
    HN_TABLE,
    HOSPITALNOTIFICATION,
    SOR_SYSTEM,
    MessageKind,
    kind_of_event,
)
from .types import DESCEND, ENTRIES, ENTRY_RESOURCE, RESOURCE, TIME, DateTimeWalker, Node

_MH_REF = re.compile(r"(?:^|/)MessageHeader/([A-Za-z0-9\-.]{1,64})$")
_TZ = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_ACK_CODES = ("ok", "transient-error", "fatal-error")
_FOLLOW_UP_REMOVAL = "cancel-"


class Message:
    """A Bundle with its entries indexed by fullUrl and ``Type/id`` (once per message)."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.bundle = bundle
        entries = bundle.get("entry")
        self.entries: list[tuple[int, dict[str, Any]]] = []
        self.index: dict[str, tuple[int, dict[str, Any]]] = {}
        if isinstance(entries, list):
            for i, entry in enumerate(entries):
                res = entry.get("resource") if isinstance(entry, dict) else None
                if not isinstance(res, dict):
                    continue
                self.entries.append((i, res))
                if isinstance(entry.get("fullUrl"), str):
                    self.index.setdefault(entry["fullUrl"], (i, res))
                if isinstance(res.get("resourceType"), str) and isinstance(res.get("id"), str):
                    self.index.setdefault(f"{res['resourceType']}/{res['id']}", (i, res))
        first = self.entries[0] if self.entries else None
        self.header: dict[str, Any] | None = (
            first[1] if first is not None and first[0] == 0 and first[1].get("resourceType") == "MessageHeader"
            else None)
        if self.header is None:  # still check the rest against the first MessageHeader found
            self.header = next((r for _, r in self.entries if r.get("resourceType") == "MessageHeader"), None)
        self.header_index = next((i for i, r in self.entries if r is self.header), 0)

    def resolve(self, ref: Any) -> tuple[int, dict[str, Any]] | None:
        """The entry a Reference (dict) or reference string points at."""
        if isinstance(ref, dict):
            ref = ref.get("reference")
        if not isinstance(ref, str):
            return None
        found = self.index.get(ref)
        if found is None and "/" in ref and not ref.startswith(("urn:", "#")):
            parts = ref.rstrip("/").split("/")
            if len(parts) >= 2:
                found = self.index.get("/".join(parts[-2:]))
        return found

    def of_type(self, rtype: str) -> list[tuple[int, dict[str, Any]]]:
        return [(i, r) for i, r in self.entries if r.get("resourceType") == rtype]

    def header_id_of(self, ref: Any) -> str | None:
        """The MessageHeader id a reference names (bundled, or ``MessageHeader/<id>``)."""
        found = self.resolve(ref)
        if found is not None:
            res = found[1]
            return res.get("id") if res.get("resourceType") == "MessageHeader" else None
        text = ref.get("reference") if isinstance(ref, dict) else ref
        match = _MH_REF.search(text) if isinstance(text, str) else None
        return match.group(1) if match else None


def _e(index: int) -> str:
    return f"Bundle.entry[{index}].resource"


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def check_message(bundle: dict[str, Any], kind: MessageKind, walker: DateTimeWalker | None = None) -> list[Issue]:
    """Every message-rule issue of ``bundle`` checked as ``kind``."""
    msg = Message(bundle)
    found = _scan(msg, walker)
    issues: list[Issue] = []
    issues += _bundle(msg, kind)
    if msg.header is not None:
        issues += _header(msg, kind)
        issues += _provenance(msg, kind)
        if kind is HOSPITALNOTIFICATION:
            issues += _hospital_notification(msg)
        if kind is ACKNOWLEDGEMENT:
            issues += _acknowledgement(msg)
        if kind is CARECOMMUNICATION:
            issues += _profile_claims(msg)
    issues += _references(msg, found)
    issues += _narratives(msg, found)
    if walker is not None:
        issues += [R.TIMEZONE_MISSING.issue(f"{value!r} has no {what}; MedCom messages give every dateTime and "
                                            "instant with a time and a time zone (Z or +hh:mm)", path)
                   for path, value, what in _timezones(found.times)]
    return issues


def _timezones(times: list[tuple[str, str]]) -> Iterator[tuple[str, str, str]]:
    for path, value in times:
        if not _TZ.match(value):
            what = "time" if "T" not in value else "time zone"
            yield path, value, what


# ------------------------------------------------------------------------------------- walk


class _Found:
    """What one walk of a message collects: for each entry (in order) its resource and the
    References in it (path, Reference), the base64 ``data`` of every Attachment (and Signature,
    Binary) of the entries, and with a walker the dateTime and instant values of the Bundle
    (path, value), in the order of the walk."""

    __slots__ = ("attachments", "entries", "times", "walker")

    def __init__(self, walker: DateTimeWalker | None) -> None:
        self.walker = walker
        self.entries: list[tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]] = []
        self.attachments: list[str] = []
        self.times: list[tuple[str, str]] = []


def _scan(msg: Message, walker: DateTimeWalker | None) -> _Found:
    """One walk of the Bundle for the rules that look everywhere: references (not into contained
    resources, narrative or primitive extensions ``_x``), attachment data (not into narrative) and,
    guided by the walker's nodes, dateTime and instant values (the whole Bundle)."""
    found = _Found(walker)
    bundle = msg.bundle
    root: Node | None = None
    if walker is not None:
        rtype = bundle.get("resourceType")
        root = walker.message_node() if rtype == "Bundle" else walker.node(rtype) if isinstance(rtype, str) \
            else None
    if root is not None and root.get("entry", (None,))[0] == ENTRIES and isinstance(bundle.get("entry"), list):
        _walk(bundle, root, "Bundle" if bundle.get("resourceType") == "Bundle" else str(bundle["resourceType"]),
              None, None, found)
        return found
    # not a Bundle of the usual shape (or no walker): the entries on their own
    if root is not None:
        _walk(bundle, root, str(bundle["resourceType"]), None, None, found)
    for index, res in msg.entries:
        refs: list[tuple[str, dict[str, Any]]] = []
        found.entries.append((res, refs))
        _walk(res, None, _e(index), refs, found.attachments, found)
    return found


_NOT_FOR_REFERENCES = frozenset({"contained", "text"})


def _walk(obj: dict[str, Any], node: Node | None, path: str, refs: list[tuple[str, dict[str, Any]]] | None,
          attachments: list[str] | None, found: _Found) -> None:
    """Walk ``obj``: references go to ``refs`` and attachment data to ``attachments`` (None where
    they are not looked for), dateTime and instant values (where ``node`` says) to ``found.times``.
    The child of a key is walked when it can hold any of them: never below a key ``text`` for
    attachments, never below ``contained``, ``text`` or ``_x`` for references."""
    if refs is not None and isinstance(obj.get("reference"), str):
        refs.append((path, obj))
    if attachments is not None:
        data = obj.get("data")
        if isinstance(data, str) and len(data) >= 16:
            attachments.append(data)
    for key, value in obj.items():
        if isinstance(value, str):
            if node is not None:
                spec = node.get(key)
                if spec is not None and spec[0] == TIME:
                    found.times.append((f"{path}.{key}", value))
        elif isinstance(value, dict):
            spec = node.get(key) if node is not None else None
            inner_refs = None if refs is None or key in _NOT_FOR_REFERENCES or key.startswith("_") else refs
            inner_attachments = None if key == "text" else attachments
            inner: Node | None = None
            if spec is not None:
                code = spec[0]
                if code == DESCEND:
                    inner = spec[1]
                elif code == ENTRIES:
                    inner = spec[1][1]  # not a list of entries: no entries of the message
                elif code != TIME:
                    rtype = value.get("resourceType")
                    inner = found.walker.node(rtype) if isinstance(rtype, str) else None  # type: ignore[union-attr]
                    if code == ENTRY_RESOURCE:
                        inner_refs, inner_attachments = [], found.attachments
                        found.entries.append((value, inner_refs))
            if inner is not None or inner_refs is not None or inner_attachments is not None:
                _walk(value, inner, f"{path}.{key}", inner_refs, inner_attachments, found)
        elif isinstance(value, list):
            spec = node.get(key) if node is not None else None
            inner_refs = None if refs is None or key in _NOT_FOR_REFERENCES or key.startswith("_") else refs
            inner_attachments = None if key == "text" else attachments
            code = -1
            inner = None
            if spec is not None:
                code = spec[0]
                if code == DESCEND:
                    inner = spec[1]
                elif code == ENTRIES:
                    code, inner = DESCEND, spec[1][0]
            elif inner_refs is None and inner_attachments is None:
                continue
            for i, item in enumerate(value):
                if isinstance(item, str):
                    if code == TIME:
                        found.times.append((f"{path}.{key}[{i}]", item))
                elif isinstance(item, dict):
                    if code == RESOURCE or code == ENTRY_RESOURCE:  # (a list is no entry resource)
                        rtype = item.get("resourceType")
                        inner = found.walker.node(rtype) if isinstance(rtype, str) else None  # type: ignore[union-attr]
                    if inner is not None or inner_refs is not None or inner_attachments is not None:
                        _walk(item, inner, f"{path}.{key}[{i}]", inner_refs, inner_attachments, found)
                elif inner_attachments is not None and isinstance(item, list):
                    _attachment_lists(item, inner_attachments, found)


def _attachment_lists(items: list[Any], attachments: list[str], found: _Found) -> None:
    """Attachment data in a list inside a list (no references or times are looked for there)."""
    for item in items:
        if isinstance(item, dict):
            _walk(item, None, "", None, attachments, found)
        elif isinstance(item, list):
            _attachment_lists(item, attachments, found)


# ----------------------------------------------------------------------------------- bundle


def _bundle(msg: Message, kind: MessageKind) -> list[Issue]:
    out: list[Issue] = []
    btype = msg.bundle.get("type")
    if btype != "message":
        out.append(R.BUNDLE_TYPE.issue(f"Bundle.type is {btype!r}; a MedCom message is a Bundle of type 'message'",
                                       "Bundle.type" if btype is not None else "Bundle"))
    if not msg.entries or msg.entries[0][0] != 0 or msg.entries[0][1].get("resourceType") != "MessageHeader":
        if msg.entries and msg.entries[0][0] == 0:
            first = msg.entries[0][1].get("resourceType")
            where = f"MessageHeader is entry[{msg.header_index}]" if msg.header is not None else "no MessageHeader"
            out.append(R.HEADER_FIRST.issue(f"the first entry is a {first}, {where}; the MessageHeader must be "
                                            "the first entry", "Bundle.entry[0].resource"))
        else:
            out.append(R.HEADER_FIRST.issue("the Bundle has no first entry with a resource; a MedCom message "
                                            "starts with its MessageHeader", "Bundle.entry" if msg.entries
                                            else "Bundle"))
    return out


# ----------------------------------------------------------------------------------- header


def _organization_problems(msg: Message, ref: Any, path: str, role: str, rule: Any) -> list[Issue]:
    found = msg.resolve(ref)
    if found is None:
        return [rule.issue(f"the {role} {_show(ref)} is not a bundled Organization", path)]
    index, org = found
    if org.get("resourceType") != "Organization":
        return [rule.issue(f"the {role} is a {org.get('resourceType')}, not an Organization", path)]
    out: list[Issue] = []
    base = _e(index)
    sor = gln = False
    later_gln = None
    for j, ident in enumerate(_list(org.get("identifier"))):
        if not isinstance(ident, dict):
            continue
        system, value = ident.get("system"), ident.get("value")
        where = f"{base}.identifier[{j}].value"
        if system == SOR_SYSTEM:
            sor = True
            if isinstance(value, str) and not _valid_sor(value):
                out += dk.check_sor(value, where)
        elif system == GLN_SYSTEM:
            gln = True
            if isinstance(value, str) and not _valid_gln(value):
                out += dk.check_gln(value, where)
        elif system == GLN_SYSTEM_LATER:
            later_gln = j
    missing = [name for name, ok in (("SOR code", sor), ("GLN", gln)) if not ok]
    if missing:
        hint = ""
        if not gln and later_gln is not None:
            hint = (f"; identifier[{later_gln}] uses {GLN_SYSTEM_LATER}, the GLN system of DK Core 3.5.0 and "
                    f"later, but this standard version is built on DK Core with {GLN_SYSTEM}")
        out.append(rule.issue(f"the {role} Organization/{org.get('id')} has no {' and no '.join(missing)} "
                              f"(systems {SOR_SYSTEM} and {GLN_SYSTEM}){hint}", f"{base}.identifier"
                              if org.get("identifier") else base))
    return out


def _valid_sor(value: str) -> bool:
    """Whether ``dk.check_sor`` finds nothing in ``value``."""
    return dk.sor.is_valid(value)


def _valid_gln(value: str) -> bool:
    """Whether ``dk.check_gln`` finds nothing in ``value``."""
    return dk.gln.is_valid(value)


def _show(ref: Any) -> str:
    text = ref.get("reference") if isinstance(ref, dict) else ref
    return repr(text) if isinstance(text, str) else "(no reference)"


def _destination_use(dest: dict[str, Any]) -> str | None:
    for ext in _list(dest.get("extension")):
        if isinstance(ext, dict) and ext.get("url") == DESTINATION_USE_URL:
            coding = ext.get("valueCoding")
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                return coding["code"]
    return None


def _org_key(msg: Message, ref: Any) -> str | None:
    found = msg.resolve(ref)
    if found is not None:
        return f"entry:{found[0]}"
    text = ref.get("reference") if isinstance(ref, dict) else None
    return f"ref:{text}" if isinstance(text, str) else None


def _org_identifiers(msg: Message, ref: Any) -> set[tuple[str, str]]:
    found = msg.resolve(ref)
    if found is None:
        return set()
    return {(i["system"], i["value"]) for i in _list(found[1].get("identifier"))
            if isinstance(i, dict) and isinstance(i.get("system"), str) and isinstance(i.get("value"), str)
            and i["system"] in (SOR_SYSTEM, GLN_SYSTEM)}


def _header(msg: Message, kind: MessageKind) -> list[Issue]:
    header = msg.header
    assert header is not None
    base = _e(msg.header_index)
    out: list[Issue] = []
    # event
    coding = header.get("eventCoding")
    event = coding.get("code") if isinstance(coding, dict) else None
    named = kind_of_event(event)
    if kind is ACKNOWLEDGEMENT and event != ACKNOWLEDGEMENT.event:
        out.append(R.ACK_EVENT.issue(f"eventCoding.code is {event!r}; an Acknowledgement's event is "
                                     f"'{ACKNOWLEDGEMENT.event}'", f"{base}.eventCoding.code"
                                     if isinstance(coding, dict) else base))
    elif named is not None and named is not kind:
        out.append(R.EVENT_MISMATCH.issue(f"eventCoding.code is {event!r} ({named.title}), but the Bundle is a "
                                          f"{kind.title}", f"{base}.eventCoding.code"))
    # narrative
    text = header.get("text")
    div = text.get("div") if isinstance(text, dict) else None
    status = text.get("status") if isinstance(text, dict) else None
    if not isinstance(text, dict) or not isinstance(div, str) or not _has_content(div):
        out.append(R.NARRATIVE_MISSING.issue("the MessageHeader has no narrative text (text.div with content)",
                                             f"{base}.text" if isinstance(text, dict) else base))
    elif status not in ("generated", "extensions"):
        out.append(R.NARRATIVE_MISSING.issue(f"text.status is {status!r}; MedCom narrative is 'generated' or "
                                             "'extensions'", f"{base}.text.status"))
    else:
        if isinstance(header.get("id"), str) and not _contains(div, header["id"]):
            out.append(R.NARRATIVE_ID.issue(f"the narrative does not mention the MessageHeader id {header['id']}",
                                            f"{base}.text.div"))
        out += _header_narrative(msg, header, div, f"{base}.text.div")
    # sender and receivers
    sender = header.get("sender")
    if sender is None:
        out.append(R.SENDER_IDENTIFIERS.issue("the MessageHeader has no sender", base))
    else:
        out += _organization_problems(msg, sender, f"{base}.sender", "sender", R.SENDER_IDENTIFIERS)
    primaries: list[tuple[int, Any]] = []
    ccs: list[tuple[int, Any]] = []
    for j, dest in enumerate(_list(header.get("destination"))):
        if not isinstance(dest, dict):
            continue
        use = _destination_use(dest)
        role = "cc receiver" if use == "cc" else "primary receiver"
        receiver = dest.get("receiver")
        where = f"{base}.destination[{j}]"
        if receiver is None:
            out.append(R.RECEIVER_IDENTIFIERS.issue(f"destination[{j}] has no receiver", where))
            continue
        out += _organization_problems(msg, receiver, f"{where}.receiver", role, R.RECEIVER_IDENTIFIERS)
        (ccs if use == "cc" else primaries).append((j, receiver))
    for j, cc in ccs:
        for _k, primary in primaries:
            same_ref = _org_key(msg, cc) is not None and _org_key(msg, cc) == _org_key(msg, primary)
            shared = _org_identifiers(msg, cc) & _org_identifiers(msg, primary)
            if same_ref or shared:
                why = "the same Organization" if same_ref else "an Organization with the same " + \
                    " and ".join(sorted("SOR code" if s == SOR_SYSTEM else "GLN" for s, _ in shared))
                out.append(R.PRIMARY_NOT_CC.issue(f"cc receiver destination[{j}] is {why} as the primary "
                                                  "receiver", f"{base}.destination[{j}].receiver"))
                break
    # focus
    focus = _list(header.get("focus"))
    if kind is ACKNOWLEDGEMENT and not focus:
        pass  # an Acknowledgement has no focus (governance rule 6 is for the clinical messages)
    elif len(focus) != 1:
        out.append(R.SINGLE_FOCUS.issue(f"the MessageHeader has {len(focus)} focus references; a MedCom message "
                                        "has exactly one", f"{base}.focus" if focus else base))
    elif msg.resolve(focus[0]) is None:
        out.append(R.SINGLE_FOCUS.issue(f"the focus {_show(focus[0])} is not an entry of the Bundle",
                                        f"{base}.focus[0]"))
    return out


# -------------------------------------------------------------------------------- narrative

#: resource types without narrative (not DomainResources)
_NO_NARRATIVE = frozenset({"Bundle", "Binary", "Parameters"})
_NARRATIVE_STATUSES = ("generated", "extensions")
_DATA_URL = re.compile(r"""(?:src|href|longdesc)\s*=\s*["']\s*data:""", re.I)
#: how much of an attachment's base64 data must appear in a narrative to count as copied into it
_BASE64_PROBE = 40


_SPACE = re.compile(r"\s")
_TAG = re.compile(r"<[^>]*>")
#: tags and white space from the start: the div has content outside tags where this match ends
#: before the end (what is left when tags and white space are removed, ``<`` without ``>`` included)
_TAGS_AND_SPACE = re.compile(r"(?:<[^>]*>|\s)*")


def _visible(div: str) -> str:
    """The text of a narrative div: tags removed, entities resolved."""
    return html.unescape(_TAG.sub(" ", div))


def _has_content(div: str) -> bool:
    """Whether something is left of ``div`` when tags and white space are removed (what the pattern
    ``<[^>]*>|\\s`` does not match)."""
    match = _TAGS_AND_SPACE.match(div)
    return match is not None and match.end() < len(div)


class _Div:
    """A narrative div and its text (:func:`_visible`), worked out when first needed."""

    __slots__ = ("_text", "div")

    def __init__(self, div: str) -> None:
        self.div = div
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = _visible(self.div)
        return self._text

    def has_text(self) -> bool:
        """Whether the text has more than white space (``bool(_visible(div).strip())``): without
        entities (``&``) whatever is outside tags is the text."""
        if "&" in self.div:
            return bool(self.text.strip())
        return _has_content(self.div)

    def shows(self, candidates: list[str]) -> bool:
        """Whether the div or its text shows one of ``candidates`` (:func:`_contains`); the text
        is looked at only for a candidate the div does not show."""
        return any(c and (_contains(self.div, c) or _contains(self.text, c)) for c in candidates)

    def shows_one(self, candidate: str) -> bool:
        """``shows([candidate])``."""
        return bool(candidate) and (_contains(self.div, candidate) or _contains(self.text, candidate))

    def has_data_url(self) -> bool:
        """``_DATA_URL.search(div)``, looked for only where ``data:`` occurs in any case."""
        return "data:" in self.div.lower() and _DATA_URL.search(self.div) is not None


def _contains(haystack: str, needle: str) -> bool:
    """Whether ``needle`` occurs in ``haystack`` on its own: not as part of a longer word or number (a
    SOR code of 11 digits inside a UUID or a longer number does not show that SOR code)."""
    start = haystack.find(needle)
    while start >= 0:
        end = start + len(needle)
        if not (needle[0].isalnum() and start > 0 and haystack[start - 1].isalnum()) \
                and not (needle[-1].isalnum() and end < len(haystack) and haystack[end].isalnum()):
            return True
        start = haystack.find(needle, start + 1)
    return False


def _org_names(msg: Message, ref: Any) -> list[str]:
    """What may stand for an organization in a narrative: its reference, id, name, SOR code or GLN."""
    names: list[str] = [ref["reference"]] if isinstance(ref, dict) and isinstance(ref.get("reference"), str) else []
    found = msg.resolve(ref)
    if found is not None:
        org = found[1]
        names += [v for v in (org.get("id"), org.get("name")) if isinstance(v, str)]
        names += [i["value"] for i in _list(org.get("identifier"))
                  if isinstance(i, dict) and isinstance(i.get("value"), str)]
    return names


_ENDPOINT_SOR = re.compile(r"#id=(\d+)$")


def _endpoint_names(endpoint: str) -> list[str]:
    sor = _ENDPOINT_SOR.search(endpoint)
    return [endpoint, sor.group(1)] if sor else [endpoint]


def _header_narrative(msg: Message, header: dict[str, Any], div: str, where: str) -> list[Issue]:
    """The elements the messaging header profile marks SHALL:in-narrative, looked for in the div."""
    shown = _Div(div)
    missing: list[str] = []
    coding = header.get("eventCoding")
    if isinstance(coding, dict) and isinstance(coding.get("code"), str) \
            and not shown.shows([coding["code"], coding.get("display") or ""]):
        missing.append(f"the event {coding['code']!r}")
    sender = header.get("sender")
    if isinstance(sender, dict) and not shown.shows(_org_names(msg, sender)):
        missing.append(f"the sender {_show(sender)}")
    for j, dest in enumerate(_list(header.get("destination"))):
        if not isinstance(dest, dict):
            continue
        receiver = dest.get("receiver")
        if isinstance(receiver, dict) and not shown.shows(_org_names(msg, receiver)):
            missing.append(f"the receiver of destination[{j}] {_show(receiver)}")
        endpoint = dest.get("endpoint")
        if isinstance(endpoint, str) and not shown.shows(_endpoint_names(endpoint)):
            missing.append(f"destination[{j}].endpoint {endpoint!r}")
    source = header.get("source")
    endpoint = source.get("endpoint") if isinstance(source, dict) else None
    if isinstance(endpoint, str) and not shown.shows(_endpoint_names(endpoint)):
        missing.append(f"source.endpoint {endpoint!r}")
    if not missing:
        return []
    return [R.NARRATIVE_HEADER_CONTENT.issue("the MessageHeader narrative does not show " + "; ".join(missing)
                                             + " (SHALL:in-narrative)", where)]


def _probe(data: str) -> str:
    """The start of attachment data that shows it was copied: its first characters but white space
    (found without removing the white space of all of it)."""
    size = 2 * _BASE64_PROBE
    while True:
        compact = _SPACE.sub("", data[:size])
        if len(compact) >= _BASE64_PROBE or size >= len(data):
            return compact[:_BASE64_PROBE]
        size *= 4


def _narratives(msg: Message, found: _Found) -> list[Issue]:
    """Narrative of every resource but the MessageHeader (which :func:`_header` checks): present,
    generated, naming the resource id, and without base64 attachment content; for every resource,
    the MessageHeader included, no attachment copied into the narrative."""
    out: list[Issue] = []
    # probes of fewer than 16 characters besides white space (white space only, say) show nothing
    attachments = [probe for probe in map(_probe, found.attachments) if len(probe) >= 16]
    for index, res in msg.entries:
        rtype = res.get("resourceType")
        if not isinstance(rtype, str) or rtype in _NO_NARRATIVE:
            continue
        text = res.get("text")
        div = text.get("div") if isinstance(text, dict) else None
        status = text.get("status") if isinstance(text, dict) else None
        narrative = _Div(div) if isinstance(div, str) else None
        if narrative is not None:
            if narrative.has_data_url():
                out.append(R.NARRATIVE_ATTACHMENT.issue(f"the {rtype} narrative embeds content as a data: URL",
                                                        f"{_e(index)}.text.div"))
            elif attachments and any(probe in _SPACE.sub("", narrative.div) for probe in attachments):
                out.append(R.NARRATIVE_ATTACHMENT.issue(f"the {rtype} narrative contains the base64 data of an "
                                                        "attachment of the message", f"{_e(index)}.text.div"))
        if res is msg.header:
            continue
        if narrative is None or not narrative.has_text():
            out.append(R.NARRATIVE_RESOURCE_MISSING.issue(f"the {rtype} has no narrative text (text.div with "
                                                          "content)", f"{_e(index)}.text" if isinstance(text, dict)
                                                          else _e(index)))
        elif status not in _NARRATIVE_STATUSES:
            out.append(R.NARRATIVE_RESOURCE_MISSING.issue(f"text.status is {status!r}; MedCom narrative is "
                                                          "'generated' or 'extensions'", f"{_e(index)}.text.status"))
        elif isinstance(res.get("id"), str) and not narrative.shows_one(res["id"]):
            out.append(R.NARRATIVE_RESOURCE_ID.issue(f"the narrative does not mention the {rtype} id {res['id']}",
                                                     f"{_e(index)}.text.div"))
    return out


# ------------------------------------------------------------------------------- references

_EXEMPT = re.compile(r"^Bundle\.entry\[\d+\]\.resource\.(target\[\d+\]|entity\[\d+\]\.what)$")


def _references(msg: Message, found: _Found) -> list[Issue]:
    out: list[Issue] = []
    for res, refs in found.entries:
        provenance = res.get("resourceType") == "Provenance"
        for path, ref in refs:
            if provenance and _EXEMPT.match(path):
                continue
            text = ref["reference"]
            if text.startswith(("#", "urn:")) or msg.resolve(text) is not None:
                continue
            out.append(R.REFERENCE_UNRESOLVED.issue(f"reference {text!r} resolves to no entry of the Bundle",
                                                    f"{path}.reference"))
    return out


# ------------------------------------------------------------------------------- provenance


def _activity(prov: dict[str, Any]) -> str | None:
    for activity in _list(prov.get("activity")):
        for coding in _list(activity.get("coding") if isinstance(activity, dict) else None):
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                return coding["code"]
    return None


def _preceding(msg: Message, prov: dict[str, Any]) -> list[tuple[int, str | None, str | None, bool]]:
    """The entities naming earlier messages: (index, role, MessageHeader id, has identifier)."""
    out = []
    for j, entity in enumerate(_list(prov.get("entity"))):
        if not isinstance(entity, dict) or entity.get("role") not in ("revision", "removal"):
            continue
        what: dict[str, Any] = entity["what"] if isinstance(entity.get("what"), dict) else {}
        out.append((j, entity.get("role"), msg.header_id_of(what) if what.get("reference") else None,
                    isinstance(what.get("identifier"), dict)))
    return out


def _provenance(msg: Message, kind: MessageKind) -> list[Issue]:
    header = msg.header
    assert header is not None
    current_id = header.get("id")
    provs = msg.of_type("Provenance")
    out: list[Issue] = []
    targets: dict[str, int] = {}
    current: list[tuple[int, dict[str, Any]]] = []
    for index, prov in provs:
        base = _e(index)
        target = _list(prov.get("target"))
        target_id = msg.header_id_of(target[0]) if len(target) == 1 else None
        if target_id is None:
            out.append(R.PROVENANCE_TARGET.issue("the Provenance does not target one MessageHeader (bundled, or "
                                                 "MessageHeader/<id> of an earlier message)",
                                                 f"{base}.target" if target else base))
            continue
        if target_id in targets:
            out.append(R.PROVENANCE_TARGET.issue(f"entry[{targets[target_id]}] is already the Provenance of "
                                                 f"MessageHeader {target_id}", f"{base}.target[0]"))
            continue
        targets[target_id] = index
        if target_id == current_id:
            current.append((index, prov))
    if not current:
        out.append(R.PROVENANCE_CURRENT.issue(f"no Provenance targets the current MessageHeader {current_id}",
                                              "Bundle.entry" if msg.entries else "Bundle"))
        return out
    cur_index, cur = current[0]
    cur_base = _e(cur_index)
    activity = _activity(cur)
    # activities
    for index, prov in provs:
        code = _activity(prov)
        if code is None:
            continue
        where = f"{_e(index)}.activity"
        is_current = prov is cur
        if kind is ACKNOWLEDGEMENT:
            if is_current and code != "acknowledgement":
                out.append(R.PROVENANCE_ACTIVITY.issue(f"the Acknowledgement's own Provenance has activity "
                                                       f"{code!r}, not 'acknowledgement'", where))
            elif not is_current and code == "acknowledgement":
                out.append(R.PROVENANCE_ACTIVITY.issue("the acknowledged message is itself an acknowledgement; "
                                                       "an acknowledgement is never acknowledged", where))
        elif code not in kind.activities:
            out.append(R.PROVENANCE_ACTIVITY.issue(f"activity {code!r} is not one of the {kind.title} "
                                                   f"activities ({', '.join(sorted(kind.activities))})", where))
    # the preceding message
    preceding = _preceding(msg, cur)
    follow_up = activity is not None and activity not in kind.initial
    if follow_up and not preceding:
        out.append(R.PROVENANCE_ENTITY.issue(f"activity {activity!r} follows an earlier message, but the "
                                             "Provenance names none (entity with role revision or removal)",
                                             f"{cur_base}.entity" if cur.get("entity") else cur_base))
    for j, role, _hid, _ident in preceding:
        want = "removal" if (activity or "").startswith(_FOLLOW_UP_REMOVAL) else "revision"
        if activity is not None and role != want:
            out.append(R.PROVENANCE_ENTITY.issue(f"entity role is {role!r}; with activity {activity!r} the "
                                                 f"preceding message has role {want!r}",
                                                 f"{cur_base}.entity[{j}].role"))
    if kind is not ACKNOWLEDGEMENT and activity in kind.initial and not preceding and len(targets) > 1:
        out.append(R.PROVENANCE_ENTITY.issue(f"activity {activity!r} starts a new exchange, but the message "
                                             "carries Provenances of earlier messages without naming the one it "
                                             "follows", f"{cur_base}.activity"))
    history_severity = Severity.WARNING if kind.id == "medcom.carecommunication" else None
    for j, _role, hid, has_identifier in preceding:
        if hid is None:
            if not has_identifier:
                out.append(R.PROVENANCE_ENTITY.issue("the entity names no earlier message (what.reference "
                                                     "MessageHeader/<id>, or what.identifier for OIOXML/EDIFACT)",
                                                     f"{cur_base}.entity[{j}].what"))
            continue
        if hid == current_id:
            out.append(R.PROVENANCE_ENTITY.issue("the entity names the current MessageHeader, not an earlier one",
                                                 f"{cur_base}.entity[{j}].what.reference"))
        elif hid not in targets:
            out.append(R.PROVENANCE_HISTORY.issue(f"the Provenance of the preceding message (MessageHeader {hid}) "
                                                  "is not in the Bundle", f"{cur_base}.entity[{j}].what.reference",
                                                  severity=history_severity))
    # agent
    sender_key = _org_key(msg, header.get("sender"))
    agents = [a.get("who") for a in _list(cur.get("agent")) if isinstance(a, dict)]
    if sender_key is not None and agents and all(_org_key(msg, who) != sender_key for who in agents):
        out.append(R.PROVENANCE_AGENT.issue("the current Provenance's agent is not the sender of the message",
                                            f"{cur_base}.agent[0].who"))
    if kind is ACKNOWLEDGEMENT and len(provs) > 2:
        out.append(R.ACK_PROVENANCE_COUNT.issue(f"the Acknowledgement carries {len(provs)} Provenances; at most "
                                                "two (the acknowledged message's latest and its own)",
                                                _e(provs[2][0])))
    return out


# -------------------------------------------------------------------- hospital notification


def _hospital_notification(msg: Message) -> list[Issue]:
    header = msg.header
    assert header is not None
    focus = _list(header.get("focus"))
    found = msg.resolve(focus[0]) if len(focus) == 1 else None
    if found is None or found[1].get("resourceType") != "Encounter":
        return []
    enc_index, encounter = found
    current = next((p for _, p in msg.of_type("Provenance")
                    if msg.header_id_of((_list(p.get("target")) or [None])[0]) == header.get("id")), None)
    activity = _activity(current) if current is not None else None
    if activity not in HN_TABLE:
        return []
    classes, status = HN_TABLE[activity]
    enc_class = encounter.get("class", {}).get("code") if isinstance(encounter.get("class"), dict) else None
    enc_status = encounter.get("status")
    base = _e(enc_index)
    out: list[Issue] = []
    if enc_class is not None and enc_class not in classes:
        out.append(R.HN_CODE_TABLE.issue(f"activity {activity!r} is for Encounter.class {'/'.join(sorted(classes))}"
                                         f", the Encounter has {enc_class!r}", f"{base}.class"))
    patient = msg.resolve(encounter.get("subject"))
    deceased = patient is not None and patient[1].get("deceasedBoolean") is True
    if deceased:
        if enc_status != "finished":
            out.append(R.HN_DECEASED.issue(f"Patient.deceasedBoolean is true, Encounter.status is {enc_status!r}; a "
                                           "death notification has status 'finished'", f"{base}.status"))
    elif enc_status is not None and enc_status != status:
        out.append(R.HN_CODE_TABLE.issue(f"activity {activity!r} goes with Encounter.status {status!r}, the "
                                         f"Encounter has {enc_status!r}", f"{base}.status"))
    return out


# ------------------------------------------------------------------------- care communication

_CC_PROVENANCE = "http://medcomfhir.dk/ig/carecommunication/StructureDefinition/medcom-careCommunication-provenance"


def _profile_claims(msg: Message) -> list[Issue]:
    out: list[Issue] = []
    wanted = [(msg.header_index, msg.header, CARECOMMUNICATION.header_profile, "medcom-careCommunication-1")]
    wanted += [(i, p, _CC_PROVENANCE, "medcom-careCommunication-3") for i, p in msg.of_type("Provenance")]
    for index, res, url, key in wanted:
        meta = res.get("meta") if isinstance(res, dict) else None
        claimed = meta.get("profile") if isinstance(meta, dict) else None
        resource_type = res.get("resourceType") if isinstance(res, dict) else None
        if not any(isinstance(p, str) and p.startswith(url) for p in _list(claimed)):
            out.append(R.CC_PROFILE_CLAIMS.issue(f"the {resource_type} does not claim {url} in meta.profile "
                                                 f"({key})", f"{_e(index)}.meta.profile" if claimed
                                                 else _e(index)))
    return out


# ---------------------------------------------------------------------------- acknowledgement


def _acknowledgement(msg: Message) -> list[Issue]:
    header = msg.header
    assert header is not None
    base = _e(msg.header_index)
    response = header.get("response")
    if not isinstance(response, dict):
        return [R.ACK_RESPONSE_IDENTIFIER.issue("the Acknowledgement has no response naming the acknowledged "
                                                "message", base)]
    out: list[Issue] = []
    code = response.get("code")
    if code not in _ACK_CODES:
        out.append(R.ACK_RESPONSE_CODE.issue(f"response.code is {code!r}, not one of {', '.join(_ACK_CODES)}",
                                             f"{base}.response.code" if code is not None else f"{base}.response"))
    elif code != "ok":
        details = msg.resolve(response.get("details"))
        if details is None or details[1].get("resourceType") != "OperationOutcome":
            out.append(R.ACK_RESPONSE_CODE.issue(f"response.code is {code!r}, but response.details names no bundled "
                                                 "OperationOutcome", f"{base}.response"))
    ident = response.get("identifier")
    where = f"{base}.response.identifier"
    if not isinstance(ident, str) or not ident:
        out.append(R.ACK_RESPONSE_IDENTIFIER.issue("response.identifier is missing", f"{base}.response"))
        return out
    if "/" in ident:
        out.append(R.ACK_RESPONSE_IDENTIFIER.issue(f"response.identifier is {ident!r}; it is the plain "
                                                   "MessageHeader.id of the acknowledged message", where))
        return out
    if ident == header.get("id"):
        out.append(R.ACK_RESPONSE_IDENTIFIER.issue("response.identifier is the Acknowledgement's own id", where))
        return out
    named: set[str] = set()
    for _, prov in msg.of_type("Provenance"):
        target = _list(prov.get("target"))
        if target and msg.header_id_of(target[0]) == header.get("id"):
            named |= {hid for _, _, hid, _ in _preceding(msg, prov) if hid}
    if named and ident not in named:
        out.append(R.ACK_RESPONSE_IDENTIFIER.issue(f"response.identifier is {ident}, but the Acknowledgement's "
                                                   f"Provenance names MessageHeader {', '.join(sorted(named))}",
                                                   where))
    return out
