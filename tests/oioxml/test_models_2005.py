"""The OIOXML model of namespace 2005-08-07 (``profiles/oioxml/2005-08-07.yaml``).

The model loads and compiles to an XSD; every example letter of the namespace validates against our
generated schema. When MedCom's official schemas are at hand (``<repo>/../shared/oracle``), the
examples validate against them too, and simple mutations of each example (an element dropped or
repeated up to and past its upper bound, a leaf given a value outside its type) get the same
verdict from both schemas. The receipts among the examples answer example letters.
"""

from __future__ import annotations

from pathlib import Path

from example_checks import ExampleChecks, examples_of, schema_fixtures
from lxml import etree

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "profiles" / "oioxml"
EXAMPLES = REPO / "examples" / "medcom-oioxml"
OFFICIAL = REPO.parent / "shared" / "oracle" / "medcom-oioxml-xsd" / "2005" / "08" / "07" / "EMessage.xsd"
KEY = "2005-08-07"
NS = "http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/"

#: letter element -> (TypeCode, VersionCode, receipt)
LETTERS = {
    "ClinicalEmail": ("XDIS91", "XD9133L", False),
    "DischargeLetter": ("XDIS01", "XD0133L", False),
    "OutPatientDischargeLetter": ("XDIS02", "XD0233L", False),
    "CasualtyWardLetter": ("XDIS03", "XD0333L", False),
    "NotificationOfDischarge": ("XDIS17", "XD1730C", False),
    "NotificationOfAdmission": ("XDIS20", "XD2030C", False),
    "HospitalReferral": ("XREF01", "XH0130R", False),
    "LaboratoryReport": ("XRPT01", "XR0130K", False),
    "LaboratoryRequest": ("XREQ01", "XQ0130K", False),
    "NegativeVansReceipt": ("XCTL01", "XC0130Q", True),
    "NegativeReceipt": ("XCTL02", "XC0230Q", True),
    "PositiveReceipt": ("XCTL03", "XC0330Q", True),
    "BinaryLetter": ("XBIN01", "XB0130X", False),
}


CASES = examples_of(LETTERS, NS)


model, ours, official = schema_fixtures(MODELS, KEY, OFFICIAL)


# -- the model --------------------------------------------------------------------------------------
def test_model_letters(model) -> None:
    assert model.namespace == NS
    assert set(model.letters) == set(LETTERS)
    for element, (type_code, version_code, receipt) in LETTERS.items():
        letter = model.letters[element]
        assert (letter.type_code, letter.version_code, letter.receipt) == (type_code, version_code, receipt)
        assert letter.title and letter.title != element


def test_status_codes(model) -> None:
    assert model.letters["NotificationOfAdmission"].status_codes == ("nytbrev", "rettetbrev", "annulleretbrev")
    assert model.letters["BinaryLetter"].status_codes == ("nytbrev",)
    assert model.letters["ClinicalEmail"].status_codes == ("nytbrev", "rettetbrev")
    # no StatusCode element in these letters
    for element in ("LaboratoryReport", "LaboratoryRequest", "PositiveReceipt", "NegativeReceipt"):
        assert model.letters[element].status_codes == ()


def test_compiles(ours) -> None:
    assert isinstance(ours, etree.XMLSchema)


# -- the examples -----------------------------------------------------------------------------------
def test_every_letter_has_minimal_and_full_examples() -> None:
    names = [path.name for path in CASES]
    for type_code, version_code, _ in LETTERS.values():
        prefix = f"{type_code.lower()}-{version_code}-"
        for variant in ("minimal", "full"):
            assert any(n.startswith(prefix) and n.endswith(f"{variant}.xml") for n in names), (prefix, variant)


class TestExamples(ExampleChecks):
    CASES, NS, EXAMPLES = CASES, NS, EXAMPLES
    RECEIPTS = (("xctl03-XC0330Q-full.xml", "xdis01-XD0133L-full.xml"),
                ("xctl02-XC0230Q-full.xml", "xref01-XH0130R-full.xml"))
