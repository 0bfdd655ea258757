"""Hypothesis strategies (public API): valid values and near-miss invalid ones."""

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

__all__ = [
    "authorisation_ids",
    "cpr_birth_dates",
    "cpr_numbers",
    "cpr_numbers_with_invalid_date",
    "cvr_numbers",
    "cvr_numbers_with_bad_modulus11",
    "d_ecpr_numbers",
    "ecpr_numbers_with_invalid_date",
    "glns",
    "glns_with_bad_check_digit",
    "lpr3_identifiers",
    "sor_codes",
    "x_ecpr_numbers",
    "ydernumre",
]

from .oioxml import invalid_letters, letters  # noqa: E402  (MedCom OIOXML letters from the bundled models)

__all__ += ["invalid_letters", "letters"]

# MedCom FHIR messages: CareCommunication, HospitalNotification, Acknowledgement
from .medcom_fhir import (
    MEDCOM_OPERATORS,
    acknowledgements,
    care_communications,
    hospital_notifications,
    invalid_medcom_messages,
    medcom_messages,
)

__all__ += ["MEDCOM_OPERATORS", "acknowledgements", "care_communications", "hospital_notifications",
            "invalid_medcom_messages", "medcom_messages"]

from ..fhir.strategies import message_bundles as fhir_message_bundles  # noqa: E402  (FHIR, snapshot-driven)
from ..fhir.strategies import mutations as fhir_mutations  # noqa: E402
from ..fhir.strategies import resources as fhir_resources  # noqa: E402

__all__ += ["fhir_message_bundles", "fhir_mutations", "fhir_resources"]
