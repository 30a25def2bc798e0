from urllib.parse import urljoin, urlsplit

from flask import request


def is_local_url(target):
    """True only for a path on this site: `next=https://elsewhere` or `//elsewhere` is refused."""
    if not target or "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    host_url = urlsplit(request.host_url)
    resolved = urlsplit(urljoin(request.host_url, target))
    return resolved.scheme in ("http", "https") and resolved.netloc == host_url.netloc


def local_path_or_none(target):
    """The path part of a local target, or None."""
    if not is_local_url(target):
        return None
    parts = urlsplit(urljoin(request.host_url, target))
    return parts.path + (f"?{parts.query}" if parts.query else "")
