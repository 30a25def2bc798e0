"""Security headers on every response: pages, redirects, error pages and static files.

Pages get them from an after_request hook; static files are answered by WhiteNoise before
Flask sees the request (irflow/static_files.py), which calls `add_security_headers` too.
"""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        # Bootstrap draws the select arrows, check marks and the menu icon as data: SVG images.
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(config):
    """The headers every response carries under `config` (HSTS outside development and tests:
    a developer's http://127.0.0.1 must not be pinned to HTTPS)."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
    }
    if not (config.get("DEVELOPMENT") or config.get("TESTING")):
        headers["Strict-Transport-Security"] = HSTS
    return headers


def add_security_headers(headers, config):
    for name, value in security_headers(config).items():
        headers[name] = value


def init_app(app):
    @app.after_request
    def secure_response(response):
        add_security_headers(response.headers, app.config)
        # Every page carries the session's CSRF token (the language form is on all of them)
        # and most show personal data: no browser or proxy may keep a copy, downloads included.
        if "no-store" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "no-store"
        return response
