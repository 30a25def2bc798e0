"""Russian and Tajik: the catalogues, how the language is chosen, dates and times, the
exports' headers and the e-mails. The pages themselves are in test_i18n_pages.py.

The catalogue tests extract the messages from the sources as `make translations` does
(and from templates/_macros and templates/_partials too, which pybabel skips by default),
so a string added to the code without a translation fails here, not in front of a user.
Until the catalogues are complete these tests fail, listing what is missing.
"""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta, timezone
from fnmatch import fnmatch
from pathlib import Path

import openpyxl
import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from flask_babel import force_locale

from irflow.extensions import db
from irflow.i18n import file_size
from irflow.models import Notification
from irflow.models.base import utcnow
from irflow.returns.cli import send_reminders
from irflow.services.mail import queue_for_user
from irflow.services.spreadsheets import BOM, SELECTED_PARTICIPANT_COLUMNS, headers
from irflow.workflow.states import STATE_LABELS

from .fixtures.auth import login
from .fixtures.factories import (
    PASSWORD,
    ApplicationFactory,
    CallFactory,
    FacultyFactory,
    UserFactory,
    application_in,
    one_commit,
)

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "irflow" / "translations"
LANGUAGES = ("ru", "tg")
# The same keywords as `make translations` (Makefile: BABEL_EXTRACT).
EXTRACT_KEYWORDS = ("_l", "lazy_gettext")
# pybabel skips directories whose names start with "_" unless told otherwise, and so would
# miss templates/_macros and templates/_partials.
EXTRACT_IGNORE_DIRS = ".* __pycache__"
UNDERSCORE_TEMPLATE_DIRS = ("_macros", "_partials")
SHOWN = 25  # offending msgids listed in a failure message

# Letters Tajik has and Russian has not.
TAJIK_LETTERS = set("ғӣқӯҳҷҒӢҚӮҲҶ")
# Msgids a translation may repeat as they are: programs' and formats' own names.
SAME_IN_EVERY_LANGUAGE = {"CSV", "DAAD", "Erasmus Mundus", "Erasmus+", "TEMPUS", "XLSX", "PDF", "ECTS"}
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?([sdiouxXeEfFgGcr])")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
WORD = re.compile(r"[^\W\d_]{2,}")


# --- the catalogues ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages of the sources now, as `make translations` would extract them."""
    pot = tmp_path_factory.mktemp("extract") / "messages.pot"
    arguments = [
        "pybabel",
        "-q",
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "--ignore-dirs",
        EXTRACT_IGNORE_DIRS,
        "--no-location",
        "-o",
        str(pot),
    ]
    for keyword in EXTRACT_KEYWORDS:
        arguments += ["-k", keyword]
    CommandLineInterface().run(arguments + [str(ROOT)])
    with pot.open("rb") as pot_file:
        return read_po(pot_file)


