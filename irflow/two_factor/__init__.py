"""The two-factor pages of an account: set it up, disable it, new recovery codes; and the
rule that users of the roles in REQUIRE_2FA_ROLES set it up before any other page."""

from flask import Blueprint

bp = Blueprint("two_factor", __name__)

from . import enforcement, routes  # noqa: E402,F401
