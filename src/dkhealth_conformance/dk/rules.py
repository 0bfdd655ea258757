"""The ``dk`` rules: Danish identifiers, shared by every standard pack, and their checkers.

Each ``check_<identifier>`` function takes the identifier's value and, optionally, where it was
found, and returns the :class:`~dkhealth_conformance.report.Issue` list for it (empty when the
value is fine). The pure logic is in the identifier modules (:mod:`.cpr`, :mod:`.ecpr`,
:mod:`.gln`, ...); this module turns their problems into issues of catalogued rules.

>>> [i.rule_id for i in check_cpr("3102801234")]
['dk.cpr.invalid-date']
>>> check_identifier("https://www.gs1.org/gln", "5790000209354")
[]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..report import Issue, Location, Severity
from ..rules import Rule, RuleSet
from . import authorisation, cpr, cvr, ecpr, gln, lpr3, sor, ydernummer
from ._problem import Problem

__all__ = [
    "DK_RULES",
    "IDENTIFIER_SYSTEMS",
    "check_authorisation",
    "check_cpr",
    "check_cvr",
    "check_d_ecpr",
    "check_ecpr",
    "check_gln",
    "check_identifier",
    "check_lpr3",
    "check_sor",
    "check_x_ecpr",
    "check_ydernummer",
]

DK_RULES = RuleSet("dk")
_R = DK_RULES.add
ERROR, WARNING, INFORMATION = Severity.ERROR, Severity.WARNING, Severity.INFORMATION

_CPR_OFFICE = "CPR office (CPR-kontoret), Personnummeret i CPR-systemet"

CPR_FORMAT = _R(
    "dk.cpr.format", ERROR, "A CPR number is not 10 digits",
    issue_type="value",
    source="CPR-loven §3 and the CPR office's personnummer structure; DK Core dk-core-cpr-identifier "
    "(system urn:oid:1.2.208.176.1.2, invariant cpr); MedCom OIOXML CivilRegistrationNumber",
    rationale="A CPR number is exactly 10 digits, written without the hyphen people use on paper. "
    "A replacement number (X-eCPR, D-eCPR) in a CPR field is reported here too, with the "
    "identifier system it belongs under.",
    example="250947-9989 (hyphen), 250947998 (9 digits), 0703921VJ4 (an X-eCPR given as CPR)",
)
CPR_INVALID_DATE = _R(
    "dk.cpr.invalid-date", ERROR, "The birth date of a CPR number is not a real date",
    issue_type="value",
    source=f"{_CPR_OFFICE}: positions 1-6 are the birth date DDMMYY, and positions 5-7 give the "
    "century (7th digit 0-3: 1900-1999; 4 and 9: 2000-2036 for YY 00-36, else 1937-1999; 5-8: "
    "2000-2057 for YY 00-57, else 1858-1899)",
    rationale="Every CPR number starts with its holder's birth date. DK Core's regular expression "
    "checks only day against month and lets 29 February through in any year; the year is known "
    "from the century digit, so 29 February is checked against leap years too (2000 was one, "
    "1900 was not).",
    example="3102801234 (31 February), 2902001234 (29 February 1900), 1300801234 (month 00)",
)
CPR_MODULUS11 = _R(
    "dk.cpr.modulus11", INFORMATION, "A CPR number does not pass the modulus-11 check (opt-in)",
    issue_type="informational",
    source=f"{_CPR_OFFICE}: modulus-11 control, weights 4,3,2,7,6,5,4,3,2,1 (not required since "
    "1 October 2007)",
    rationale="Numbers without the modulus-11 property have been issued since 2007 and must be "
    "accepted, so this is never an error. It is reported only when asked for (modulus11=True), "
    "for example to spot test data or typing errors in older records.",
    example="2509479989 (a MedCom test person) does not pass modulus 11 and is still valid",
)
ECPR_FORMAT = _R(
    "dk.ecpr.format", ERROR, "A replacement CPR number (X-eCPR or D-eCPR) does not have its form",
    issue_type="value",
    source="DK Core dk-core-x-ecpr-identifier (system urn:oid:1.2.208.176.1.6.1.1, invariant "
    "x-ecpr: DDMMYY + 1 or 7 + two capital letters + digit) and dk-core-d-ecpr-identifier "
    "(system urn:oid:1.2.208.176.1.6.1.3 and regional sub-systems .177 .179 .181 .183 .187, "
    "invariant d-ecpr: DDMMYY + 0, 5 or 6 + two capital letters + digit)",
    rationale="A replacement number must be told apart from a CPR number by its form; its 7th "
    "character also says who issued it (nationally: X-eCPR, locally: D-eCPR), so it must agree "
    "with the identifier system.",
    example="0703921vj4 (lower case), 1206550VK9 under the X-eCPR system (a D-eCPR)",
)
ECPR_INVALID_DATE = _R(
    "dk.ecpr.invalid-date", ERROR, "The birth date part of a replacement CPR number is not a date",
    issue_type="value",
    source="DK Core invariants x-ecpr and d-ecpr (DDMM part); 29 February only in a year YY "
    "divisible by 4",
    rationale="A replacement number starts with its holder's birth date like a CPR number. Its "
    "century is not defined by the standard, so 29 February is accepted whenever some century "
    "makes it a leap day (YY divisible by 4) and rejected otherwise; DK Core accepts it in any year.",
    example="3102921VJ4 (31 February), 2902011AB1 (29 February in a year ending in 01)",
)
GLN_FORMAT = _R(
    "dk.gln.format", ERROR, "A GLN (EAN lokationsnummer) is not 13 digits",
    issue_type="value",
    source="GS1 General Specifications (GLN); DK Core dk-core-gln-identifier invariant gln-length "
    "(^[0-9]{13}$); MedCom OIOXML EANIdentifier and Identifier with IdentifierCode lokationsnummer",
    rationale="The GLN addresses the receiving system in the VANS network and in MedCom FHIR "
    "messages; a malformed one cannot be routed.",
    example="579000020935 (12 digits), 5790000 209354 (a space)",
)
GLN_CHECK_DIGIT = _R(
    "dk.gln.check-digit", ERROR, "The check digit of a GLN is wrong",
    issue_type="value",
    source="GS1 modulus-10 check digit (weights 1,3,1,3,... from the left over 12 digits); DK Core "
    "invariant gln-modulus-10",
    rationale="The check digit catches a mistyped digit and most swaps of two neighbouring digits; "
    "a GLN with a wrong check digit is not any location's number.",
    example="5790000209355 (the check digit of 579000020935 is 4)",
)
SOR_FORMAT = _R(
    "dk.sor.format", ERROR, "A SOR code is not at least 11 digits",
    issue_type="value",
    source="DK Core dk-core-sor-identifier invariant min-digits-sor (^([0-9]){11,}$), system "
    "urn:oid:1.2.208.176.1.1; MedCom OIOXML Identifier with IdentifierCode sorkode (at most 18 digits)",
    rationale="SOR codes identify the organisations and units of the Danish health service; they "
    "are long digit strings, and a shorter one is usually another kind of number (a ydernummer, a "
    "department number) in the wrong field.",
    example="1234567890 (10 digits), 26516100001600A",
)
CVR_FORMAT = _R(
    "dk.cvr.format", ERROR, "A CVR number is not 8 digits",
    issue_type="value",
    source="DK Core dk-core-cvr-identifier invariant CVR-length (^[0-9]{8}$), system http://cvr.dk",
    rationale="CVR numbers are exactly 8 digits; letters, spaces or a 'DK' VAT prefix do not belong "
    "in the identifier value.",
    example="DK33257872, 3325787",
)
CVR_MODULUS11 = _R(
    "dk.cvr.modulus11", ERROR, "A CVR number does not pass the modulus-11 check",
    issue_type="value",
    source="DK Core invariant CVR-modulus-11 (weights 2,7,6,5,4,3,2,1; sum divisible by 11)",
    rationale="Every CVR number satisfies the modulus-11 check; one that does not is mistyped.",
    example="33257873",
)
AUTHORISATION_FORMAT = _R(
    "dk.authorisation.format", ERROR, "An authorisation id is not 5 digits or consonants",
    issue_type="value",
    source="DK Core AuthorizationIdentifier (^([b-df-hj-np-tv-zB-DF-HJ-NP-TV-Z0-9]){5}$), system "
    "https://autregweb.sst.dk (Autorisationsregistret)",
    rationale="Authorisation ids are 5 characters and never contain a vowel (a, e, i, o, u), so "
    "that no id spells a word; an id with a vowel or of another length is not one.",
    example="0A5Y1 (a vowel), 0C5Y (4 characters)",
)
YDERNUMMER_FORMAT = _R(
    "dk.ydernummer.format", WARNING, "A ydernummer is not a number of at most 6 digits",
    issue_type="value",
    source="DK Core DkCoreOrganization slice Ydernummer (system urn:oid:1.2.208.176.1.4, no format "
    "given); every ydernummer in MedCom and DK Core material is 6 digits",
    rationale="No standard text states the format, so this is a warning, not an error; but every "
    "known ydernummer is 6 digits, and letters or separators point to another identifier in the field.",
    example="06-1654, Y061654, 0616540",
)
YDERNUMMER_SHORT = _R(
    "dk.ydernummer.length", INFORMATION, "A ydernummer has fewer than 6 digits",
    issue_type="informational",
    source="Ydernumre are written with 6 digits, leading zeros included (DK Core example 061654)",
    rationale="A short ydernummer is usually a 6-digit one that lost its leading zeros in a numeric "
    "field; receivers that compare strings will not find it.",
    example="61654 (for 061654)",
)
LPR3_FORMAT = _R(
    "dk.lpr3.format", ERROR, "An LPR3 episode-of-care identifier is not urn:uuid: + a UUID",
    issue_type="value",
    source="MedCom Core LPR3Identifier (system https://www.esundhed.dk/Registre/Landspatientregisteret); "
    "FHIR R4 uuid data type (lower case)",
    rationale="LPR3 identifiers are written as urn:uuid: URIs in lower case; any other form will not "
    "match the identifier the hospital registered.",
    example="9c3a3a0e-79f4-5f6a-9d47-4a8a5b9d2e11 (no urn:uuid:), urn:uuid:9C3A3A0E-...",
)
LPR3_UUID_VERSION = _R(
    "dk.lpr3.uuid-version", ERROR, "An LPR3 episode-of-care identifier is not a version-5 UUID",
    issue_type="value",
    source="MedCom Core LPR3Identifier: urn:uuid: + UUID version 5",
    rationale="LPR3 episode-of-care ids are name-based (version 5) UUIDs; a random (version 4) UUID "
    "is a locally made id, which belongs under the sender's own SOR endpoint system instead.",
    example="urn:uuid:9c3a3a0e-79f4-4f6a-9d47-4a8a5b9d2e11 (version 4)",
)

_Where = Location | str | None


def _issues(rules: dict[str, Rule], problems: Iterable[Problem], location: _Where) -> list[Issue]:
    return [rules[p.code].issue(p.message, location) for p in problems]


def check_cpr(value: str, location: _Where = None, *, modulus11: bool = False) -> list[Issue]:
    """Issues for a CPR number: ``dk.cpr.format``, ``dk.cpr.invalid-date`` and, only when
    ``modulus11`` is true, ``dk.cpr.modulus11`` (information)."""
    return _issues(
        {"format": CPR_FORMAT, "invalid-date": CPR_INVALID_DATE, "modulus11": CPR_MODULUS11},
        cpr.problems(value, modulus11=modulus11),
        location,
    )


def check_ecpr(value: str, location: _Where = None, *, kind: ecpr.EcprKind | None = None) -> list[Issue]:
    """Issues for a replacement CPR number: ``dk.ecpr.format``, ``dk.ecpr.invalid-date``.

    ``kind`` (``"x-ecpr"`` or ``"d-ecpr"``) demands one kind, e.g. from the identifier system;
    None accepts either.
    """
    return _issues(
        {"format": ECPR_FORMAT, "invalid-date": ECPR_INVALID_DATE}, ecpr.problems(value, kind), location
    )


def check_x_ecpr(value: str, location: _Where = None) -> list[Issue]:
    """:func:`check_ecpr` for an X-eCPR (system ``urn:oid:1.2.208.176.1.6.1.1``)."""
    return check_ecpr(value, location, kind="x-ecpr")


def check_d_ecpr(value: str, location: _Where = None) -> list[Issue]:
    """:func:`check_ecpr` for a D-eCPR (system ``urn:oid:1.2.208.176.1.6.1.3`` and its regional ones)."""
    return check_ecpr(value, location, kind="d-ecpr")


def check_gln(value: str, location: _Where = None) -> list[Issue]:
    """Issues for a GLN / EAN lokationsnummer: ``dk.gln.format``, ``dk.gln.check-digit``."""
    return _issues({"format": GLN_FORMAT, "check-digit": GLN_CHECK_DIGIT}, gln.problems(value), location)


def check_sor(value: str, location: _Where = None, *, max_digits: int | None = None) -> list[Issue]:
    """Issues for a SOR code: ``dk.sor.format``.

    ``max_digits`` adds an upper bound: MedCom OIOXML letters pass ``sor.SOR_MAX_DIGITS`` (18);
    DK Core has none.
    """
    return _issues({"format": SOR_FORMAT}, sor.problems(value, max_digits=max_digits), location)


def check_cvr(value: str, location: _Where = None) -> list[Issue]:
    """Issues for a CVR number: ``dk.cvr.format``, ``dk.cvr.modulus11``."""
    return _issues({"format": CVR_FORMAT, "modulus11": CVR_MODULUS11}, cvr.problems(value), location)


def check_authorisation(value: str, location: _Where = None) -> list[Issue]:
    """Issues for an authorisation id: ``dk.authorisation.format``."""
    return _issues({"format": AUTHORISATION_FORMAT}, authorisation.problems(value), location)


def check_ydernummer(value: str, location: _Where = None) -> list[Issue]:
    """Issues for a ydernummer: ``dk.ydernummer.format`` (warning), ``dk.ydernummer.length`` (information)."""
    return _issues(
        {"format": YDERNUMMER_FORMAT, "length": YDERNUMMER_SHORT}, ydernummer.problems(value), location
    )


def check_lpr3(value: str, location: _Where = None) -> list[Issue]:
    """Issues for an LPR3 episode-of-care identifier: ``dk.lpr3.format``, ``dk.lpr3.uuid-version``."""
    return _issues({"format": LPR3_FORMAT, "uuid-version": LPR3_UUID_VERSION}, lpr3.problems(value), location)


#: The checker for each Danish identifier system (FHIR ``Identifier.system``).
IDENTIFIER_SYSTEMS: dict[str, Callable[[str, _Where], list[Issue]]] = {
    cpr.CPR_SYSTEM: check_cpr,
    ecpr.X_ECPR_SYSTEM: check_x_ecpr,
    **{system: check_d_ecpr for system in sorted(ecpr.D_ECPR_SYSTEMS)},
    sor.SOR_SYSTEM: check_sor,
    **{system: check_gln for system in sorted(gln.GLN_SYSTEMS)},
    cvr.CVR_SYSTEM: check_cvr,
    authorisation.AUTHORISATION_SYSTEM: check_authorisation,
    ydernummer.YDERNUMMER_SYSTEM: check_ydernummer,
    lpr3.LPR3_SYSTEM: check_lpr3,
}


def check_identifier(system: str | None, value: str, location: _Where = None) -> list[Issue]:
    """Issues for ``value`` under a Danish identifier ``system``; empty for systems not listed in
    :data:`IDENTIFIER_SYSTEMS` (another layer judges those)."""
    checker = IDENTIFIER_SYSTEMS.get(system or "")
    return checker(value, location) if checker is not None else []
