"""The `flask` commands: seed-demo and create-user."""

import re

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from irflow import seed_data
from irflow.extensions import db
from irflow.models import Call, Faculty, GrantRules, Partner, Program, User
from irflow.models.base import utcnow

from .fixtures.factories import FacultyFactory, UserFactory

GOOD_PASSWORD = "snow on the Mogoltau ridge"


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        result = runner.invoke(args=list(args), input=input)
        db.session.expire_all()  # read what the command committed
        return result

    return invoke


@pytest.fixture
def dev_cli(app, cli):
    """The commands as on a developer's machine (IRFLOW_ENV=development)."""
    app.config["DEVELOPMENT"] = True
    yield cli
    app.config["DEVELOPMENT"] = False


def row_counts():
    with db.engine.connect() as connection:
        return {
            table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


# --- seed-demo ------------------------------------------------------------------------------


def test_seed_demo_creates_the_demo_data(dev_cli, client):
    result = dev_cli("seed-demo")

    assert result.exit_code == 0, result.output
    assert "Seeded demo data" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Faculty.id))) == len(seed_data.FACULTIES)
    assert db.session.scalar(sa.select(sa.func.count(Program.id))) == len(seed_data.PROGRAMS)
    assert db.session.scalar(sa.select(sa.func.count(Partner.id))) == len(seed_data.PARTNERS)
    osh = db.session.scalar(sa.select(Partner).where(Partner.name == "Osh State University"))
    assert (osh.country, osh.city, osh.kind) == ("KG", "Osh", "university")

    calls = db.session.scalars(sa.select(Call)).all()
    assert len(calls) == 2
    now = utcnow()
    for call in calls:
        assert call.is_open(now)
        assert call.places and all(place.places > 0 for place in call.places)
        assert call.test_criteria
        assert call.examiners
    hosts = {place.partner.name for call in calls for place in call.places}
    assert "Osh State University" in hosts

    users = {user.email: user for user in db.session.scalars(sa.select(User))}
    roles = {email: user.roles for email, user in users.items()}
    assert roles == {
        "admin@irflow.example": {"admin"},
        "head@irflow.example": {"head"},
        "coordinator@irflow.example": {"coordinator"},
        "examiner@irflow.example": {"examiner"},
        "student@irflow.example": set(),
    }
    assert users["coordinator@irflow.example"].coordinated_faculties
    assert all(user.active and user.password_hash.startswith("$argon2id$") for user in users.values())

    # The calls are on the home page.
    page = client.get("/").get_data(as_text=True)
    for call in calls:
        assert call.title in page


def test_seed_demo_gives_each_call_grant_rules_with_every_host_country_in_a_group(dev_cli):
    assert dev_cli("seed-demo").exit_code == 0
    calls = db.session.scalars(sa.select(Call)).all()
    for call in calls:
        rules = db.session.scalar(sa.select(GrantRules).where(GrantRules.call_id == call.id))
        assert rules is not None, call.title
        assert {place.partner.country for place in call.places} == {row.country for row in rules.country_groups}
        assert [row.band for row in rules.travel_bands] == [1, 2, 3, 4, 5, 6, 7]
        assert all(row.green_amount >= row.amount > 0 for row in rules.travel_bands)
        assert rules.student_month_group1 == 700 and rules.staff_day_group1 == 180
        assert rules.first_instalment_percent == 70
    dresden = db.session.scalar(sa.select(Partner).where(Partner.name == "Technische Universität Dresden"))
    erasmus = next(call for call in calls if dresden in [place.partner for place in call.places])
    assert db.session.scalar(sa.select(GrantRules).where(GrantRules.call_id == erasmus.id)).group_of("DE") == 2


def test_seed_demo_gives_grant_rules_to_calls_seeded_before_them(dev_cli):
    assert dev_cli("seed-demo").exit_code == 0
    db.session.execute(sa.delete(GrantRules))
    db.session.commit()
    result = dev_cli("seed-demo")
    assert result.exit_code == 0 and "Seeded demo data" in result.output
    assert db.session.scalar(sa.select(sa.func.count(GrantRules.id))) == 2


