"""Receipts (XCTL01/02/03): rules on one receipt, and correlation with the letters it answers.

:func:`index_letters` reads a folder of sent Emessages; :func:`correlate` checks a receipt against
that index (``dkconform check --correlate DIR`` and ``Options(extra={"correlate": DIR})``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ... import payload as payload_mod
from ...payload import OIOXML, VANS, Payload, local_name, location_of
from ...report import Issue
from . import rules as R

POSITIVE = "PositiveReceipt"
NEGATIVE = ("NegativeReceipt", "NegativeVansReceipt")
RECEIPTS = (POSITIVE, *NEGATIVE)


def _kids(node: Any, name: str) -> list[Any]:
    """The children named ``name`` in any namespace."""
    return list(node.iterchildren("{*}" + name))


def _has(node: Any, name: str) -> bool:
    """Whether ``node`` has a child named ``name`` in any namespace."""
    return next(node.iterchildren("{*}" + name), None) is not None


def _text(node: Any, *path: str) -> str | None:
    for name in path:
        node = next(node.iterchildren("{*}" + name), None) if node is not None else None
    return (node.text or "").strip() if node is not None else None


def receipt_issues(root: Any, container: str | None = None,
                   receipts: list[tuple[Any, str]] | None = None) -> list[Issue]:
    """Rules on each receipt of an Emessage that need no other document (``receipts``: the receipts
    among the children of ``root`` with their kind, when already known)."""
    if receipts is None:
        receipts = [(child, kind) for child in root if (kind := local_name(child)) in RECEIPTS]
    issues: list[Issue] = []
    for receipt, kind in receipts:
        original = next(receipt.iterchildren("{*}OriginalEmessage"), None)
        if original is None:
            continue
        if kind == POSITIVE:  # its OriginalLetters, and no refusal anywhere in it, in one pass
            letters = []
            for node in original.iter("{*}OriginalLetter", "{*}RefuseCode", "{*}RefuseText"):
                name = local_name(node)
                if name != "OriginalLetter":
                    issues.append(R.REFUSE_ON_POSITIVE.issue(f"<{name}> in a positive receipt",
                                                             location_of(node, container)))
                elif node.getparent() is original:
                    letters.append(node)
        else:
            # the OriginalLetters and whether a RefuseCode covers the whole Emessage, in one pass
            letters, refused = [], False
            for child in original.iterchildren("{*}OriginalLetter", "{*}RefuseCode"):
                if child.tag.endswith("RefuseCode"):
                    refused = True
                else:
                    letters.append(child)
            if not refused and (not letters or any(not _has(x, "RefuseCode") for x in letters)):
                issues.append(R.REFUSE_MISSING.issue(
                    "give a RefuseCode for the whole Emessage or for every OriginalLetter",
                    location_of(original, container)))
        if len(letters) < 2:
            continue
        seen: set[str] = set()
        for letter in letters:
            identifier = _text(letter, "OriginalLetterIdentifier")
            if identifier and identifier in seen:
                issues.append(R.ORIGINAL_LETTER_DUPLICATE.issue(
                    f"OriginalLetterIdentifier {identifier!r} is listed twice", location_of(letter, container)))
            seen.add(identifier or "")
    return issues


@dataclass
class SentEmessage:
    """What a receipt may refer to: one sent Emessage, from the correlation folder."""

    envelope_id: str
    source: str
    letters: dict[str, str] = field(default_factory=dict)  # letter id -> VersionCode
    senders: set[str] = field(default_factory=set)  # sender GLNs
    receivers: set[str] = field(default_factory=set)  # receiver GLNs


@functools.lru_cache(maxsize=4)
def index_letters(folder: str) -> dict[str, SentEmessage]:
    """Every non-receipt Emessage under ``folder`` by envelope identifier (read once per folder)."""
    index: dict[str, SentEmessage] = {}
    for path in sorted(Path(folder).rglob("*.xml")):
        loaded = _unwrapped(payload_mod.load(path))
        if loaded.format != OIOXML or loaded.xml is None:
            continue
        root = loaded.xml.getroot()
        envelope_id = _text(root, "Envelope", "Identifier")
        if not envelope_id:
            continue
        sent = SentEmessage(envelope_id, str(path))
        for letter in root:
            if local_name(letter) in RECEIPTS or not _kids(letter, "Letter"):
                continue
            letter_id = _text(letter, "Letter", "Identifier")
            if letter_id:
                sent.letters[letter_id] = _text(letter, "Letter", "VersionCode") or ""
            for role, bucket in (("Sender", sent.senders), ("Receiver", sent.receivers)):
                gln = _text(letter, role, "EANIdentifier")
                if gln:
                    bucket.add(gln)
        if sent.letters:
            index.setdefault(envelope_id, sent)
    return index


def _unwrapped(loaded: Payload) -> Payload:
    """The Emessage a VANS envelope carries, or ``loaded`` itself."""
    if loaded.format != VANS or loaded.xml is None:
        return loaded
    from ..vans import payload_of  # the VANS pack validates OIOXML payloads: imported when needed

    try:
        inner = payload_of(loaded.xml.getroot())
    except ValueError:  # not base64: the envelope's own check reports it
        return loaded
    return loaded if inner is None else payload_mod.from_bytes(loaded.name, inner)


def _same_version(given: str, sent: str) -> bool:
    normalise = lambda code: code.upper().removeprefix("X")  # noqa: E731
    return normalise(given) == normalise(sent)


def correlate(root: Any, index: dict[str, SentEmessage], container: str | None = None) -> list[Issue]:
    """Check every receipt in ``root`` against the sent Emessages in ``index``."""
    issues: list[Issue] = []
    for receipt in root:
        if local_name(receipt) not in RECEIPTS:
            continue
        original = next(receipt.iterchildren("{*}OriginalEmessage"), None)
        if original is None:
            continue
        envelope_id = _text(original, "OriginalEnvelopeIdentifier") or ""
        sent = index.get(envelope_id)
        where = location_of(_kids(original, "OriginalEnvelopeIdentifier")[0], container) if envelope_id else None
        if sent is None:
            issues.append(R.UNKNOWN_ENVELOPE.issue(
                f"no sent Emessage with envelope identifier {envelope_id!r} among the correlated letters", where))
            continue
        for role, expected in (("OriginalSender", sent.senders), ("OriginalReceiver", sent.receivers)):
            gln = _text(original, role, "EANIdentifier")
            if gln and expected and gln not in expected:
                issues.append(R.PARTY_MISMATCH.issue(
                    f"{role} {gln} but the letters of {envelope_id} name {', '.join(sorted(expected))}",
                    location_of(_kids(original, role)[0], container)))
        # a negative VANS receipt comes from the VANS network itself, not from the receiver
        own_sender = _text(receipt, "Sender", "EANIdentifier") if local_name(receipt) != "NegativeVansReceipt" else None
        if own_sender and sent.receivers and own_sender not in sent.receivers:
            issues.append(R.PARTY_MISMATCH.issue(
                f"the receipt is sent by {own_sender}, but {envelope_id} was addressed to "
                f"{', '.join(sorted(sent.receivers))}", location_of(_kids(receipt, "Sender")[0], container)))
        for letter in _kids(original, "OriginalLetter"):
            letter_id = _text(letter, "OriginalLetterIdentifier") or ""
            if letter_id not in sent.letters:
                issues.append(R.UNKNOWN_LETTER.issue(
                    f"{envelope_id} ({sent.source}) has no letter {letter_id!r}; it has "
                    f"{', '.join(sorted(sent.letters))}", location_of(letter, container)))
                continue
            version = _text(letter, "OriginalVersionCode") or ""
            if version and not _same_version(version, sent.letters[letter_id]):
                issues.append(R.VERSION_MISMATCH.issue(
                    f"letter {letter_id} was sent as {sent.letters[letter_id]}, the receipt says {version}",
                    location_of(letter, container)))
    return issues
