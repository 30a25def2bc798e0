"""Who may see a call, manage it, apply to it, and which of the department's tools for it
(the links above the call's page) each user gets. Used by the routes, the queries and,
through what the views pass, the templates.

Everyone sees a published call; an unpublished one (a draft, or one taken back) only the
head (and admin), who manages every call. The tools follow the pages they open: the head
edits, runs the selection and reads the protocol; coordinators and the head review the
applications and export the selected participants; the call's own examiners, and the
head, open its score sheet; only its examiners import scores."""

from dataclasses import dataclass

import sqlalchemy as sa

from ..models import Call


def _authenticated(user):
    return bool(getattr(user, "is_authenticated", False))


def may_manage(user, call=None):
    """Create, edit, publish, unpublish and close calls: the head (and admin)."""
    return _authenticated(user) and user.has_role("head")


def may_view(user, call):
    return bool(call.published) or may_manage(user, call)


def visible_filter(user):
    """The calls `user` may open, as a query condition."""
    return sa.true() if may_manage(user) else Call.published.is_(True)


def may_apply(user, call):
    """Whether the call is for `user`'s category (a start button is offered while it is open)."""
    return _authenticated(user) and call.admits_category(user.category)


def examines(user, call):
    return _authenticated(user) and user.has_role("examiner") and user in call.examiners


@dataclass(frozen=True)
class StaffLinks:
    """Which of the department's tools for one call a user sees."""

    edit: bool = False
    applications: bool = False
    score_sheet: bool = False
    import_scores: bool = False
    selection: bool = False
    protocol: bool = False
    exports: bool = False
    beneficiary_module: bool = False

    @property
    def any(self):
        return any(vars(self).values())


def staff_links(user, call):
    if not _authenticated(user):
        return StaffLinks()
    is_head = may_manage(user, call)
    coordinates = user.has_role("coordinator")
    examiner = examines(user, call)
    return StaffLinks(
        edit=is_head,
        applications=is_head or coordinates,
        score_sheet=is_head or examiner,
        import_scores=examiner,
        selection=is_head,
        protocol=is_head and call.selection_confirmed_at is not None,
        exports=is_head or coordinates,
        # The export carries the sensitive flags: the head only.
        beneficiary_module=is_head,
    )