def test_seed_demo_twice_creates_nothing_the_second_time(dev_cli):
    assert dev_cli("seed-demo").exit_code == 0
    first = row_counts()
    assert first["users"] == len(seed_data.DEMO_USERS)

    result = dev_cli("seed-demo")

    assert result.exit_code == 0, result.output
    assert "nothing created" in result.output
    assert row_counts() == first


def test_seed_demo_if_empty_leaves_a_database_with_users_alone(cli):
    UserFactory(email="real.person@ksu.tj")
    before = row_counts()

    result = cli("seed-demo", "--if-empty")

    assert result.exit_code == 0, result.output
    assert "nothing seeded" in result.output
    assert row_counts() == before
    assert db.session.scalar(sa.select(User).where(User.email == "admin@irflow.example")) is None


def test_seed_demo_if_empty_seeds_an_empty_database(dev_cli):
    result = dev_cli("seed-demo", "--if-empty")
    assert result.exit_code == 0, result.output
    assert row_counts()["users"] == len(seed_data.DEMO_USERS)


def test_seed_demo_does_not_print_passwords_outside_development(cli, app):
    assert not app.config.get("DEVELOPMENT")
    result = cli("seed-demo")
    assert "demo-" not in result.output
    assert "Demo logins" not in result.output


def test_seed_demo_creates_no_accounts_outside_development(cli, app):
    assert not app.config.get("DEVELOPMENT")

    result = cli("seed-demo")

    assert result.exit_code == 0, result.output
    assert "No demo accounts outside development" in result.output
    assert "flask --app wsgi create-user" in result.output
    assert row_counts()["users"] == 0
    # The rest of the demo data is there; a second run adds nothing.
    assert len(db.session.scalars(sa.select(Call)).all()) == 2
    first = row_counts()
    assert "nothing created" in cli("seed-demo").output
    assert row_counts() == first


def test_seed_demo_outside_development_warns_of_active_demo_accounts(cli):
    UserFactory(email="admin@irflow.example", roles=["admin"])
    UserFactory(email="student@irflow.example", active=False)

    result = cli("seed-demo")

    assert result.exit_code == 0, result.output
    assert "demo accounts are active: admin@irflow.example." in result.output
    assert "student@irflow.example" not in result.output
    assert row_counts()["users"] == 2


def test_seed_demo_keeps_an_existing_faculty(cli):
    FacultyFactory(code="GERM", name="Faculty of Germanic Languages")
    assert cli("seed-demo").exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count(Faculty.id)).where(Faculty.code == "GERM")) == 1


# --- create-user ----------------------------------------------------------------------------


def create_user(cli, email, *options, passwords=(GOOD_PASSWORD,)):
    typed = "".join(f"{password}\n{password}\n" for password in passwords)
    return cli("create-user", email, *options, input=typed)


def test_create_user_with_a_role(cli):
    result = create_user(
        cli, "Karimov@KSU.tj", "--role", "coordinator", "--name", "Каримов Фаррух", "--latin-name", "KARIMOV FARRUKH"
    )

    assert result.exit_code == 0, result.output
    assert "Created karimov@ksu.tj" in result.output
    assert GOOD_PASSWORD not in result.output
    user = db.session.scalar(sa.select(User).where(User.email == "karimov@ksu.tj"))
    assert user.roles == {"coordinator"}
    assert (user.full_name_native, user.full_name_latin, user.category) == (
        "Каримов Фаррух",
        "KARIMOV FARRUKH",
        "staff",
    )
    assert user.active
    assert user.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(user.password_hash, GOOD_PASSWORD)


def test_created_user_can_log_in(cli, client):
    create_user(
        cli,
        "head@ksu.tj",
        "--role",
        "head",
        "--role",
        "admin",
        "--name",
        "Саидова Гулноза",
        "--latin-name",
        "SAIDOVA GULNOZA",
    )
    response = client.post_form(
        "/auth/login", {"email": "head@ksu.tj", "password": GOOD_PASSWORD}, token_from="/auth/login"
    )
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_create_user_with_faculty_and_category(cli):
    faculty = FacultyFactory(code="GERM")
    result = create_user(
        cli,
        "teacher@ksu.tj",
        "--name",
        "Назарова Малика",
        "--latin-name",
        "NAZAROVA MALIKA",
        "--category",
        "teacher",
        "--faculty",
        "GERM",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "teacher@ksu.tj"))
    assert (user.category, user.faculty_id, user.roles) == ("teacher", faculty.id, set())


