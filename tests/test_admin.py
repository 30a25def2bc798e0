"""User administration over HTTP: who may reach it, search, roles, faculties, activation."""

import re
from html import unescape

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import UserRole

from .fixtures.factories import FacultyFactory, UserFactory
from .fixtures.logins import login_token

NON_ADMIN_ROLES = [[], ["coordinator"], ["examiner"], ["head"], ["coordinator", "examiner", "head"]]


def text_of(response):
    return unescape(response.get_data(as_text=True))


def listed_emails(response):
    """The e-mail column of the users table."""
    assert response.status_code == 200
    body = response.get_data(as_text=True).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return {unescape(email) for email in re.findall(r"<td>([^<>@\s]+@[^<>\s]+)</td>", body)}


def roles_of(user_id):
    return set(db.session.scalars(sa.select(UserRole.role).where(UserRole.user_id == user_id)))


@pytest.fixture
def target():
    return UserFactory(email="target@example.org", full_name_latin="TARGET PERSON")


def _requests(target_id):
    """Every admin endpoint with what a valid form would send."""
    return [
        ("get", "/admin/users", None),
        ("get", f"/admin/users/{target_id}", None),
        ("post", f"/admin/users/{target_id}", {"roles": ["admin", "head"]}),
        ("post", f"/admin/users/{target_id}/active", {"active": "0"}),
    ]


def _send(client, method, path, data):
    if method == "get":
        return client.get(path)
    return client.post_form(path, data)


def _assert_unchanged(target):
    db.session.refresh(target)
    assert target.active
    assert roles_of(target.id) == set()


def test_anonymous_visitor_is_sent_to_login(client, target):
    for method, path, data in _requests(target.id):
        response = _send(client, method, path, data)

        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/auth/login?next="), (method, path)
        _assert_unchanged(target)


@pytest.mark.parametrize("roles", NON_ADMIN_ROLES, ids=lambda roles: "+".join(roles) or "applicant")
def test_users_without_admin_role_are_refused(client, login_as, target, roles):
    login_as(UserFactory(roles=roles))
    for method, path, data in _requests(target.id):
        response = _send(client, method, path, data)

        assert response.status_code == 403, (method, path)
        assert "Not allowed" in text_of(response)
        assert "target@example.org" not in text_of(response)
        _assert_unchanged(target)


def test_admin_reaches_every_endpoint(client, login_as, target):
    login_as(UserFactory(roles=["admin"]))
    statuses = [_send(client, method, path, data).status_code for method, path, data in _requests(target.id)]
    assert statuses == [200, 200, 302, 302]
    db.session.refresh(target)
    assert roles_of(target.id) == {"admin", "head"}
    assert target.active is False


def test_a_deactivated_admin_is_refused(app, client, login_as):
    admin = UserFactory(roles=["admin"], active=False)
    login_as(admin)
    assert client.get("/admin/users").status_code == 302


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("get", "", None),
        ("post", "", {"roles": ["head"]}),
        ("post", "/active", {"active": "0"}),
    ],
)
def test_unknown_user_is_404(client, login_as, method, suffix, data):
    admin = UserFactory(roles=["admin"])
    login_as(admin)
    response = _send(client, method, f"/admin/users/{admin.id + 1000}{suffix}", data)
    assert response.status_code == 404
    assert "Not found" in text_of(response)


def test_admin_link_in_navigation_only_for_admins(client, login_as):
    login_as(UserFactory(roles=["head"]))
    assert 'href="/admin/users"' not in client.get("/").get_data(as_text=True)
    login_as(UserFactory(roles=["admin"]))
    assert 'href="/admin/users"' in client.get("/").get_data(as_text=True)


# --- the list -------------------------------------------------------------------------------


@pytest.fixture
def people():
    physics = FacultyFactory(name="Faculty of Physics and Engineering")
    return {
        "admin": UserFactory(
            email="root@example.org",
            full_name_latin="SYSTEM ADMINISTRATOR",
            full_name_native="Администратор",
            roles=["admin"],
        ),
        "coordinator": UserFactory(
            email="karimov@ksu.tj",
            full_name_latin="KARIMOV FARRUKH",
            full_name_native="Каримов Фаррух",
            roles=["coordinator"],
        ),
        "examiner": UserFactory(
            email="nazarova@ksu.tj",
            full_name_latin="NAZAROVA MALIKA",
            full_name_native="Назарова Малика",
            roles=["examiner", "coordinator"],
        ),
        "student": UserFactory(
            email="rahimov@student.ksu.tj",
            full_name_latin="RAHIMOV ALISHER",
            full_name_native="Раҳимов Алишер",
            faculty=physics,
        ),
        "gone": UserFactory(
            email="old_user@student.ksu.tj",
            full_name_latin="SAIDOV ROSTAM",
            full_name_native="Саидов Рустам",
            active=False,
        ),
    }


