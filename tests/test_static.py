"""Static files: gzip for browsers that take it, a year's cache under URLs that carry the
content's hash, a new URL for a changed file, and no manual build step."""

import errno
import gzip
import logging
import os
import re
import time
from pathlib import Path

import pytest
from flask import Flask, url_for

from irflow import static_files

STATIC = Path(__file__).resolve().parent.parent / "irflow" / "static"
VERSIONED = re.compile(r"/static/(.+)\.[0-9a-f]{12}(\.[a-z]+)$")
ONE_YEAR = "public, max-age=31536000, immutable"


def static_urls_of(page):
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page)


def test_the_home_page_links_versioned_static_files_cached_for_a_year(client):
    urls = static_urls_of(client.get("/").get_data(as_text=True))
    assert len(urls) == 6  # icon.svg, bootstrap.css, irflow.css, no-script.css, bootstrap.js, irflow.js
    for url in urls:
        match = VERSIONED.match(url)
        assert match, url
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == ONE_YEAR, url
        original = STATIC / (match.group(1) + match.group(2))
        assert response.data == original.read_bytes(), url
        response.close()


def test_unversioned_names_still_work_but_are_not_kept_long(client):
    response = client.get("/static/css/irflow.css")
    assert response.status_code == 200
    assert response.data == (STATIC / "css" / "irflow.css").read_bytes()
    assert "immutable" not in response.headers["Cache-Control"]
    assert response.headers["Cache-Control"] == "max-age=60, public"


@pytest.mark.parametrize(
    "name",
    [
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "css/irflow.css",
        "js/irflow.js",
    ],
)
def test_gzip_is_sent_to_browsers_that_accept_it(app, client, name):
    with app.test_request_context():
        url = url_for("static", filename=name)
    original = (STATIC / name).read_bytes()

    compressed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert compressed.headers["Vary"] == "Accept-Encoding"
    assert len(compressed.data) < len(original)
    assert int(compressed.headers["Content-Length"]) == len(compressed.data)
    assert gzip.decompress(compressed.data) == original
    assert compressed.headers["Cache-Control"] == ONE_YEAR

    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers
    assert plain.data == original
    compressed.close()
    plain.close()


def test_the_big_files_shrink_to_a_fraction(app, client):
    with app.test_request_context():
        url = url_for("static", filename="vendor/bootstrap/bootstrap.min.css")
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert len(response.data) < len((STATIC / "vendor/bootstrap/bootstrap.min.css").read_bytes()) / 5
    response.close()


def bare_app(source, build_root):
    """An app with its own static folder, set up the way create_app sets up irflow's."""
    app = Flask("static_test", static_folder=str(source))
    app.config.update(TESTING=True, STATIC_BUILD_FOLDER=str(build_root))
    static_files.init_app(app)
    return app


def versioned_url(app, name):
    with app.test_request_context():
        return url_for("static", filename=name)


def test_a_changed_file_gets_a_new_url_and_the_old_stays_served_by_its_build(tmp_path):
    source = tmp_path / "static"
    (source / "css").mkdir(parents=True)
    (source / "css" / "site.css").write_text("body { color: black; }\n" * 50)
    (source / "css" / "other.css").write_text("p { margin: 0; }\n")
    build_root = tmp_path / "build"
    assert not build_root.exists()  # a clean checkout: nothing built yet

    first = bare_app(source, build_root)
    first_url = versioned_url(first, "css/site.css")
    other_url = versioned_url(first, "css/other.css")
    assert VERSIONED.match(first_url)
    response = first.test_client().get(first_url, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data) == (source / "css" / "site.css").read_bytes()
    response.close()

    (source / "css" / "site.css").write_text("body { color: navy; }\n" * 50)
    second = bare_app(source, build_root)
    second_url = versioned_url(second, "css/site.css")
    assert second_url != first_url
    assert versioned_url(second, "css/other.css") == other_url  # unchanged file, same URL
    response = second.test_client().get(second_url)
    assert response.data == (source / "css" / "site.css").read_bytes()
    assert response.headers["Cache-Control"] == ONE_YEAR
    response.close()
    assert second.test_client().get(first_url).status_code == 404


