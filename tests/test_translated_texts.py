"""Texts in three languages: the head writes them side by side, readers get their own
language (else the first one written), the migration keeps the texts written before, and
countries are named in the reader's language."""

import io
import os
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import make_url
from sqlalchemy.exc import IntegrityError

from irflow import seed_data
from irflow.extensions import db
from irflow.models import Call, Criterion, Faculty, Notification, Partner, Program

from .fixtures.factories import CallFactory, FacultyFactory, PartnerFactory, UserFactory, application_in
from .fixtures.manage import head_client, manage_world, text_of
from .fixtures.web import post

TAJIK_LETTERS = re.compile(r"[ӣӯҳҷқғ]")
BEFORE = "24494215cdb2"  # the revision before the texts had a column per language


@pytest.fixture
def head(app):
    return head_client(app)


def new_call_form(world, **texts):
    partner = world["partners"][0]
    data = {
        "program": str(world["program"].id),
        "mobility_type": "study",
        "academic_year": "2030/2031",
        "opens_at": "2020-09-01T09:00",
        "closes_at": "2040-10-01T18:00",
        "min_months": "3",
        "max_months": "5",
        "minimum_total_score": "60",
        "grade_scale": "5",
        "offer_reply_days": "6",
        "changes_reply_days": "4",
        "eligible_categories": ["bachelor"],
        "places-0-partner": str(partner.id),
        "places-0-places": "2",
        "places-0-months": "5",
        "criteria-0-name_en": "Interview",
        "criteria-0-name_ru": "Собеседование",
        "criteria-0-name_tg": "Мусоҳиба",
        "criteria-0-source": "test",
        "criteria-0-weight": "1",
    }
    data.update(texts)
    return data


def created_call(head, world, **texts):
    response = post(head, "/manage/calls/new", new_call_form(world, **texts))
    assert response.status_code == 302, text_of(response)
    call = db.session.scalar(sa.select(Call).order_by(Call.id.desc()))
    call.published = True
    db.session.commit()
    return call


def page_in(app, path, language):
    return text_of(app.test_client().get(path, headers={"Accept-Language": language}))


def test_a_call_written_in_three_languages_is_read_in_the_readers_own(app, head):
    call = created_call(
        head,
        manage_world(),
        title_en="Semester in Dresden",
        title_ru="Семестр в Дрездене",
        title_tg="Семестр дар Дрезден",
        description_en="One semester of study.",
        description_ru="Один семестр учёбы.",
        description_tg="Як семестри таҳсил.",
        test_place_en="Room 210",
        test_place_ru="Аудитория 210",
        test_place_tg="Ҳуҷраи 210",
    )
    expected = {
        "tg": ("Семестр дар Дрезден", "Як семестри таҳсил.", "Ҳуҷраи 210", "Мусоҳиба"),
        "ru": ("Семестр в Дрездене", "Один семестр учёбы.", "Аудитория 210", "Собеседование"),
        "en": ("Semester in Dresden", "One semester of study.", "Room 210", "Interview"),
    }
    for language, texts in expected.items():
        page = page_in(app, f"/calls/{call.id}", language)
        for text in texts:
            assert text in page, (language, text)
        others = {text for other, other_texts in expected.items() if other != language for text in other_texts}
        assert not {text for text in others if text in page}, language
        assert texts[0] in page_in(app, "/calls/", language)


def test_a_text_missing_in_the_readers_language_falls_back_to_one_written(app, head):
    call = created_call(head, manage_world(), title_ru="Только по-русски", description_tg="Танҳо тоҷикӣ")

    for language in ("en", "tg", "ru"):
        page = page_in(app, f"/calls/{call.id}", language)
        assert "Только по-русски" in page and "Танҳо тоҷикӣ" in page
    assert (call.title_en, call.title_tg) == (None, None)  # nothing copied: the fallback is read, not stored