def catalogue(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return read_po(po_file)


def msgids(message):
    return message.id if isinstance(message.id, tuple) else (message.id,)


def msgstrs(message):
    return message.string if isinstance(message.string, tuple) else (message.string,)


def label(message):
    text = msgids(message)[0]
    return f"{message.context}|{text}" if message.context else text


def listed(messages):
    shown = "\n  ".join(repr(label(message)) for message in messages[:SHOWN])
    more = f"\n  … and {len(messages) - SHOWN} more" if len(messages) > SHOWN else ""
    return f"{len(messages)} msgid(s):\n  {shown}{more}"


def placeholders(text):
    """The %-placeholders of `text`: names for %(name)s, conversions for bare %s/%d."""
    return sorted(name or f"%{conversion}" for name, conversion in PLACEHOLDER.findall(text.replace("%%", "")))


def test_extraction_finds_the_messages_of_code_and_templates(extracted):
    ids = {msgids(message)[0] for message in extracted if message.id}
    assert len(ids) > 500, "the extraction found almost nothing: is babel.cfg right?"
    assert {"Open calls", "International Relations Department", "Draft", "Full name (Latin)"} <= ids
    assert {"Menu", "Log out", "Your offer"} <= ids, "templates/_partials and _macros were not extracted"
    assert any(isinstance(message.id, tuple) for message in extracted), "no plural message extracted"


def test_make_translations_extracts_the_templates_in_underscore_folders():
    """`pybabel extract` ignores ".*" and "_*" directories by default: without --ignore-dirs,
    `make translations` never sees templates/_macros and templates/_partials."""
    makefile = (ROOT / "Makefile").read_text()
    command = re.search(r"^BABEL_EXTRACT\s*:?=((?:.*\\\n)*.*)$", makefile, re.MULTILINE)
    assert command, "no BABEL_EXTRACT in the Makefile"
    ignore = re.search(r"--ignore-dirs[= ](?:\"([^\"]*)\"|'([^']*)'|(\S+))", command.group(1))
    assert ignore, (
        f"`make translations` skips templates/{' and templates/'.join(UNDERSCORE_TEMPLATE_DIRS)}: "
        f"add --ignore-dirs '{EXTRACT_IGNORE_DIRS}' to BABEL_EXTRACT in the Makefile"
    )
    patterns = next(group for group in ignore.groups() if group is not None).split()
    skipped = [folder for folder in UNDERSCORE_TEMPLATE_DIRS if any(fnmatch(folder, pattern) for pattern in patterns)]
    assert not skipped, f"--ignore-dirs in the Makefile skips templates/{skipped}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_a_translation(extracted, language):
    translations = catalogue(language)
    missing, empty, fuzzy = [], [], []
    for message in extracted:
        if not message.id:
            continue
        translated = translations.get(message.id, message.context)
        if translated is None:
            missing.append(message)
            continue
        forms = msgstrs(translated)
        wanted = translations.num_plurals if isinstance(message.id, tuple) else 1
        if len(forms) < wanted or not all(form.strip() for form in forms):
            empty.append(message)
        if translated.fuzzy:
            fuzzy.append(message)
    problems = []
    if missing:
        problems.append(f"missing from {language}/messages.po (run `make translations`), {listed(missing)}")
    if empty:
        problems.append(f"untranslated in {language} (every plural form needs a text), {listed(empty)}")
    if fuzzy:
        problems.append(f"fuzzy in {language} (check, then remove the fuzzy flag), {listed(fuzzy)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language):
    wrong = []
    for message in catalogue(language):
        if not message.id:
            continue
        expected = placeholders(msgids(message)[-1])
        for form in msgstrs(message):
            if form and placeholders(form) != expected:
                wrong.append(f"{label(message)!r}: {form!r} has {placeholders(form)}, expected {expected}")
    assert not wrong, (
        f"{len(wrong)} translation(s) in {language} with other placeholders than the msgid:\n  "
        + "\n  ".join(wrong[:SHOWN])
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_are_not_the_english_text(language):
    same = [
        message
        for message in catalogue(language)
        if message.id
        and not message.fuzzy
        and any(form and form in msgids(message) for form in msgstrs(message))
        and msgids(message)[0] not in SAME_IN_EVERY_LANGUAGE
        and LATIN_WORD.search(PLACEHOLDER.sub("", msgids(message)[0]))
    ]
    assert not same, f"left in English in {language}: {listed(same)}"


@pytest.mark.parametrize(("language", "no"), [("ru", "Нет"), ("tg", "Не")])
def test_a_message_with_a_context_keeps_its_own_translation(language, no):
    """The answer "No" and the column of row numbers "No" (№) are two messages."""
    translations = {(message.context, message.id): message.string for message in catalogue(language)}
    assert translations[None, "No"] == no
    assert translations["column of row numbers", "No"] == "№"


def test_the_tajik_catalogue_is_written_in_tajik():
    translations = catalogue("tg")
    texts = [form for message in translations if message.id for form in msgstrs(message) if form]
    assert texts, "the Tajik catalogue has no translations"
    with_tajik_letters = [text for text in texts if TAJIK_LETTERS & set(text)]
    assert with_tajik_letters, "no translation uses ғ ӣ қ ӯ ҳ or ҷ: is this Russian rather than Tajik?"
    # Not the Russian catalogue copied: a sentence of several words reads differently in Tajik.
    russian = catalogue("ru")
    copied = [
        message
        for message in translations
        if message.id
        and message.string
        and len(WORD.findall(PLACEHOLDER.sub("", msgstrs(message)[0]))) >= 4
        and (ru := russian.get(message.id, message.context)) is not None
        and ru.string == message.string
    ]
    assert not copied, f"the Tajik text is the Russian one: {listed(copied)}"


# --- how the language is chosen --------------------------------------------------------------


def html_lang(response):
    match = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    assert match, "no <html lang>"
    return match.group(1)


def test_without_any_choice_the_default_language_is_english(client):
    response = client.get("/")
    assert html_lang(response) == "en"
    assert "Open calls" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("tg,ru;q=0.8", "tg"),
        ("ru-RU,ru;q=0.9,en;q=0.5", "ru"),
        ("en-GB,en;q=0.9,ru;q=0.5", "en"),
        ("de-DE,fr;q=0.7", "en"),  # none of ours: the default
    ],
)
def test_an_anonymous_visitor_gets_the_browser_language(client, header, expected):
    assert html_lang(client.get("/", headers={"Accept-Language": header})) == expected


def test_the_switcher_beats_the_browser_and_is_kept_across_requests(client):
    browser = {"Accept-Language": "tg,ru;q=0.8"}
    assert html_lang(client.get("/", headers=browser)) == "tg"

    client.post_form("/locale", {"locale": "ru", "next": "/calls/"}, headers=browser)

    for path in ("/", "/calls/", "/auth/login"):
        response = client.get(path, headers=browser)
        assert html_lang(response) == "ru", path
    assert "Войти" in client.get("/auth/login", headers=browser).get_data(as_text=True)


def test_an_unknown_language_from_the_switcher_is_ignored(client):
    client.post_form("/locale", {"locale": "de"})
    with client.session_transaction() as session:
        assert "locale" not in session
    assert html_lang(client.get("/", headers={"Accept-Language": "tg"})) == "tg"


def test_a_users_saved_language_beats_the_switcher_and_the_browser(client, login_as):
    user = UserFactory(locale="tg")
    client.post_form("/locale", {"locale": "ru"})  # chosen before logging in
    login_as(user)

    assert html_lang(client.get("/", headers={"Accept-Language": "ru,en;q=0.5"})) == "tg"
    assert html_lang(client.get("/applications/", headers={"Accept-Language": "en"})) == "tg"


def test_a_language_chosen_before_logging_in_becomes_the_users_when_they_have_none(client):
    """An account the office created has no language yet: the one its owner picked on the
    login page is kept, for pages and for mails alike."""
    user = UserFactory(locale=None, email="staff.member@example.org")
    client.post_form("/locale", {"locale": "tg"})
    assert login(client, user.email, PASSWORD).status_code == 302

    db.session.refresh(user)
    assert user.locale == "tg"
    assert html_lang(client.get("/applications/", headers={"Accept-Language": "en"})) == "tg"


def test_a_language_chosen_before_logging_in_does_not_replace_a_saved_one(client):
    user = UserFactory(locale="ru")
    client.post_form("/locale", {"locale": "tg"})
    login(client, user.email, PASSWORD)

    db.session.refresh(user)
    assert user.locale == "ru"
    assert html_lang(client.get("/applications/")) == "ru"


def test_a_user_without_a_language_is_mailed_in_the_default_one(app):
    user = UserFactory(locale=None)
    with app.test_request_context("/"):
        notice = queue_for_user(user, "emails/verify_email.txt", "Subject", link="http://x/", valid_days=7)
    assert notice.body.startswith("Dear ")  # English, the default language of the suite


def test_the_switcher_of_a_logged_in_user_saves_the_language(client, login_as):
    user = UserFactory(locale="en")
    login_as(user)

    client.post_form("/locale", {"locale": "tg"})

    db.session.refresh(user)
    assert user.locale == "tg"
    assert html_lang(client.get("/", headers={"Accept-Language": "ru"})) == "tg"


def test_the_registration_form_saves_the_chosen_language(client):
    faculty = FacultyFactory(name="Факултети филологияи тоҷик")
    response = client.post_form(
        "/auth/register",
        {
            "email": "zarina@example.org",
            "full_name_native": "Каримова Зарина",
            "full_name_latin": "KARIMOVA ZARINA",
            "category": "master",
            "faculty_id": str(faculty.id),
            "phone": "",
            "locale": "tg",
            "password": "the river runs past the old fortress",
            "password_again": "the river runs past the old fortress",
            "privacy_consent": "y",
        },
        token_from="/auth/register",
    )
    assert response.status_code == 302
    assert html_lang(client.get("/")) == "tg"


# --- dates and times -----------------------------------------------------------------------


@pytest.fixture
def deadline_call():
    """A published call whose deadline is 10:00 UTC on 15 December next year."""
    deadline = datetime(utcnow().year + 1, 12, 15, 10, 0, tzinfo=UTC)
    return CallFactory(title="Семестр дар Дрезден", closes_at=deadline), deadline


@pytest.mark.parametrize(("language", "month"), [("en", "Dec 15"), ("ru", "15 дек."), ("tg", "15 Дек")])
def test_a_deadline_shows_the_month_in_the_language(client, deadline_call, language, month):
    call, deadline = deadline_call
    with client.session_transaction() as session:
        session["locale"] = language

    page = client.get(f"/calls/{call.id}").get_data(as_text=True)

    assert month in page
    if language != "en":
        assert "Dec" not in page


@pytest.mark.parametrize(
    ("language", "shown"), [("en", "3:00\u202fPM (UTC+5)"), ("ru", "15:00 (UTC+5)"), ("tg", "15:00 (UTC+5)")]
)
def test_times_are_shown_in_dushanbe_by_default(client, deadline_call, language, shown):
    call, deadline = deadline_call  # 10:00 UTC is 15:00 in Dushanbe (UTC+5)
    with client.session_transaction() as session:
        session["locale"] = language
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert shown in page
    assert "10:00" not in page, "the UTC time is shown"
    assert ":00:00" not in page, "seconds are shown"


def test_times_are_shown_in_the_users_own_time_zone(client, login_as, deadline_call):
    call, deadline = deadline_call
    login_as(UserFactory(locale="ru", timezone="Europe/Moscow"))
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "15 дек." in page and "13:00" in page
    assert "15:00" not in page and "10:00" not in page


def test_dates_of_an_application_are_localised(client, login_as):
    application = ApplicationFactory(applicant=UserFactory(locale="tg"))
    login_as(application.applicant)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "01 Фев 2027" in page  # planned start 1 February 2027
    assert "Feb" not in page


def test_file_sizes_are_written_in_the_language():
    with force_locale("en"):
        assert [file_size(size) for size in (1, 41, 1536, 3 * 1024 * 1024)] == ["1 byte", "41 bytes", "1.5 KB", "3 MB"]
    with force_locale("ru"):
        assert file_size(1536).startswith("1,5")  # the decimal comma
        assert "bytes" not in file_size(41)


# --- exports --------------------------------------------------------------------------------


def english_headers():
    with force_locale("en"):
        return headers(SELECTED_PARTICIPANT_COLUMNS)


def headers_in(language):
    with force_locale(language):
        return headers(SELECTED_PARTICIPANT_COLUMNS)


@pytest.fixture
def export_call():
    with one_commit():
        call = CallFactory(title="Мубодилаи Эразмус+")
        application_in(
            "selected",
            call=call,
            applicant=UserFactory(full_name_native="Раҳимов Алишер", full_name_latin="RAHIMOV ALISHER"),
        )
    return call


def read_csv(response):
    assert response.status_code == 200, response.status
    data = response.get_data()
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))


