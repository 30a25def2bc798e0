"""Role checks for views: the first gate. What a user may see or do with one record is the
business of that record's policy (e.g. irflow/applications/policy.py).

The gates are recorded where they are set, so the menu (`navigation.py`) offers a page
exactly when its gate would let the user in: one rule, not a second copy in a template."""

from functools import wraps

from flask import abort, current_app
from flask_login import current_user, login_required


def has_any_role(user, roles):
    return bool(getattr(user, "is_authenticated", False)) and any(user.has_role(role) for role in roles)


def allowed_if(may_enter):
    """The view needs a logged-in user that `may_enter(user)` accepts (a policy's rule)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not may_enter(current_user._get_current_object()):
                abort(403)
            return view(*args, **kwargs)

        wrapped.irflow_gate = may_enter
        return wrapped

    return decorator


def role_required(*roles):
    """The view needs a logged-in user holding one of `roles` (admin counts as head)."""
    return allowed_if(lambda user: has_any_role(user, roles))


def gate_blueprint(bp, may_enter):
    """Every page of `bp` needs a logged-in user that `may_enter(user)` accepts (deny by default)."""

    @bp.before_request
    @login_required
    def gate():
        if not may_enter(current_user):
            abort(403)

    bp.irflow_gate = may_enter


def may_open(user, endpoint):
    """Would the gates of `endpoint` let `user` in? (Record-level checks come after, in the page.)"""
    if not getattr(user, "is_authenticated", False):
        return False
    # A nested blueprint is known to the app by its dotted name ("calls.manage"); each level's gate counts.
    names = endpoint.split(".")[:-1]
    for depth in range(1, len(names) + 1):
        gate = getattr(current_app.blueprints.get(".".join(names[:depth])), "irflow_gate", None)
        if gate is not None and not gate(user):
            return False
    gate = getattr(current_app.view_functions[endpoint], "irflow_gate", None)
    return gate is None or gate(user)