def search(client, **params):
    return listed_emails(client.get("/admin/users", query_string=params))


def test_list_shows_everyone_with_roles_and_status(client, login_as, people):
    login_as(people["admin"])
    response = client.get("/admin/users")
    assert listed_emails(response) == {user.email for user in people.values()}
    page = text_of(response)
    assert "5 users found" in page
    assert "Faculty of Physics and Engineering" in page
    assert "Deactivated" in page


SEARCHES = [
    ("karimov", {"karimov@ksu.tj"}),  # Latin name, other case
    ("Malika", {"nazarova@ksu.tj"}),
    ("STUDENT.KSU", {"rahimov@student.ksu.tj", "old_user@student.ksu.tj"}),  # e-mail, other case
    ("ksu.tj", {"karimov@ksu.tj", "nazarova@ksu.tj", "rahimov@student.ksu.tj", "old_user@student.ksu.tj"}),
    ("  rahimov  ", {"rahimov@student.ksu.tj"}),  # spaces around
    ("Раҳимов", {"rahimov@student.ksu.tj"}),  # native name as written
    ("раҳимов", {"rahimov@student.ksu.tj"}),  # native name in lower case
    ("КАРИМОВ", {"karimov@ksu.tj"}),  # native name in capitals
    ("nobody", set()),
    ("%", set()),  # not a wildcard
    ("_", {"old_user@student.ksu.tj"}),  # not a wildcard either
]


def test_search_by_name_or_email(client, login_as, people):
    login_as(people["admin"])
    wrong = {query: found for query, expected in SEARCHES if (found := search(client, q=query)) != expected}
    assert wrong == {}


def test_filter_by_role_and_status(client, login_as, people):
    login_as(people["admin"])
    assert search(client, role="coordinator") == {"karimov@ksu.tj", "nazarova@ksu.tj"}
    assert search(client, role="examiner") == {"nazarova@ksu.tj"}
    assert search(client, role="admin") == {"root@example.org"}
    assert search(client, role="head") == set()
    assert search(client, status="inactive") == {"old_user@student.ksu.tj"}
    assert search(client, status="active") == {user.email for key, user in people.items() if key != "gone"}
    assert search(client, role="coordinator", q="nazarova") == {"nazarova@ksu.tj"}
    assert search(client, status="active", q="student.ksu") == {"rahimov@student.ksu.tj"}


def test_search_form_keeps_the_query(client, login_as, people):
    login_as(people["admin"])
    page = client.get("/admin/users", query_string={"q": "rahimov", "role": "examiner", "status": "active"})
    body = page.get_data(as_text=True)
    assert 'value="rahimov"' in body
    assert re.search(r'<option[^>]*selected[^>]*value="examiner"|<option[^>]*value="examiner"[^>]*selected', body)


def test_list_is_paged(client, login_as):
    admin = UserFactory(roles=["admin"], full_name_latin="AAA ADMIN")
    for _ in range(55):
        UserFactory()
    login_as(admin)
    first = client.get("/admin/users")
    assert "56 users found" in text_of(first)
    assert len(listed_emails(first)) == 50
    second = client.get("/admin/users", query_string={"page": 2})
    assert len(listed_emails(second)) == 6
    assert not listed_emails(first) & listed_emails(second)


# --- roles and faculties --------------------------------------------------------------------


