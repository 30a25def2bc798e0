from flask import render_template

from . import bp


@bp.route("/privacy")
def notice():
    """The privacy notice: public, so that it can be read before registering."""
    return render_template("privacy/notice.html")
