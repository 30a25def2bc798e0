"""Access checks in one place: role decorators for views."""

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
