"""Static files: served by WhiteNoise, gzip-compressed, cached for a year under versioned URLs.

At start-up every file of irflow/static is copied into a build folder (STATIC_BUILD_FOLDER)
twice: under its own name and under a name carrying a hash of its content
(css/irflow.css and css/irflow.3f2a91c04be7.css), each with a gzip copy beside it (.gz) when
that is smaller. `url_for('static', filename='css/irflow.css')` gives the versioned name, which
is cached for a year: a changed file gets a new name, so no browser ever keeps an old one.
The build is named after a digest of the whole tree: an unchanged tree is built once, and
workers starting together share one build (each builds aside and renames into place).

When the build folder cannot be written (a cron or restore user without the right to write
it, a read-only file system), the files are served as they are from irflow/static, under
their plain names and kept briefly: slower, but every `flask` command still starts.
"""

import hashlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path, PurePosixPath

from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from .headers import add_security_headers

ONE_YEAR = 365 * 24 * 60 * 60
VERSIONED_CACHE_CONTROL = f"public, max-age={ONE_YEAR}, immutable"
# The plain names stay reachable (a bookmarked or hand-written URL) but are kept only briefly.
UNVERSIONED_MAX_AGE = 60
HASH_LENGTH = 12
BUILDS_KEPT = 3  # older releases' workers may still be serving theirs during a restart
STAGING_PREFIX = ".building-"
# A staging folder this old was left by a worker killed during its build (a build takes seconds).
STALE_STAGING_SECONDS = 60 * 60

logger = logging.getLogger(__name__)


def content_hashes(source):
    """{relative POSIX path: sha256 hex} of every file under `source`."""
    source = Path(source)
    hashes = {}
    for path in sorted(source.rglob("*")):
        if path.is_file():
            hashes[path.relative_to(source).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def versioned_name(name, sha256):
    """css/irflow.css → css/irflow.<hash>.css (the extension stays last for the media type)."""
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem}.{sha256[:HASH_LENGTH]}{path.suffix}"))


def build(source, build_root):
    """Build (or reuse) the served copy of `source`; returns (folder, {name: versioned name})."""
    hashes = content_hashes(source)
    manifest = {name: versioned_name(name, sha256) for name, sha256 in hashes.items()}
    tree_digest = hashlib.sha256("".join(f"{name}\0{sha256}\n" for name, sha256 in hashes.items()).encode())
    build_root = Path(build_root)
    folder = build_root / tree_digest.hexdigest()[:HASH_LENGTH]
    _prune_stale_staging(build_root)
    if not folder.is_dir():
        build_root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=build_root))
        staging.chmod(0o755)  # mkdtemp's 0700 would hide the build from a web server in front
        try:
            _fill(staging, Path(source), manifest)
            os.rename(staging, folder)
        except OSError:
            if not folder.is_dir():
                raise
            # Another worker finished the same build first: use its copy.
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _prune(build_root, keep=folder)
    return folder, manifest


def _fill(staging, source, manifest):
    compressor = Compressor(use_brotli=False, quiet=True)
    for name, versioned in manifest.items():
        plain = staging / name
        plain.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, plain)
        compressed = compressor.compress(str(plain)) if compressor.should_compress(name) else []
        shutil.copyfile(plain, staging / versioned)
        for compressed_path in compressed:
            suffix = compressed_path[len(str(plain)) :]
            shutil.copyfile(compressed_path, str(staging / versioned) + suffix)


def _prune(build_root, keep):
    builds = [
        path
        for path in build_root.iterdir()
        if path.is_dir() and not path.name.startswith(STAGING_PREFIX) and path != keep
    ]
    builds.sort(key=lambda path: path.stat().st_mtime, reverse=True)
    for old in builds[BUILDS_KEPT - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


def _prune_stale_staging(build_root):
    try:
        entries = list(build_root.iterdir())
    except OSError:
        return  # no build folder yet, or one we cannot read: building will tell
    cutoff = time.time() - STALE_STAGING_SECONDS
    for path in entries:
        if not path.name.startswith(STAGING_PREFIX):
            continue
        try:
            stale = path.stat().st_mtime < cutoff
        except OSError:
            continue  # renamed into place or removed meanwhile
        if stale:
            shutil.rmtree(path, ignore_errors=True)


def init_app(app):
    try:
        folder, manifest = build(app.static_folder, app.config["STATIC_BUILD_FOLDER"])
    except OSError as error:
        # Never keep the app (and every `flask` command) from starting over a cache of copies.
        logger.warning(
            "Static files served unbuilt from %s (no gzip, no versioned URLs): the build folder %s "
            "cannot be written: %s",
            app.static_folder,
            app.config["STATIC_BUILD_FOLDER"],
            error,
        )
        folder, manifest = app.static_folder, {}
    prefix = app.static_url_path.rstrip("/") + "/"
    versioned_urls = {prefix + versioned for versioned in manifest.values()}

    def add_headers(headers, path, url):
        add_security_headers(headers, app.config)
        if url in versioned_urls:
            headers["Cache-Control"] = VERSIONED_CACHE_CONTROL

    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(folder),
        prefix=prefix,
        max_age=UNVERSIONED_MAX_AGE,
        allow_all_origins=False,
        add_headers_function=add_headers,
    )

    @app.url_defaults
    def versioned_static_url(endpoint, values):
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]