def test_the_head_edits_the_three_languages_side_by_side(head):
    world = manage_world()
    call = world["call"]
    call.title_ru, call.title_tg = "Конкурс", "Озмун"
    db.session.commit()

    page = text_of(head.get(f"/manage/calls/{call.id}/edit"))

    for language, value in (("en", call.title_en), ("ru", "Конкурс"), ("tg", "Озмун")):
        field = re.search(rf'<input[^>]*name="title_{language}"[^>]*>', page).group(0)
        assert f'value="{value}"' in field and f'lang="{language}"' in field
        assert re.search(rf'<label[^>]*for="title_{language}"', page)
    for language in ("en", "ru", "tg"):
        assert f'name="criteria-0-name_{language}"' in page and f'name="test_place_{language}"' in page
    assert "English" in page and "Русский" in page and "Тоҷикӣ" in page


@pytest.mark.parametrize(
    ("fields", "message", "field_name"),
    [
        ({"title_en": " ", "title_ru": "", "title_tg": ""}, "Enter the title.", "title_en"),
        (
            {"criteria-0-name_en": "", "criteria-0-name_ru": "", "criteria-0-name_tg": ""},
            "Enter the name of the criterion.",
            "criteria-0-name_en",
        ),
    ],
)
def test_a_text_empty_in_every_language_is_refused_next_to_its_fields(head, fields, message, field_name):
    world = manage_world()
    before = db.session.scalar(sa.select(sa.func.count(Call.id)))

    response = post(head, "/manage/calls/new", new_call_form(world, **{"title_en": "Kept", **fields}))

    assert response.status_code == 400
    page = text_of(response)
    field = re.search(rf'<input[^>]*name="{re.escape(field_name)}"[^>]*>', page).group(0)
    assert "is-invalid" in field and 'aria-invalid="true"' in field
    assert re.search(
        rf'<div class="invalid-feedback" id="{re.escape(field_name)}-error">{re.escape(message)}</div>', page
    )
    assert db.session.scalar(sa.select(sa.func.count(Call.id))) == before


