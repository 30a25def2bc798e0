"""Who must have two-factor on, and who may turn it off.

REQUIRE_2FA_ROLES (comma-separated) names the roles that require it; admin counts as head
(User.has_role). A user holding any of them may not disable it."""

from flask import current_app


def _authenticated(user):
    return bool(getattr(user, "is_authenticated", False))


def required_roles():
    return [role.strip() for role in current_app.config["REQUIRE_2FA_ROLES"].split(",") if role.strip()]


def is_required_for(user):
    return _authenticated(user) and any(user.has_role(role) for role in required_roles())


def may_manage(user):
    """Set up two-factor, or get new recovery codes: every logged-in user, for their own account."""
    return _authenticated(user)


def may_disable(user):
    return _authenticated(user) and not is_required_for(user)