def test_an_unchanged_tree_is_built_once_and_old_builds_are_pruned(tmp_path):
    source = tmp_path / "static"
    source.mkdir()
    build_root = tmp_path / "build"
    folders = []
    for version in range(5):
        (source / "site.css").write_text(f"/* {version} */ body {{ margin: 0; }}\n")
        folder, _ = static_files.build(source, build_root)
        again, _ = static_files.build(source, build_root)
        assert again == folder
        folders.append(folder)
    remaining = sorted(path for path in build_root.iterdir())
    assert len(remaining) == static_files.BUILDS_KEPT
    assert folders[-1] in remaining


def test_versioned_names_keep_the_extension_last():
    digest = "0123456789abcdef" * 4
    assert (
        static_files.versioned_name("vendor/bootstrap/bootstrap.min.css", digest)
        == "vendor/bootstrap/bootstrap.min.0123456789ab.css"
    )
    assert static_files.versioned_name("vendor/bootstrap/LICENSE", digest) == "vendor/bootstrap/LICENSE.0123456789ab"


def refuse_to_write(error):
    def refuse(*args, **kwargs):
        raise error

    return refuse


@pytest.mark.parametrize(
    ("where", "error"),
    [
        ("staging", OSError(errno.EROFS, "Read-only file system")),
        ("copy", PermissionError(errno.EACCES, "Permission denied")),
    ],
)
def test_an_unwritable_build_folder_falls_back_to_the_unbuilt_files(tmp_path, monkeypatch, caplog, where, error):
    """A cron job or `flask restore` run by a user who cannot write the build folder (or on a
    read-only file system) must still start: the files are served as they are, unversioned."""
    source = tmp_path / "static"
    (source / "css").mkdir(parents=True)
    (source / "css" / "site.css").write_text("body { color: black; }\n" * 50)
    build_root = tmp_path / "build"
    if where == "staging":
        monkeypatch.setattr(static_files.tempfile, "mkdtemp", refuse_to_write(error))
    else:
        monkeypatch.setattr(static_files.shutil, "copyfile", refuse_to_write(error))

    with caplog.at_level(logging.WARNING, logger=static_files.__name__):
        app = bare_app(source, build_root)

    assert "served unbuilt" in caplog.text
    url = versioned_url(app, "css/site.css")
    assert url == "/static/css/site.css"
    response = app.test_client().get(url)
    assert response.status_code == 200
    assert response.data == (source / "css" / "site.css").read_bytes()
    assert response.headers["Cache-Control"] == "max-age=60, public"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    response.close()
    assert not any(build_root.glob(static_files.STAGING_PREFIX + "*"))  # nothing half-written left behind


def test_a_stale_staging_folder_is_pruned_and_one_in_flight_is_not(tmp_path):
    """A worker killed during a build leaves its staging folder; the next start removes it
    once it is old enough not to be another worker's build still under way."""
    source = tmp_path / "static"
    source.mkdir()
    (source / "site.css").write_text("body { margin: 0; }\n")
    build_root = tmp_path / "build"
    folder, _ = static_files.build(source, build_root)
    stale = build_root / (static_files.STAGING_PREFIX + "killed")
    (stale / "css").mkdir(parents=True)
    (stale / "css" / "half.css").write_text("body {")
    two_hours_ago = time.time() - 2 * 60 * 60
    os.utime(stale, (two_hours_ago, two_hours_ago))
    in_flight = build_root / (static_files.STAGING_PREFIX + "running")
    in_flight.mkdir()

    again, _ = static_files.build(source, build_root)  # the tree is unchanged: nothing to build

    assert again == folder
    assert not stale.exists()
    assert in_flight.is_dir()


def test_the_app_starts_and_links_plain_static_urls_when_its_build_folder_is_read_only(
    app, tmp_path, monkeypatch, create_own_app
):
    monkeypatch.setattr(
        static_files.tempfile, "mkdtemp", refuse_to_write(OSError(errno.EROFS, "Read-only file system"))
    )
    settings = dict(app.config)
    settings.update(STATIC_BUILD_FOLDER=str(tmp_path / "never-built"))
    fallback = create_own_app(settings)

    urls = static_urls_of(fallback.test_client().get("/").get_data(as_text=True))
    assert "/static/css/irflow.css" in urls
    for url in urls:
        assert not VERSIONED.match(url), url
        response = fallback.test_client().get(url)
        assert response.status_code == 200, url
        assert response.data == (STATIC / url.removeprefix("/static/")).read_bytes(), url
        response.close()
