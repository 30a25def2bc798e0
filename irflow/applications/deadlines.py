"""The deadline an application's owner is working to now, if any: shown beside it on the
applicant's list, the application's page and the review queue."""


def changes_due(application):
    """When the requested changes are due, while they are being made; else None."""
    return application.changes_due_at if application.state == "changes_requested" else None


def offer_due(application):
    """Until when the offered place may be confirmed, while it is offered; else None."""
    return application.offer_deadline if application.state == "selected" else None
