"""Checks shared by the per-namespace model tests on a namespace's example letters."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree


def assert_encodings(cases: list[Path]) -> None:
    """Each example decodes with the encoding it declares; a third or more store their Danish
    letters in a single-byte encoding (windows-1252 or ISO-8859-1), as many senders do."""
    single_byte = 0
    for path in cases:
        data = path.read_bytes()
        encoding = etree.parse(str(path)).docinfo.encoding
        data.decode(encoding)
        if encoding.lower() in ("windows-1252", "iso-8859-1") and not data.isascii():
            single_byte += 1
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
    assert single_byte * 3 >= len(cases)


def assert_unique_identifiers(cases: list[Path], namespace: str) -> None:
    """No two examples share an envelope identifier or a letter identifier."""
    letters, envelopes = [], []
    for path in cases:
        root = etree.parse(str(path)).getroot()
        envelopes.append(root.findtext(f"{{{namespace}}}Envelope/{{{namespace}}}Identifier"))
        letters += [el.text for el in root.iterfind(f"*/{{{namespace}}}Letter/{{{namespace}}}Identifier")]
    assert len(set(letters)) == len(letters)
    assert len(set(envelopes)) == len(envelopes)
