from urllib.parse import urljoin, urlsplit

from flask import request

# Longer `next` targets are refused: no page of irflow has an address anywhere near this.
MAX_TARGET_LENGTH = 2000


def is_local_url(target):
    """True only for a path on this site: `next=https://elsewhere` or `//elsewhere` is refused."""
    if not target or len(target) > MAX_TARGET_LENGTH or "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    host_url = urlsplit(request.host_url)
    resolved = urlsplit(urljoin(request.host_url, target))
    return resolved.scheme in ("http", "https") and resolved.netloc == host_url.netloc


def local_path_or_none(target):
    """The path part of a local target, or None.

    Resolving dot segments can turn a local-looking target into one that starts with `//`
    (`/.//evil.example`, `/x/..//evil.example`); a browser reads that as another host."""
    if not is_local_url(target):
        return None
    parts = urlsplit(urljoin(request.host_url, target))
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not path.startswith("/") or path.startswith(("//", "/\\")) or len(path) > MAX_TARGET_LENGTH:
        return None
    return path
