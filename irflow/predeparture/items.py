"""The checklist's items: who provides each, which document proves it, and when it is due
(config PREDEPARTURE_DUE_DAYS: days before the departure, in one place)."""

from collections import namedtuple
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..models.predeparture import PREDEPARTURE_ITEMS

ItemKind = namedtuple("ItemKind", "key label provider document_kind")

ITEM_KINDS = {
    "invitation_letter": ItemKind(
        "invitation_letter", _l("Invitation letter from the host"), "office", "invitation_letter"
    ),
    "visa": ItemKind("visa", _l("Visa"), "participant", "visa"),
    "accommodation": ItemKind("accommodation", _l("Accommodation"), "participant", "accommodation"),
    "travel_tickets": ItemKind("travel_tickets", _l("Travel tickets"), "participant", "travel_tickets"),
    "insurance": ItemKind("insurance", _l("Insurance"), "participant", "insurance_policy"),
    "certificate_of_arrival": ItemKind(
        "certificate_of_arrival", _l("Certificate of arrival"), "participant", "certificate_of_arrival"
    ),
}
assert tuple(ITEM_KINDS) == PREDEPARTURE_ITEMS

PROVIDERS = {"participant": _l("The participant"), "office": _l("The international office")}

# The checklist runs from the confirmed place until the participant is abroad.
CHECKLIST_STATES = frozenset({"confirmed", "nominated", "host_accepted", "abroad"})
# Only after arrival can the certificate of arrival exist.
AFTER_ARRIVAL = frozenset({"certificate_of_arrival"})


def departure_of(application):
    return application.actual_departure or application.planned_start


def due_date(application, key):
    departure = departure_of(application)
    if departure is None:
        return None
    return departure - timedelta(days=current_app.config["PREDEPARTURE_DUE_DAYS"][key])


@dataclass
class ChecklistLine:
    kind: ItemKind
    due: object  # a date, or None without a planned departure
    record: object  # the PredepartureItem, or None while nobody has touched the item
    documents: list

    @property
    def state(self):
        return self.record.state if self.record is not None else "todo"

    @property
    def settled(self):
        return self.state in ("done", "not_needed")

    def overdue(self, today):
        return not self.settled and self.due is not None and self.due < today


def lines_for(application, records, documents):
    """The checklist of `application` from its item rows and its current documents (both
    loaded by the caller, so that a list of applications costs no statement per row)."""
    by_item = {record.item: record for record in records}
    lines = []
    for key, kind in ITEM_KINDS.items():
        lines.append(
            ChecklistLine(
                kind=kind,
                due=due_date(application, key),
                record=by_item.get(key),
                documents=[document for document in documents if document.kind == kind.document_kind],
            )
        )
    return lines


def missing(lines, abroad=False):
    """The items neither done nor marked not needed (the certificate of arrival only once
    the participant is abroad)."""
    return [line for line in lines if not line.settled and (abroad or line.kind.key not in AFTER_ARRIVAL)]
