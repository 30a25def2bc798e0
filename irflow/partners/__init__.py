"""Partners and their agreements: the public list (routes) and the head's pages under
/manage/partners and /manage/agreements (manage, a blueprint nested in this one: endpoints
`partners.manage.*`)."""

from flask import Blueprint

bp = Blueprint("partners", __name__)

from . import routes  # noqa: E402,F401
from .manage import bp as manage_bp  # noqa: E402

bp.register_blueprint(manage_bp)