def read_xlsx(response):
    assert response.status_code == 200, response.status
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("read", "suffix"), [(read_csv, "csv"), (read_xlsx, "xlsx")])
def test_export_headers_are_in_the_requesters_language(client, login_as, export_call, language, read, suffix):
    login_as(UserFactory(roles=["head"], locale=language))

    rows = read(client.get(f"/calls/{export_call.id}/export/selected.{suffix}"))

    english = english_headers()
    assert rows[0] == headers_in(language)
    assert len(rows[0]) == len(english) == len(SELECTED_PARTICIPANT_COLUMNS)
    left_in_english = [header for header, source in zip(rows[0], english, strict=True) if header == source]
    assert not left_in_english, f"export headers left in English in {language}: {left_in_english}"
    assert len(rows) == 2 and len(rows[1]) == len(english)
    row = dict(zip((column.key for column in SELECTED_PARTICIPANT_COLUMNS), rows[1], strict=True))
    assert row["full_name"] == "Раҳимов Алишер"
    with force_locale(language):
        assert row["state"] == str(STATE_LABELS["selected"])  # the labels too
    assert row["state"] != "Selected"


def test_export_headers_in_english_are_the_documented_ones(client, login_as, export_call):
    login_as(UserFactory(roles=["head"], locale="en"))
    rows = read_csv(client.get(f"/calls/{export_call.id}/export/selected.csv"))
    assert rows[0][:3] == ["No", "Full name", "Full name (Latin)"]
    assert rows[0] == english_headers()


