"""An application's history: its state changes and what happened to its documents
(uploaded, removed, replaced), by whom and when, in one list."""

from collections import namedtuple

# kind: "transition" (entry.log is the TransitionLog row) or "uploaded", "removed",
# "replaced" (entry.document is the Document; entry.replacement the one that replaced it).
TimelineEntry = namedtuple("TimelineEntry", "at actor kind log document replacement")

# At the same instant a replacement reads: old uploaded, new uploaded, old replaced.
_ORDER = {"transition": 0, "uploaded": 1, "removed": 2, "replaced": 2}


def timeline(transitions, documents):
    """`documents`: every document of the application, removed ones included, with their
    uploader and remover loaded (no query is made here)."""
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
    return sorted(entries, key=lambda entry: (entry.at, _ORDER[entry.kind]))
