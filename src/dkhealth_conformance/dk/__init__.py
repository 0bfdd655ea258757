"""Danish identifiers used by every standard pack: CPR and replacement CPR numbers, GLN, SOR, CVR,
authorisation ids, ydernumre and LPR3 episode-of-care ids.

One module per identifier holds pure functions (``problems``, ``is_valid`` and the like);
:mod:`dkhealth_conformance.dk.rules` holds the ``dk`` rule set and the ``check_<identifier>``
functions that packs call.
"""

from . import authorisation, cpr, cvr, ecpr, gln, lpr3, sor, ydernummer
from ._problem import Problem
from .rules import (
    DK_RULES,
    IDENTIFIER_SYSTEMS,
    check_authorisation,
    check_cpr,
    check_cvr,
    check_d_ecpr,
    check_ecpr,
    check_gln,
    check_identifier,
    check_lpr3,
    check_sor,
    check_x_ecpr,
    check_ydernummer,
)

__all__ = [
    "DK_RULES",
    "IDENTIFIER_SYSTEMS",
    "Problem",
    "authorisation",
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
    "cpr",
    "cvr",
    "ecpr",
    "gln",
    "lpr3",
    "sor",
    "ydernummer",
]
