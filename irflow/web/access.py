"""Role checks for views: the first gate. What a user may see or do with one record is the
business of that record's policy (e.g. irflow/applications/policy.py)."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def role_required(*roles):
    """The view needs a logged-in user holding one of `roles` (admin counts as head)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not any(current_user.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
