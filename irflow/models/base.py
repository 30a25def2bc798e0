"""Shared column helpers and the value lists the domain is built on."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..extensions import db


def utcnow():
    """Aware UTC now; every stored time is UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Stores UTC and always hands back an aware datetime, also on SQLite,
    which would otherwise drop the zone and make comparisons with utcnow() fail."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; irflow stores aware UTC times only")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_check(column, values):
    """A CHECK constraint that keeps a string column within a fixed list."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=f"{column}_valid")


CATEGORIES = {
    "bachelor": _l("Bachelor student"),
    "master": _l("Master candidate"),
    "phd": _l("PhD candidate"),
    "teacher": _l("Teacher"),
    "staff": _l("Staff"),
}

ROLES = {
    "coordinator": _l("Coordinator"),
    "examiner": _l("Examiner"),
    "head": _l("Head of department"),
    "admin": _l("Administrator"),
}

PARTNER_KINDS = {
    "university": _l("University"),
    "research_centre": _l("Research centre"),
    "embassy": _l("Embassy"),
    "international_organisation": _l("International organisation"),
    "foundation": _l("Foundation"),
}

PROGRAM_KINDS = {
    "erasmus_plus": _l("Erasmus+"),
    "erasmus_mundus": _l("Erasmus Mundus"),
    "tempus": _l("TEMPUS"),
    "daad": _l("DAAD"),
    "bilateral": _l("Bilateral agreement"),
    "other": _l("Other"),
}

MOBILITY_TYPES = {
    "study": _l("Study"),
    "research": _l("Research"),
    "training": _l("Training"),
    "teaching": _l("Teaching"),
    "conference": _l("Conference"),
}

DOCUMENT_KINDS = {
    "cv": _l("CV"),
    "motivation_letter": _l("Motivation letter"),
    "transcript": _l("Transcript"),
    "language_certificate": _l("Language certificate"),
    "passport": _l("Passport"),
    "recommendation": _l("Recommendation"),
    "host_acceptance": _l("Host acceptance letter"),
    "certificate_of_attendance": _l("Certificate of attendance"),
    "transcript_of_records": _l("Transcript of records"),
    "learning_agreement": _l("Signed learning agreement"),
    "mobility_agreement": _l("Signed mobility agreement"),
    "visa": _l("Visa"),
    "insurance_policy": _l("Insurance policy"),
    "travel_tickets": _l("Travel tickets"),
    "accommodation": _l("Accommodation confirmation"),
    "invitation_letter": _l("Invitation letter from the host"),
    "certificate_of_arrival": _l("Certificate of arrival"),
    "grant_agreement": _l("Signed grant agreement"),
    "other": _l("Other"),
}

CRITERION_SOURCES = {
    "test": _l("Test score"),
    "average_grade": _l("Average grade"),
}

CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")

# The terms of an inter-institutional agreement (Erasmus+ style).
AGREEMENT_DIRECTIONS = {
    "outgoing": _l("Outgoing"),
    "incoming": _l("Incoming"),
    "both": _l("Outgoing and incoming"),
}
AGREEMENT_LEVELS = {
    "bachelor": _l("Bachelor (EQF 6)"),
    "master": _l("Master (EQF 7)"),
    "doctoral": _l("Doctoral (EQF 8)"),
    "staff": _l("Staff"),
}
# The level of study (or staff) an applicant of each category goes abroad at.
LEVEL_OF_CATEGORY = {
    "bachelor": "bachelor",
    "master": "master",
    "phd": "doctoral",
    "teacher": "staff",
    "staff": "staff",
}

LOCALES = {"en": "English", "ru": "Русский", "tg": "Тоҷикӣ"}

__all__ = ["db", "sa", "utcnow", "UTCDateTime", "enum_check"]


def include_in_schema_comparison(object, name, type_, reflected, compare_to):
    """Alembic's include_object for comparing the models with the database (`flask db check`,
    tests/test_schema.py): indexes that only PostgreSQL has, made by migrations and not
    declared in the models (the search's trigram indexes, named *_trgm), are no difference."""
    return not (type_ == "index" and reflected and compare_to is None and bool(name) and name.endswith("_trgm"))