def test_setting_roles_and_coordinated_faculties_persists(client, login_as, target):
    admin = UserFactory(roles=["admin"])
    german, oriental, history = (
        FacultyFactory(name=name)
        for name in ("Faculty of Germanic Languages", "Faculty of Oriental Languages", "Faculty of History and Law")
    )
    login_as(admin)

    response = client.post_form(
        f"/admin/users/{target.id}",
        {
            "roles": ["coordinator", "examiner"],
            "coordinated_faculties": [str(german.id), str(history.id)],
        },
    )

    assert response.status_code == 302
    assert roles_of(target.id) == {"coordinator", "examiner"}
    db.session.refresh(target)
    assert target.coordinated_faculty_ids == {german.id, history.id}
    page = client.get(f"/admin/users/{target.id}")
    assert "Roles of TARGET PERSON saved." in text_of(page)
    body = page.get_data(as_text=True)
    checked = set(re.findall(r'<input[^>]*checked[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*checked', body))
    checked = {first or second for first, second in checked}
    assert checked == {"coordinator", "examiner", str(german.id), str(history.id)}

    # Taking roles and faculties away persists too.
    response = client.post_form(
        f"/admin/users/{target.id}", {"roles": ["examiner"], "coordinated_faculties": [str(oriental.id)]}
    )
    assert response.status_code == 302
    assert roles_of(target.id) == {"examiner"}
    db.session.refresh(target)
    assert target.coordinated_faculty_ids == {oriental.id}

    response = client.post_form(f"/admin/users/{target.id}", {})
    assert response.status_code == 302
    assert roles_of(target.id) == set()
    db.session.refresh(target)
    assert target.coordinated_faculty_ids == set()


def test_new_roles_take_effect_in_the_users_open_session(app, client, login_as, target):
    target_browser = app.test_client()
    with target_browser.session_transaction() as session:
        session["_user_id"] = login_token(target)
    assert target_browser.get("/admin/users").status_code == 403
    login_as(UserFactory(roles=["admin"]))

    client.post_form(f"/admin/users/{target.id}", {"roles": ["admin"]})

    assert target_browser.get("/admin/users").status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {"roles": ["wizard"]},
        {"roles": ["coordinator"], "coordinated_faculties": ["999999"]},
        {"roles": ["coordinator"], "coordinated_faculties": ["not-a-number"]},
    ],
)
def test_unknown_roles_or_faculties_are_refused(client, login_as, target, data):
    login_as(UserFactory(roles=["admin"]))
    response = client.post_form(f"/admin/users/{target.id}", data)
    assert response.status_code == 400
    assert roles_of(target.id) == set()
    db.session.refresh(target)
    assert target.coordinated_faculty_ids == set()


def test_admin_cannot_remove_their_own_admin_role(client, login_as):
    admin = UserFactory(roles=["admin", "head"])
    login_as(admin)

    response = client.post_form(f"/admin/users/{admin.id}", {"roles": ["head", "coordinator"]})

    assert response.status_code == 400
    assert "You cannot take the administrator role from yourself." in text_of(response)
    assert roles_of(admin.id) == {"admin", "head"}
    assert client.get("/admin/users").status_code == 200

    # Keeping admin while changing the rest is fine.
    response = client.post_form(f"/admin/users/{admin.id}", {"roles": ["admin", "examiner"]})
    assert response.status_code == 302
    assert roles_of(admin.id) == {"admin", "examiner"}


def test_admin_may_remove_another_admins_role(client, login_as):
    other = UserFactory(roles=["admin"])
    login_as(UserFactory(roles=["admin"]))
    assert client.post_form(f"/admin/users/{other.id}", {"roles": []}).status_code == 302
    assert roles_of(other.id) == set()


# --- CSRF on the admin forms ----------------------------------------------------------------


def test_role_form_without_csrf_token_is_refused(client, login_as, target):
    login_as(UserFactory(roles=["admin"]))
    response = client.post(f"/admin/users/{target.id}", data={"roles": ["admin"]})
    assert response.status_code == 400
    assert "The form has expired" in text_of(response)
    assert roles_of(target.id) == set()


def test_active_form_without_csrf_token_is_refused(app, client, login_as, target):
    login_as(UserFactory(roles=["admin"]))
    target_browser = app.test_client()
    with target_browser.session_transaction() as session:
        session["_user_id"] = login_token(target)
    response = client.post(f"/admin/users/{target.id}/active", data={"active": "0"})
    assert response.status_code == 400
    db.session.refresh(target)
    assert target.active is True
    assert target_browser.get("/applications/").status_code == 200


def test_user_page_forms_carry_csrf_tokens(client, login_as, target):
    login_as(UserFactory(roles=["admin"]))
    body = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    forms = re.findall(r'<form[^>]*method="post"[^>]*>.*?</form>', body, re.S)
    assert len(forms) >= 3  # locale, logout, roles, active
    for form in forms:
        assert 'name="csrf_token"' in form