def test_create_user_asks_for_the_names_when_not_given(cli):
    result = cli(
        "create-user", "staff@ksu.tj", input=f"Раҳимов Алишер\nRAHIMOV ALISHER\n{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "staff@ksu.tj"))
    assert (user.full_name_native, user.full_name_latin) == ("Раҳимов Алишер", "RAHIMOV ALISHER")


def test_create_user_asks_again_for_a_weak_password(cli):
    result = create_user(
        cli,
        "examiner@ksu.tj",
        "--role",
        "examiner",
        "--name",
        "Н",
        "--latin-name",
        "N",
        passwords=("short", "password123", GOOD_PASSWORD),
    )

    assert result.exit_code == 0, result.output
    assert "Use at least 10 characters." in result.output
    assert "This password is too common; choose another." in result.output
    assert result.output.count("Password:") == 3
    user = db.session.scalar(sa.select(User).where(User.email == "examiner@ksu.tj"))
    assert PasswordHasher().verify(user.password_hash, GOOD_PASSWORD)


def test_create_user_asks_again_when_the_passwords_differ(cli):
    result = cli(
        "create-user",
        "examiner@ksu.tj",
        "--name",
        "Н",
        "--latin-name",
        "N",
        input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}x\n{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert db.session.scalar(sa.select(User).where(User.email == "examiner@ksu.tj")) is not None


@pytest.mark.parametrize("typed", ["taken@ksu.tj", "  TAKEN@ksu.TJ "])
def test_create_user_refuses_a_taken_email(cli, typed):
    UserFactory(email="taken@ksu.tj", full_name_latin="FIRST OWNER")
    before = row_counts()

    result = create_user(cli, typed, "--role", "admin", "--name", "Х", "--latin-name", "X")

    assert result.exit_code != 0
    assert "An account with the e-mail taken@ksu.tj already exists." in result.output
    assert row_counts() == before
    owner = db.session.scalar(sa.select(User).where(User.email == "taken@ksu.tj"))
    assert owner.roles == set()


def test_create_user_refuses_an_unknown_faculty(cli):
    result = create_user(cli, "someone@ksu.tj", "--name", "Х", "--latin-name", "X", "--faculty", "NOPE")
    assert result.exit_code != 0
    assert "No faculty with the code NOPE." in result.output
    assert row_counts()["users"] == 0


def test_create_user_refuses_an_unknown_role(cli):
    result = create_user(cli, "someone@ksu.tj", "--role", "wizard", "--name", "Х", "--latin-name", "X")
    assert result.exit_code != 0
    assert row_counts()["users"] == 0


@pytest.mark.parametrize("email", ["not-an-email", "someone@", "@ksu.tj"])
def test_create_user_refuses_an_invalid_email(cli, email):
    result = create_user(cli, email, "--name", "Х", "--latin-name", "X")
    assert result.exit_code != 0
    assert "not a valid e-mail address" in result.output
    assert row_counts()["users"] == 0


def test_seed_demo_gives_the_partners_their_city_s_coordinates(cli):
    berlin = Partner(name="Humboldt University of Berlin", country="DE", city="Berlin", kind="university")
    db.session.add(berlin)
    db.session.commit()  # seeded before coordinates existed

    assert cli("seed-demo").exit_code == 0

    assert (berlin.latitude, berlin.longitude) == seed_data.CITY_COORDINATES["Berlin"]
    partners = db.session.scalars(sa.select(Partner).where(Partner.name.in_(p[0] for p in seed_data.PARTNERS)))
    assert all(partner.latitude is not None and partner.longitude is not None for partner in partners)


def test_seed_demo_gives_the_partners_distinct_erasmus_organisation_ids(cli):
    kept = Partner(name="Osh State University", country="KG", city="Osh", kind="university", oid="E99999999")
    db.session.add(kept)
    db.session.commit()

    assert cli("seed-demo").exit_code == 0

    partners = db.session.scalars(sa.select(Partner).where(Partner.name.in_(p[0] for p in seed_data.PARTNERS))).all()
    oids = [partner.oid for partner in partners]
    assert len(set(oids)) == len(seed_data.PARTNERS) and kept.oid == "E99999999"
    assert all(re.fullmatch(r"E[0-9]{8}", oid) for oid in oids)
