"""The password policy: Argon2id at OWASP's cost, old hashes redone at login, and the
breached-password list shipped with irflow."""

import gzip

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher, Type, extract_parameters

from irflow.auth.passwords import BREACHED_PASSWORDS_FILE, SortedLines, common_passwords, password_problems
from irflow.config import Config, TestConfig
from irflow.extensions import db
from irflow.models import User

from .fixtures.auth import field_errors, is_logged_in, login, register, registration
from .fixtures.factories import PASSWORD, FacultyFactory, UserFactory

TOO_COMMON = "This password is too common; choose another."
STRONG_PASSWORD = "quince jam on a Khujand balcony"
# argon2-cffi's defaults, which irflow used before it moved to OWASP's parameters.
OLD_COST = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}


def shipped_lines():
    return gzip.decompress(BREACHED_PASSWORDS_FILE.read_bytes()).decode("utf-8").splitlines()


def users_with(email):
    return db.session.scalar(sa.select(sa.func.count(User.id)).where(User.email == email))


def stored_hash(user):
    db.session.expire_all()
    return db.session.get(User, user.id).password_hash


# --- Argon2id cost ------------------------------------------------------------------------------


def test_production_hashes_at_the_owasp_parameters():
    assert (Config.ARGON2_MEMORY_COST, Config.ARGON2_TIME_COST, Config.ARGON2_PARALLELISM) == (19456, 2, 1)
    # The suite keeps its cheap hashes.
    assert (TestConfig.ARGON2_MEMORY_COST, TestConfig.ARGON2_TIME_COST, TestConfig.ARGON2_PARALLELISM) == (1024, 1, 1)


def test_login_redoes_a_hash_made_with_the_old_parameters(app, client, monkeypatch):
    for name in ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM"):
        monkeypatch.setitem(app.config, name, getattr(Config, name))
    user = UserFactory(email="student@example.org", password_hash=PasswordHasher(**OLD_COST).hash(PASSWORD))
    before = extract_parameters(user.password_hash)
    assert (before.memory_cost, before.time_cost, before.parallelism) == (65536, 3, 4)

    response = login(client, "student@example.org", PASSWORD)

    assert response.status_code == 302
    after = stored_hash(user)
    parameters = extract_parameters(after)
    assert parameters.type is Type.ID
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (19456, 2, 1)
    assert PasswordHasher().verify(after, PASSWORD)


def test_a_wrong_password_leaves_the_old_hash_alone(app, client, monkeypatch):
    for name in ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM"):
        monkeypatch.setitem(app.config, name, getattr(Config, name))
    old_hash = PasswordHasher(**OLD_COST).hash(PASSWORD)
    user = UserFactory(email="student@example.org", password_hash=old_hash)

    response = login(client, "student@example.org", PASSWORD + "!")

    assert response.status_code == 401
    assert stored_hash(user) == old_hash


def test_a_hash_at_the_current_parameters_is_kept(app, client):
    user = UserFactory(email="student@example.org")
    current_hash = user.password_hash
    current = extract_parameters(current_hash)
    assert (current.memory_cost, current.time_cost, current.parallelism) == (
        app.config["ARGON2_MEMORY_COST"],
        app.config["ARGON2_TIME_COST"],
        app.config["ARGON2_PARALLELISM"],
    )

    assert login(client, "student@example.org", PASSWORD).status_code == 302
    assert stored_hash(user) == current_hash


# --- the breached-password list -----------------------------------------------------------------


def test_the_shipped_list_loads_with_its_hundreds_of_thousands_of_entries(app):
    assert BREACHED_PASSWORDS_FILE.stat().st_size < 5 * 1024 * 1024
    lines = shipped_lines()
    listed = common_passwords()
    assert len(listed) == len(lines) >= 100_000
    assert common_passwords() is listed  # read once per process
    assert lines[0] in listed and lines[-1] in listed and lines[len(lines) // 2] in listed
    # The entries the former list of 1,781 refused are still there.
    assert {"password123", "qwertyuiop", "1q2w3e4r5t", "basketball"} <= set(lines)


def deep_entry():
    """An entry about 200,000 lines into the list that only the list refuses: long enough and
    not made of too few characters."""
    lines = shipped_lines()
    return next(word for word in lines[200_000:] if len(word) >= 12 and len(set(word)) >= 6 and word.isascii())


def test_a_password_from_deep_in_the_list_is_refused(app, client):
    deep = deep_entry()
    assert password_problems(deep) == [TOO_COMMON]
    assert password_problems(deep.upper()) == [TOO_COMMON]
    faculty = FacultyFactory()

    response = register(client, registration(faculty, password=deep.title(), password_again=deep.title()))

    assert response.status_code == 400
    assert field_errors(response, "password") == [TOO_COMMON]
    assert users_with("alisher.rahimov@example.org") == 0
    assert not is_logged_in(client)


@pytest.mark.parametrize("typed", [" password123 ", "password123  ", "\tPassWord123", " PASSWORD123\n"])
def test_spaces_around_a_listed_password_do_not_hide_it(app, client, typed):
    # The list is stored stripped and lower-case: what is typed is compared the same way.
    assert password_problems(typed) == [TOO_COMMON]
    faculty = FacultyFactory()

    response = register(client, registration(faculty, password=typed, password_again=typed))

    assert response.status_code == 400
    assert field_errors(response, "password") == [TOO_COMMON]
    assert users_with("alisher.rahimov@example.org") == 0


def test_spaces_around_the_mail_name_do_not_hide_it(app):
    assert "Do not use your e-mail address as your password." in password_problems(
        "  Alisher.Rahimov ", "alisher.rahimov@example.org"
    )


def test_a_strong_password_is_accepted(app, client):
    assert STRONG_PASSWORD.lower() not in common_passwords()
    assert password_problems(STRONG_PASSWORD) == []
    faculty = FacultyFactory()

    response = register(client, registration(faculty, password=STRONG_PASSWORD, password_again=STRONG_PASSWORD))

    assert response.status_code == 302
    assert users_with("alisher.rahimov@example.org") == 1


@pytest.mark.parametrize("words", [[], ["solo"], ["alpha", "bravo", "charlie", "delta", "echo"]])
def test_the_sorted_lines_find_exactly_their_entries(words):
    lines = SortedLines(b"".join(word.encode() + b"\n" for word in sorted(words)))

    assert len(lines) == len(words)
    assert list(lines) == sorted(words)
    assert [word for word in words if word not in lines] == []
    near_misses = [""] + [word[:-1] for word in words] + [word + "s" for word in words] + ["a", "zulu", "delta\necho"]
    assert [word for word in near_misses if word in lines] == []


def test_the_sorted_lines_match_a_set_on_the_shipped_list(app):
    lines = shipped_lines()
    listed = common_passwords()
    probes = lines[::250] + [word + "~" for word in lines[::250]] + [word[:-1] for word in lines[1::250]]
    members = set(lines)
    assert [word for word in probes if (word in listed) != (word in members)] == []