def test_the_database_wants_a_required_text_in_one_language_at_least():
    for row in (Faculty(code="NONE"), Faculty(code="EMPTY", name_en="", name_ru="", name_tg="")):
        db.session.add(row)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_a_name_is_unique_in_each_language_on_its_own():
    FacultyFactory(name_en=None, name_ru="Физико-технический факультет")
    FacultyFactory(name_en=None, name_tg="Физико-технический факультет")  # the same text in another language
    db.session.add(Faculty(code="TWICE", name_ru="Физико-технический факультет"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_program_and_partner_descriptions_are_written_and_read_in_each_language(app, head):
    world = manage_world()
    partner = world["partners"][1]
    response = post(
        head,
        f"/manage/partners/{partner.id}",
        {
            "name": partner.name,
            "country": "KG",
            "kind": "university",
            "description_en": "A neighbouring university.",
            "description_tg": "Донишгоҳи ҳамсоя.",
        },
    )
    assert response.status_code == 302, text_of(response)
    db.session.refresh(partner)
    assert (partner.description_en, partner.description_ru, partner.description_tg) == (
        "A neighbouring university.",
        None,
        "Донишгоҳи ҳамсоя.",
    )
    assert "Донишгоҳи ҳамсоя." in page_in(app, "/partners", "tg")
    assert "A neighbouring university." in page_in(app, "/partners", "ru")  # no Russian: English

    program = world["program"]
    program.published = True
    program.description_ru, program.description_tg = "Программа обменов.", "Барномаи мубодила."
    db.session.commit()
    assert "Барномаи мубодила." in page_in(app, "/programs", "tg")
    assert "Программа обменов." in page_in(app, "/programs", "ru")


def test_lists_sort_by_the_text_in_the_readers_language():
    FacultyFactory(name_en="Alpha", name_ru="Бета", name_tg="Ҷ")
    FacultyFactory(name_en="Beta", name_ru="Альфа", name_tg=None)

    for language, expected in (("en", ["Alpha", "Beta"]), ("ru", ["Альфа", "Бета"]), ("tg", ["Beta", "Ҷ"])):
        with force_locale(language):  # the query is built in the reader's language, as in a request
            assert db.session.scalars(sa.select(Faculty.name).order_by(Faculty.name)).all() == expected, language


def test_seed_demo_writes_every_text_in_three_languages(app):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    db.session.expire_all()

    rows = (
        [(faculty, "name") for faculty in db.session.scalars(sa.select(Faculty))]
        + [
            (call, field)
            for call in db.session.scalars(sa.select(Call))
            for field in ("title", "description", "test_place")
        ]
        + [(criterion, "name") for criterion in db.session.scalars(sa.select(Criterion))]
        + [(program, "description") for program in db.session.scalars(sa.select(Program))]
        + [
            (partner, "description")
            for partner in db.session.scalars(
                sa.select(Partner).where(Partner.name.in_(seed_data.PARTNER_DESCRIPTIONS))
            )
        ]
    )
    assert len(rows) > len(seed_data.FACULTIES) + len(seed_data.PROGRAMS)
    for row, field in rows:
        english, russian, tajik = (getattr(row, f"{field}_{language}") for language in ("en", "ru", "tg"))
        assert english and russian and tajik, (row, field)
        assert re.search("[а-яё]", russian, re.IGNORECASE) and len({english, russian, tajik}) == 3, (row, field)
    tajik = [getattr(row, f"{field}_tg") for row, field in rows]
    assert len([text for text in tajik if TAJIK_LETTERS.search(text)]) > len(tajik) * 2 / 3


# --- country names -----------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "name"), [("tg", "Қирғизистон"), ("ru", "Киргизия"), ("en", "Kyrgyzstan")])
def test_country_names_are_in_the_readers_language(app, language, name):
    call = CallFactory(places=(1,))
    call.places[0].partner.country = "KG"
    PartnerFactory(name="Osh State University", country="KG")
    db.session.commit()

    for path in ("/", f"/calls/{call.id}", "/partners"):
        page = page_in(app, path, language)
        assert name in page, path
        assert "(KG)" not in page and ">KG<" not in page, path


def test_a_country_the_readers_language_has_no_name_for_is_named_in_russian(app, monkeypatch):
    from irflow import countries

    real = countries._territories
    monkeypatch.setattr(countries, "_territories", lambda language: {} if language == "tg" else real(language))
    with force_locale("tg"):
        assert countries.country_name("KG") == "Киргизия"
        assert countries.country_name("QQ") == "QQ"  # no name anywhere: the code


# --- the migration ------------------------------------------------------------------------------


@pytest.fixture
def old_database(app, create_own_app, tmp_path):
    """An app on a database of its own, migrated up to the revision before this change."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        server = make_url(url).set(drivername="postgresql+psycopg")
        name = f"{server.database}_texts"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        uri = server.set(database=name).render_as_string(hide_password=False)
    else:
        uri = f"sqlite:///{tmp_path / 'before.sqlite3'}"
    settings = dict(app.config)
    settings.update(SQLALCHEMY_DATABASE_URI=uri)
    own = create_own_app(settings)
    with own.app_context():
        upgrade(revision=BEFORE)
    yield own
    with own.app_context():
        db.engine.dispose()
    if url:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_migration_keeps_the_texts_written_before_as_english(old_database):
    with old_database.app_context():
        with db.engine.begin() as connection:
            run = lambda statement, **values: connection.execute(sa.text(statement), values)  # noqa: E731
            run("INSERT INTO faculties (id, name, code) VALUES (1, 'Faculty of History', 'HIST')")
            run(
                "INSERT INTO users (id, email, password_hash, full_name_native, full_name_latin, category, "
                "faculty_id, locale, timezone, active, created_at) VALUES (1, 'c@example.org', 'x', 'Корбар', "
                "'USER', 'staff', 1, 'en', 'Asia/Dushanbe', :yes, :now)",
                yes=True,
                now="2026-01-01 00:00:00",
            )
            run("INSERT INTO coordinator_faculties (user_id, faculty_id) VALUES (1, 1)")
            run(
                "INSERT INTO programs (id, name, kind, description, published, created_at) "
                "VALUES (1, 'DAAD', 'daad', 'Scholarships', :yes, :now)",
                yes=True,
                now="2026-01-01 00:00:00",
            )
            run(
                "INSERT INTO partners (id, name, country, kind, created_at) "
                "VALUES (1, 'Osh State University', 'KG', 'university', :now)",
                now="2026-01-01 00:00:00",
            )
            run(
                "INSERT INTO calls (id, program_id, title, description, mobility_type, eligible_categories, "
                "required_document_kinds, academic_year, opens_at, closes_at, test_place, min_months, max_months, "
                "minimum_total_score, grade_scale, offer_reply_days, changes_reply_days, published, created_at) "
                "VALUES (1, 1, 'Old call', '', 'study', '[]', '[]', '2026/2027', :opens, :closes, 'Room 5', 1, 2, "
                "0, 5, 7, 7, :yes, :opens)",
                opens="2026-01-01 00:00:00",
                closes="2026-02-01 00:00:00",
                yes=True,
            )
            run("INSERT INTO call_places (id, call_id, partner_id, places, months) VALUES (1, 1, 1, 2, 5)")
            run(
                "INSERT INTO criteria (id, call_id, name, source, weight, position) "
                "VALUES (1, 1, 'Interview', 'test', 1, 0)"
            )

        upgrade()

        with db.engine.connect() as connection:
            one = lambda statement: connection.execute(sa.text(statement)).one()  # noqa: E731
            assert one("SELECT title_en, title_ru, title_tg, description_en, test_place_en FROM calls") == (
                "Old call",
                None,
                None,
                None,  # an empty text is no text
                "Room 5",
            )
            assert one("SELECT name_en, name_ru, name_tg, code FROM faculties") == (
                "Faculty of History",
                None,
                None,
                "HIST",
            )
            assert one("SELECT name_en FROM criteria") == ("Interview",)
            assert one("SELECT description_en FROM programs") == ("Scholarships",)
            assert one("SELECT description_en, description_ru, description_tg FROM partners") == (None, None, None)
            # The rows that refer to the rebuilt tables are all still there.
            assert one("SELECT count(*) FROM call_places") == (1,)
            assert one("SELECT count(*) FROM coordinator_faculties") == (1,)
            assert one("SELECT count(*) FROM users") == (1,)
            if connection.dialect.name == "sqlite":
                assert one("PRAGMA foreign_keys") == (1,)


# --- scores imported with criteria named in another language -----------------------------------


def test_a_score_file_may_name_the_criteria_in_any_of_their_languages(client, login_as, scoring_world):
    language, interview = scoring_world["language"], scoring_world["interview"]
    language.name_tg, interview.name_ru = "Санҷиши забон", "Собеседование"
    db.session.commit()
    login_as(scoring_world["examiner"])  # reads English
    call, karimov = scoring_world["call"], scoring_world["rows"]["karimov"]
    url = f"/calls/{call.id}/scores/import"

    def preview(header):
        content = f"application,{header}\n{karimov.id},70,80\n".encode()
        return text_of(
            client.post(
                url,
                data={"csrf_token": client.csrf_token(url), "step": "preview", "file": (io.BytesIO(content), "s.csv")},
                content_type="multipart/form-data",
            )
        )

    assert 'data-plan="record"' in preview("Санҷиши забон,Собеседование")
    assert "appears twice" in preview("Санҷиши забон,Language test")


def test_a_mail_names_the_call_in_the_recipients_language(client, login_as):
    call = CallFactory(title_en="Spring semester in Dresden", title_tg="Семестри баҳорӣ дар Дрезден")
    application = application_in("submitted", call=call, applicant=UserFactory(locale="tg"))
    login_as(UserFactory(coordinates=[application.faculty], locale="ru"))  # acts in Russian

    response = client.post_form(
        f"/applications/{application.id}/fire/request_changes",
        {"comment": "Паспортро дубора бор кунед.", "version": application.version},
    )

    assert response.status_code == 302
    notice = db.session.scalar(sa.select(Notification).where(Notification.recipient_id == application.applicant_id))
    assert "Семестри баҳорӣ дар Дрезден" in notice.body and "Spring semester" not in notice.body
