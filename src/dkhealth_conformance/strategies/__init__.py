"""Hypothesis strategies (public API): valid values and messages, and near-miss invalid ones.

- Danish identifiers: CPR (every century digit), X-/D-eCPR, GLN, SOR, CVR, authorisation ids …
- MedCom OIOXML letters from the bundled models: ``letters``, ``invalid_letters``,
  ``emessages_with_receipts``, ``receipts_for``.
- MedCom FHIR messages: ``care_communications``, ``hospital_notifications``, ``acknowledgements``,
  ``medcom_messages``, ``invalid_medcom_messages``.
- FHIR R4 base resources driven by the snapshots: ``fhir_resources``, ``fhir_message_bundles``,
  ``fhir_mutations``.
"""

from ..fhir.strategies import message_bundles as fhir_message_bundles
from ..fhir.strategies import mutations as fhir_mutations
from ..fhir.strategies import resources as fhir_resources
from .identifiers import (
    authorisation_ids,
    cpr_birth_dates,
    cpr_numbers,
    cpr_numbers_with_invalid_date,
    cvr_numbers,
    cvr_numbers_with_bad_modulus11,
    d_ecpr_numbers,
    ecpr_numbers_with_invalid_date,
    glns,
    glns_with_bad_check_digit,
    lpr3_identifiers,
    sor_codes,
    x_ecpr_numbers,
    ydernumre,
)
from .medcom_fhir import (
    MEDCOM_OPERATORS,
    acknowledgements,
    care_communications,
    hospital_notifications,
    invalid_medcom_messages,
    medcom_messages,
)
from .oioxml import emessages_with_receipts, invalid_letters, letters, receipts_for

__all__ = [
    "MEDCOM_OPERATORS",
    "acknowledgements",
    "authorisation_ids",
    "care_communications",
    "cpr_birth_dates",
    "cpr_numbers",
    "cpr_numbers_with_invalid_date",
    "cvr_numbers",
    "cvr_numbers_with_bad_modulus11",
    "d_ecpr_numbers",
    "ecpr_numbers_with_invalid_date",
    "emessages_with_receipts",
    "fhir_message_bundles",
    "fhir_mutations",
    "fhir_resources",
    "glns",
    "glns_with_bad_check_digit",
    "hospital_notifications",
    "invalid_letters",
    "invalid_medcom_messages",
    "letters",
    "lpr3_identifiers",
    "medcom_messages",
    "receipts_for",
    "sor_codes",
    "x_ecpr_numbers",
    "ydernumre",
]