# --- e-mails -----------------------------------------------------------------------------------

ENGLISH_MAIL_WORDS = ("Dear", "Your application", "International Relations Department", "Application")


@pytest.mark.parametrize("language", ["ru", "tg"])
def test_a_state_change_mails_the_applicant_in_their_own_language(client, login_as, language):
    application = application_in(
        "submitted",
        call=CallFactory(title="Семестри баҳорӣ дар Дрезден"),
        applicant=UserFactory(locale=language, full_name_native="Назаров Умед"),
    )
    coordinator = UserFactory(coordinates=[application.faculty], locale="en")  # acts in English
    login_as(coordinator)

    response = client.post_form(
        f"/applications/{application.id}/fire/request_changes",
        {"comment": "Паспортро дубора бор кунед.", "version": application.version},
    )

    assert response.status_code == 302
    notice = db.session.scalar(db.select(Notification).where(Notification.recipient_id == application.applicant_id))
    assert notice is not None
    with force_locale(language):
        state = str(STATE_LABELS["changes_requested"])
    assert state in notice.subject
    assert str(application.id) in notice.subject
    for words in ENGLISH_MAIL_WORDS:
        assert words not in notice.subject and words not in notice.body, f"English in the {language} mail"
    assert "Назаров Умед" in notice.body and "Паспортро дубора бор кунед." in notice.body
    if language == "tg":
        assert TAJIK_LETTERS & set(notice.subject + notice.body)
    assert not LATIN_WORD.findall((notice.subject + notice.body).replace("(UTC+5)", ""))


