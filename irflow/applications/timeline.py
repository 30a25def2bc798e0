"""An application's history: its state changes, what happened to its documents (uploaded,
removed, replaced), its stay changes and its checklist items, by whom and when, in one list."""

from collections import namedtuple

# kind: "transition" (entry.log is the TransitionLog row) or "uploaded", "removed",
# "replaced" (entry.document is the Document; entry.replacement the one that replaced it).
# "stay_requested" and "stay_decided": entry.stay_change is the StayChange.
# "checklist": entry.checklist_change is the PredepartureItemChange.
TimelineEntry = namedtuple(
    "TimelineEntry",
    "at actor kind log document replacement stay_change checklist_change",
    defaults=(None, None),
)

# At the same instant a replacement reads: old uploaded, new uploaded, old replaced.
_ORDER = {
    "transition": 0,
    "uploaded": 1,
    "removed": 2,
    "replaced": 2,
    "stay_requested": 3,
    "stay_decided": 4,
    "checklist": 5,
}


def timeline(transitions, documents, stay_changes=(), checklist_changes=()):
    """`documents`: every document of the application, removed ones included, with their
    uploader and remover loaded (no query is made here); `stay_changes`: the requests to
    change the stay, each shown when asked and when decided; `checklist_changes`: each change
    of a pre-departure checklist item, its actor loaded."""
    by_id = {document.id: document for document in documents}
    entries = [TimelineEntry(row.created_at, row.actor, "transition", row, None, None) for row in transitions]
    for document in documents:
        entries.append(TimelineEntry(document.uploaded_at, document.uploaded_by, "uploaded", None, document, None))
        if document.deleted_at is not None:
            replacement = by_id.get(document.replaced_by_id)
            entries.append(
                TimelineEntry(
                    document.deleted_at,
                    document.deleted_by,
                    "replaced" if replacement is not None else "removed",
                    None,
                    document,
                    replacement,
                )
            )
    for change in stay_changes:
        entries.append(
            TimelineEntry(change.created_at, change.requested_by, "stay_requested", None, None, None, change)
        )
        if change.decided_at is not None:
            entries.append(
                TimelineEntry(change.decided_at, change.decided_by, "stay_decided", None, None, None, change)
            )
    for change in checklist_changes:
        entries.append(TimelineEntry(change.created_at, change.actor, "checklist", None, None, None, None, change))
    return sorted(entries, key=lambda entry: (entry.at, _ORDER[entry.kind]))
