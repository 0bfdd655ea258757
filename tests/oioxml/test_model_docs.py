"""The letter pages in docs/oioxml/ are generated from the message model and must be current."""

from __future__ import annotations

from pathlib import Path

from dkhealth_conformance.data import profiles_dir
from dkhealth_conformance.xmlmodel import docs
from dkhealth_conformance.xmlmodel.loader import load_all

REPO = Path(__file__).resolve().parents[2]
FOLDER = REPO / "docs" / "oioxml"


def test_committed_letter_pages_are_up_to_date() -> None:
    stale = docs.check_pages(FOLDER)
    assert not stale, (f"docs/oioxml is out of date with the model ({', '.join(stale)}); "
                       f"regenerate with: {docs.REGENERATE}")


def test_every_letter_version_is_documented_with_its_codes() -> None:
    models = load_all(profiles_dir() / "oioxml").values()
    pages = docs.pages(models)
    for schema in models:
        for letter in schema.letters.values():
            page = pages[f"{letter.type_code}.md"]
            assert f"| {letter.version_code} | {letter.element} | `{schema.namespace}` | {schema.key} |" in page
            assert f"## {letter.version_code} ({letter.element}, namespace {schema.key})" in page
            for element in ("Letter", "VersionCode"):
                assert f"**{element}**" in page
        assert f"| {schema.key} | `{schema.namespace}` |" in pages["index.md"]


def test_check_and_write_round_trip(tmp_path: Path) -> None:
    assert docs.check_pages(tmp_path)  # nothing written yet
    (tmp_path / "XOLD99.md").write_text("a letter no longer modelled\n", encoding="utf-8")
    docs.write_pages(tmp_path)
    assert not (tmp_path / "XOLD99.md").exists()
    assert docs.check_pages(tmp_path) == []
    assert docs.main([str(tmp_path), "--check"]) == 0