def test_the_mail_follows_the_recipient_not_the_actor(client, login_as):
    application = application_in("submitted", applicant=UserFactory(locale="en"))
    login_as(UserFactory(coordinates=[application.faculty], locale="tg"))
    client.post_form(
        f"/applications/{application.id}/fire/request_changes",
        {"comment": "Please upload the passport again.", "version": application.version},
    )
    notice = db.session.scalar(db.select(Notification).where(Notification.recipient_id == application.applicant_id))
    assert notice.subject.startswith(f"Application {application.id}: Changes requested")
    assert "Dear " in notice.body


def test_times_in_a_mail_are_in_the_recipients_time_zone(client, login_as):
    application = application_in("submitted", applicant=UserFactory(locale="ru", timezone="Europe/Moscow"))
    login_as(UserFactory(coordinates=[application.faculty], timezone="Asia/Dushanbe"))

    client.post_form(
        f"/applications/{application.id}/fire/request_changes",
        {"comment": "Исправьте, пожалуйста.", "version": application.version},
    )

    db.session.refresh(application)
    notice = db.session.scalar(db.select(Notification).where(Notification.recipient_id == application.applicant_id))
    moscow = application.changes_due_at.astimezone(timezone(timedelta(hours=3)))
    dushanbe = application.changes_due_at.astimezone(timezone(timedelta(hours=5)))
    assert moscow.strftime("%H:%M") in notice.body, notice.body
    assert dushanbe.strftime("%H:%M") not in notice.body


def test_reminders_are_written_in_the_recipients_language(app):
    with one_commit():
        returned = application_in(
            "returned", call=CallFactory(title="Тадқиқот дар Дрезден"), applicant=UserFactory(locale="tg")
        )
        returned.actual_return = date.today() - timedelta(days=app.config["REPORT_DUE_DAYS"] + 3)
        returned.actual_departure = returned.actual_return - timedelta(days=90)
        offered = application_in(
            "selected", call=CallFactory(title="Семестр в Лионе"), applicant=UserFactory(locale="ru")
        )
        offered.offer_deadline = utcnow() + timedelta(days=1)

    send_reminders()

    notices = db.session.scalars(db.select(Notification).order_by(Notification.id)).all()
    assert len(notices) == 2
    hosts = [application.allocated_place.partner.name for application in (returned, offered)]
    for notice in notices:
        text = notice.subject + "\n" + notice.body
        for name in hosts + ["(UTC+5)", "irflow"]:  # data, the zone, the application's name
            text = text.replace(name, " ")
        assert not LATIN_WORD.findall(text), f"English in a reminder: {notice.subject}\n{notice.body}"
    assert TAJIK_LETTERS & set(notices[0].body)
