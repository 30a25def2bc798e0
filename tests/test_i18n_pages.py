"""Every page in English, Russian and Tajik: no English left on a Russian or Tajik page.

Each role's pages are rendered in the three languages from one data set (built once per
test with one_commit()). Of a Russian or Tajik page the visible text is taken (text, and
the placeholder, title, aria-label and alt attributes and the value of buttons), every
data value the fixture created is removed (names, e-mails, titles, partners, programs,
criteria, texts written by users, ...), then e-mail addresses, web addresses and a short
list of proper names and abbreviations; no word of three or more Latin letters may remain.
The data is Cyrillic where a field allows it, with some Latin proper names (a German host,
passport names, a funder, an English return report) to prove the stripping works; and the
English pages must show their English text, so the check can fail the other way too.
"""

import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import current_app

from irflow.extensions import db
from irflow.isced import ISCED_FIELDS
from irflow.models import Agreement, CallPlace, Criterion, Notification, Partner, StayChange
from irflow.models.base import utcnow
from irflow.workflow import fire
from irflow.workflow.allocation import total_score

from .fixtures.factories import CallFactory, FacultyFactory, ProgramFactory, UserFactory, application_in, one_commit
from .fixtures.web import form_of

LANGUAGES = ("en", "ru", "tg")
# The placeholders of message texts ({name}, {call}, ...) are shown as they are typed.
PLACEHOLDER_WORDS = ("name", "number", "call", "state", "host", "deadline", "comment")

# Names and abbreviations that stay as they are in every language.
ALLOWED_WORDS = {
    "irflow",
    "erasmus",
    "mundus",
    "daad",
    "tempus",
    "cefr",
    "eqf",  # European Qualifications Framework levels
    "isced",  # UNESCO field of education codes
    "ects",
    "gpa",
    "phd",
    "csv",
    "xlsx",
    "pdf",
    "jpeg",
    "png",
    "svg",
    "iso",
    "utf",
    "english",  # the language switcher names each language in itself: English, Русский, Тоҷикӣ
    "utc",  # times name their zone as UTC+5 in every language
    "oid",  # the Erasmus+ Organisation ID
    "ors",  # the EU's Organisation Registration System, where the OID comes from
}
# Latin the translations keep on purpose: the ECTS document's own name, the passport-style
# example of a Latin name, Russian's usual "e-mail", the EU tool's own name, an Erasmus code.
ALLOWED_PHRASES = re.compile(
    r"Transcript of Records|RAHIMOV ALISHER|\be-mail\b|Beneficiary Module|BERLIN01", re.IGNORECASE
)
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
E_MAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
WEB_ADDRESS = re.compile(r"(?:https?://|www\.)\S*")
# What users and the fixture typed, by table and column (not codes such as states or kinds:
# one of those shown raw is exactly what the test is to find).
DATA_COLUMNS = {
    "faculties": ("name_en", "name_ru", "name_tg", "code"),
    "partners": (
        "name",
        "country",
        "city",
        "website",
        "contact_email",
        "description_en",
        "description_ru",
        "description_tg",
    ),
    "programs": ("name", "funder", "description_en", "description_ru", "description_tg", "website"),
    "agreements": ("title", "signed_copy_name"),
    "calls": (
        *(f"{field}_{language}" for field in ("title", "description", "test_place") for language in ("en", "ru", "tg")),
        "academic_year",
    ),
    "users": ("email", "full_name_native", "full_name_latin", "phone", "timezone"),
    "criteria": ("name_en", "name_ru", "name_tg"),
    "applications": ("motivation", "language", "cefr_level"),
    "documents": ("original_name",),
    "return_reports": ("activities", "results", "recommendation"),
    "transition_log": ("comment",),
    "stay_changes": ("reason", "force_majeure_explanation", "comment"),
    "notifications": ("recipient_email", "subject", "body"),
}


# --- visible text --------------------------------------------------------------------------


class VisibleText(HTMLParser):
    """The text a reader sees or hears (screen readers read aria-label and alt)."""

    HIDDEN = {"script", "style"}
    SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
    BUTTON_TYPES = {"submit", "button", "reset"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1
            return
        attrs = dict(attrs)
        self.parts.extend(attrs[name] for name in self.SHOWN_ATTRIBUTES if attrs.get(name))
        if tag == "input" and attrs.get("type") in self.BUTTON_TYPES and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html):
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.parts)


def data_values():
    """Every text the fixture wrote into the database, longest first."""
    values = set()
    for table_name, columns in DATA_COLUMNS.items():
        table = db.metadata.tables[table_name]
        for column in columns:
            for value in db.session.scalars(sa.select(table.c[column]).where(table.c[column].is_not(None))):
                values.add(value)
                values.update(line.strip() for line in value.splitlines())
    values.add(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    # The ISCED-F names are the classification's official English ones, in every language.
    values.update(ISCED_FIELDS.values())
    return sorted((value for value in values if value and value.strip()), key=len, reverse=True)


def english_words(text, data, allowed=()):
    for value in data:
        text = text.replace(value, " ")
    text = ALLOWED_PHRASES.sub(" ", WEB_ADDRESS.sub(" ", E_MAIL.sub(" ", text)))
    allowed = ALLOWED_WORDS | {word.lower() for word in allowed}
    return sorted({word for word in LATIN_WORD.findall(text) if word.lower() not in allowed})


def test_the_text_check_sees_what_a_reader_sees_and_skips_the_data():
    html = """<html lang="ru"><head><title>Заявки · irflow</title><style>.x { color: red }</style></head>
    <body><h1>Technische Universität Dresden</h1><p>Срок: 15 дек. Deadline</p>
    <input type="text" name="q" value="hidden value" placeholder="Search here">
    <input type="submit" value="Save"><button aria-label="Close">×</button><img alt="Chart" src="x.svg">
    <a href="https://tu-dresden.de/international" title="Сайт">https://tu-dresden.de/international</a>
    <span data-x="attribute text">office@tu-dresden.de</span><script>var english = "words";</script></body></html>"""
    text = visible_text(html)
    assert "hidden value" not in text and "attribute text" not in text and "words" not in text
    assert english_words(text, ["Technische Universität Dresden"]) == [
        "Chart",
        "Close",
        "Deadline",
        "Save",
        "Search",
        "here",
    ]


# --- the data ------------------------------------------------------------------------------


@dataclass
class World:
    users: dict = field(default_factory=dict)
    calls: dict = field(default_factory=dict)
    applications: dict = field(default_factory=dict)
    partners: dict = field(default_factory=dict)
    programs: dict = field(default_factory=dict)


CRITERIA = (("Тести забони англисӣ", "test", 2), ("Мусоҳиба", "test", 1), ("Баҳои миёна", "average_grade", 1))


def _call(world, key, title, program, hosts, **fields):
    call = CallFactory(title=title, program=program, places=(), **fields)
    call.places = [
        CallPlace(partner=world.partners[host], places=places, months=months) for host, places, months in hosts
    ]
    call.criteria = [
        Criterion(name=name, source=source, weight=Decimal(weight), position=position)
        for position, (name, source, weight) in enumerate(CRITERIA)
    ]
    db.session.commit()
    world.calls[key] = call
    return call


def _person(native, latin, email, **fields):
    return UserFactory(full_name_native=native, full_name_latin=latin, email=email, **fields)


def build_world():
    """Programs, partners, calls in every status, and for each role the rows its pages show."""
    world = World()
    now = utcnow()
    with one_commit():
        faculty = FacultyFactory(name="Факултети муносибатҳои байналмилалӣ", code="ФМБ")
        other_faculty = FacultyFactory(name="Факультет физики", code="ФФ")
        users = world.users
        users["applicant"] = _person(
            "Раҳимова Нигина Алиевна",
            "RAHIMOVA NIGINA",
            "nigina@example.org",
            faculty=faculty,
            phone="+992 92 777 00 00",
            category="master",
        )
        users["coordinator"] = _person(
            "Сафаров Бахтиёр",
            "SAFAROV BAKHTIYOR",
            "safarov@example.org",
            faculty=faculty,
            category="staff",
            coordinates=[faculty],
        )
        users["examiner"] = _person(
            "Юсупова Мадина",
            "YUSUPOVA MADINA",
            "yusupova@example.org",
            faculty=faculty,
            category="teacher",
            roles=["examiner"],
        )
        users["head"] = _person(
            "Ҳакимов Фаррух",
            "HAKIMOV FARRUKH",
            "hakimov@example.org",
            faculty=faculty,
            category="staff",
            roles=["head"],
        )
        users["admin"] = _person(
            "Каримов Далер",
            "KARIMOV DALER",
            "karimov@example.org",
            faculty=other_faculty,
            category="staff",
            roles=["admin"],
        )
        others = [
            _person(native, latin, f"student{number}@example.org", faculty=faculty)
            for number, (native, latin) in enumerate(
                [
                    ("Алиев Сино", "ALIEV SINO"),
                    ("Назарова Зарина", "NAZAROVA ZARINA"),
                    ("Каримов Умед", "KARIMOV UMED"),
                    ("Шарипова Малика", "SHARIPOVA MALIKA"),
                    ("Турсунов Фирдавс", "TURSUNOV FIRDAVS"),
                    ("Ёдгорова Шаҳло", "YODGOROVA SHAHLO"),
                    ("Бобоев Ҷамшед", "BOBOEV JAMSHED"),
                ]
            )
        ]

        world.programs["erasmus"] = ProgramFactory(
            name="Erasmus+ KA171 — мубодилаи кредитӣ",
            kind="erasmus_plus",
            funder="European Commission",
            description="Мубодилаи донишҷӯён ва омӯзгорон бо донишгоҳҳои Аврупо.",
            website="https://erasmus-plus.ec.europa.eu",
        )
        world.programs["daad"] = ProgramFactory(name="Стипендияи DAAD", kind="daad", funder="DAAD")
        world.programs["draft"] = ProgramFactory(
            name="Барномаи дуҷониба бо Донишгоҳи Ош", kind="bilateral", published=False
        )
        partners = world.partners
        partners["dresden"] = Partner(
            name="Technische Universität Dresden",
            country="DE",
            city="Dresden",
            kind="university",
            website="https://tu-dresden.de",
            contact_email="international@tu-dresden.de",
        )
        partners["osh"] = Partner(name="Ошский государственный университет", country="KG", city="Ош", kind="university")
        partners["lyon"] = Partner(name="Université Lumière Lyon 2", country="FR", city="Lyon", kind="university")
        partners["embassy"] = Partner(name="Посольство Японии", country="JP", city="Душанбе", kind="embassy")
        db.session.add_all(partners.values())
        db.session.add_all(
            [
                Agreement(
                    partner=partners["dresden"],
                    program=world.programs["erasmus"],
                    title="Созишномаи байнидонишгоҳӣ 2025–2029",
                    signed_on=date(2025, 1, 20),
                    valid_from=date(2025, 2, 1),
                    valid_until=date.today() + timedelta(days=40),
                    places_per_year=4,
                    months_per_year=20,
                ),
                Agreement(
                    partner=partners["osh"],
                    title="Договор о сотрудничестве",
                    valid_from=date(2024, 9, 1),
                    valid_until=date(2030, 8, 31),
                ),
            ]
        )
        db.session.commit()

        erasmus, daad = world.programs["erasmus"], world.programs["daad"]
        open_call = _call(
            world,
            "open",
            "Семестри баҳорӣ дар Дрезден",
            erasmus,
            [("dresden", 2, 5), ("osh", 1, 5), ("lyon", 1, 4)],
            description="Як семестри таҳсил бо эътирофи пурраи кредитҳо.",
            test_at=now + timedelta(days=30),
            test_place="Бинои асосӣ, ҳуҷраи 204",
            examiners=[users["examiner"]],
            required_document_kinds=["cv", "passport", "language_certificate"],
        )
        _call(world, "changes", "Таҷрибаомӯзӣ дар Ош", daad, [("osh", 2, 2)], mobility_type="training")
        _call(
            world,
            "selected",
            "Конференсия дар Лион",
            erasmus,
            [("lyon", 2, 1), ("dresden", 1, 1)],
            mobility_type="conference",
            selection_confirmed_at=now - timedelta(days=2),
        )
        _call(
            world,
            "returned",
            "Тадқиқот дар Дрезден",
            daad,
            [("dresden", 2, 3)],
            mobility_type="research",
            opens_at=now - timedelta(days=300),
            closes_at=now - timedelta(days=250),
            selection_confirmed_at=now - timedelta(days=240),
        )
        selection = _call(
            world,
            "selection",
            "Семестри тирамоҳӣ дар Аврупо",
            erasmus,
            [("dresden", 1, 5), ("lyon", 1, 5)],
            opens_at=now - timedelta(days=40),
            closes_at=now - timedelta(days=5),
            examiners=[users["examiner"]],
        )
        _call(
            world,
            "upcoming",
            "Озмуни оянда: стипендияи DAAD",
            daad,
            [("dresden", 3, 10)],
            opens_at=now + timedelta(days=10),
            closes_at=now + timedelta(days=40),
            mobility_type="teaching",
        )
        _call(world, "unpublished", "Лоиҳаи даъват ба Япония", erasmus, [("embassy", 1, 1)], published=False)

        applicant, calls, applications = users["applicant"], world.calls, world.applications
        applications["draft"] = application_in(
            "draft",
            call=open_call,
            applicant=applicant,
            language="Deutsch",
            cefr_level="B1",
            motivation="Мехоҳам дар Дрезден забони олмониро омӯзам ва таҷрибаро ба ватан орам.",
        )
        applications["submitted"] = application_in("submitted", call=calls["changes"], applicant=applicant)
        applications["selected"] = application_in(
            "selected",
            call=calls["selected"],
            applicant=applicant,
            examiner=users["examiner"],
            rank=1,
            total_score=Decimal("87.5"),
        )
        applications["returned"] = application_in("returned", call=calls["returned"], applicant=applicant)
        # What the coordinator, the examiner and the head work on.
        applications["to_review"] = application_in("submitted", call=open_call, applicant=others[0])
        applications["to_score"] = application_in(
            "eligible", call=open_call, applicant=others[1], examiner=users["examiner"]
        )
        applications["confirmed"] = application_in(
            "confirmed", call=calls["selected"], applicant=others[2], examiner=users["examiner"]
        )
        applications["abroad"] = application_in("abroad", call=calls["returned"], applicant=others[3])
        for number, applicant_of_selection in enumerate(others[4:]):
            tested = application_in(
                "tested",
                call=selection,
                applicant=applicant_of_selection,
                examiner=users["examiner"],
                hosts=selection.places[:2] if number % 2 else selection.places[::-1],
            )
            for score in tested.scores:
                score.value = Decimal(95 - 30 * number)  # the last one is below the minimum
            tested.total_score = total_score(tested, tested.scores)
            applications[f"tested{number}"] = tested

    # Through the workflow, for the timeline, the coordinator's comment and the applicant's messages.
    users["applicant"].locale = "ru"
    fire(
        applications["submitted"],
        "request_changes",
        users["coordinator"],
        comment="Лутфан, нусхаи шиносномаро дубора бор кунед.",
    )
    db.session.commit()
    users["applicant"].locale = "en"
    db.session.add(
        Notification(
            recipient=users["applicant"],
            recipient_email=users["applicant"].email,
            subject="Хабарнома аз шӯъба",
            body="Ҷаласаи иттилоотӣ рӯзи душанбе.",
        )
    )
    db.session.commit()
    return world


# --- rendering -------------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    path: str
    english: str  # text the English page shows
    status: int = 200
    form: dict = None  # posted, with a CSRF token, when given; its values are data too
    follow: bool = False
    allowed: tuple = ()  # words this page shows untranslated on purpose


def posted_form(page):
    """The form to post: a function gives a fresh one (with a new file to upload) each time."""
    return dict(page.form() if callable(page.form) else page.form)


def render(client, page):
    if page.form is not None:
        response = client.post_form(page.path, posted_form(page), token_from="/", follow_redirects=page.follow)
    else:
        response = client.get(page.path, follow_redirects=page.follow)
    assert response.status_code == page.status, f"{page.name} ({page.path}): {response.status}"
    return response.get_data(as_text=True)


def use_language(client, user, language):
    if user is None:
        with client.session_transaction() as session:
            session["locale"] = language
    else:
        user.locale = language
        db.session.commit()


def check_pages(client, subtests, user, pages):
    data = data_values()
    for page in pages:
        form = posted_form(page) if page.form is not None else {}
        posted = sorted((value for value in map(str, form.values()) if value), key=len, reverse=True)
        for language in LANGUAGES:
            with subtests.test(page=page.name, language=language):
                use_language(client, user, language)
                html = render(client, page)
                assert f'<html lang="{language}"' in html
                text = visible_text(html)
                left = english_words(text, data + posted, page.allowed)
                if language == "en":
                    assert page.english in text, f"{page.name} in English does not show {page.english!r}"
                    assert len(left) >= 3, f"{page.name} in English shows hardly any English: {left}"
                else:
                    assert not left, f"{page.name} ({page.path}) in {language} shows English: {', '.join(left)}"


@pytest.fixture
def world():
    return build_world()


# --- the pages, role by role -------------------------------------------------------------------


def test_public_pages(client, subtests, world):
    call = world.calls["open"]
    pages = [
        Page("home", "/", "Open calls for mobility"),
        Page("calls", "/calls/", "Calls for mobility"),
        Page("call", f"/calls/{call.id}", "Hosts and places"),
        Page("closed call", f"/calls/{world.calls['selection'].id}", "This call closed on"),
        Page("upcoming call", f"/calls/{world.calls['upcoming'].id}", "Applications open on"),
        Page("programs", "/programs", "Mobility programs"),
        Page("partners", "/partners", "Partner institutions"),
        Page("partners filtered", "/partners?country=DE&kind=university", "Partner institutions"),
        Page("log in", "/auth/login", "Log in"),
        Page("register", "/auth/register", "Create an account"),
        Page("not found", "/no/such/page", "Not found", status=404),
        Page(
            "log in, wrong",
            "/auth/login",
            "Wrong e-mail or password.",
            form={"email": "nigina@example.org", "password": "not the password"},
            status=401,
        ),
        Page("log in, empty", "/auth/login", "Log in", form={"email": "", "password": ""}, status=400),
        Page(
            "register, empty",
            "/auth/register",
            "Create an account",
            status=400,
            form={
                "email": "",
                "full_name_native": "",
                "full_name_latin": "",
                "category": "pilot",
                "faculty_id": "abc",
                "locale": "xx",
                "password": "",
                "password_again": "",
            },
        ),
    ]
    check_pages(client, subtests, None, pages)


def test_applicant_pages(client, login_as, subtests, world):
    applicant = world.users["applicant"]
    applications = world.applications
    draft, changes, selected, returned = (applications[key] for key in ("draft", "submitted", "selected", "returned"))
    login_as(applicant)
    pages = [
        Page("my applications", "/applications/", "My applications"),
        Page("draft", f"/applications/{draft.id}", "Host choices"),
        Page("changes requested", f"/applications/{changes.id}", "Changes requested"),
        Page("selected: the offer", f"/applications/{selected.id}", "Your offer"),
        Page("returned: the report", f"/applications/{returned.id}", "Return report"),
        Page("edit", f"/applications/{draft.id}/edit", "First choice of host"),
        Page("edit after a change request", f"/applications/{changes.id}/edit", "First choice of host"),
        Page(
            "edit, wrong values",
            f"/applications/{draft.id}/edit",
            "Not a valid",
            status=400,
            form={
                "version": draft.version,
                "first_choice": "999999",
                "second_choice": "abc",
                "average_grade": "four",
                "planned_start": "next spring",
                "planned_end": "2027-13-45",
                "cefr_level": "D9",
                "language": "x" * 41,
            },
        ),
        Page(
            "upload, not a PDF",
            f"/applications/{draft.id}/documents",
            "Only PDF, JPEG and PNG files are accepted.",
            follow=True,
            form=lambda: {"kind": "cv", "file": (io.BytesIO(b"MZ\x90\x00 a program"), "резюме.exe")},
        ),
        Page("report", f"/applications/{returned.id}/report", "Return report"),
        Page("participant data", f"/applications/{selected.id}/participant-data", "Field of education"),
        Page(
            "participant data, wrong values",
            f"/applications/{selected.id}/participant-data",
            "Choose the field of education from the list.",
            status=400,
            form={
                "version": "0",
                "birth_date": "2090-01-01",
                "gender": "x",
                "nationality": "QQ",
                "isced_code": "0620",
                "study_cycle": "",
                "fewer_opportunities": "",
                "special_needs": "perhaps",
                "previous_mobility_months": "40,25",
            },
        ),
        Page("messages", "/applications/messages", "My messages"),
        Page("call, logged in", f"/calls/{world.calls['open'].id}", "Hosts and places"),
        Page(
            "a refused action",
            f"/applications/{draft.id}/fire/confirm_place",
            "Draft",
            follow=True,
            form={"version": draft.version},
        ),
    ]
    check_pages(client, subtests, applicant, pages)


def test_coordinator_pages(client, login_as, subtests, world):
    coordinator = world.users["coordinator"]
    to_review = world.applications["to_review"]
    login_as(coordinator)
    pages = [
        Page("review queue", "/review/", "Review queue"),
        Page(
            "review queue, filtered",
            f"/review/?state=submitted&call={world.calls['open'].id}&sort=name",
            "Review queue",
        ),
        Page("review queue, bad filters", "/review/?state=flying&page=-3&call=abc", "Review queue"),
        Page("nominations", "/nominations", "Nominations and mobility"),
        Page("nominations of a call", f"/nominations?call={world.calls['selected'].id}", "Nominations and mobility"),
        Page("dashboard", "/dashboard/", "Dashboard"),
        Page("dashboard, a period", "/dashboard/?year_from=2026/2027&year_to=2027", "Dashboard"),
        Page("application to review", f"/applications/{to_review.id}", "Approve eligibility"),
        Page("application abroad", f"/applications/{world.applications['abroad'].id}", "Record return"),
        Page(
            "comment missing",
            f"/applications/{to_review.id}/fire/reject_eligibility",
            "comment",
            follow=True,
            form={"version": to_review.version, "comment": ""},
        ),
        *message_pages(),
    ]
    check_pages(client, subtests, coordinator, pages)


def test_stay_change_pages(client, login_as, subtests, world):
    abroad = world.applications["abroad"]
    owner, coordinator = abroad.applicant, world.users["coordinator"]
    login_as(owner)
    check_pages(
        client,
        subtests,
        owner,
        [
            Page("stay changes, none yet", f"/applications/{abroad.id}/stay-changes", "Changes during the stay"),
            Page("ask for a change to the stay", f"/applications/{abroad.id}/stay-changes/new", "What do you ask for?"),
            Page(
                "ask for a change to the stay, wrong values",
                f"/applications/{abroad.id}/stay-changes/new",
                "The interruption cannot end before it starts.",
                status=400,
                form={
                    "kind": "interruption",
                    "interruption_from": "2027-03-10",
                    "interruption_to": "2027-03-01",
                    "force_majeure": "y",
                    "force_majeure_explanation": "",
                    "reason": "",
                },
            ),
        ],
    )
    decided = StayChange(
        application=abroad,
        kind="interruption",
        interruption_from=abroad.actual_departure + timedelta(days=3),
        interruption_to=abroad.actual_departure + timedelta(days=9),
        force_majeure=True,
        force_majeure_explanation="Заминларза.",
        reason="Донишгоҳ баста буд.",
        state="approved",
        requested_by=owner,
        decided_by=coordinator,
        decided_at=utcnow(),
        comment="Розӣ.",
    )
    open_request = StayChange(
        application=abroad,
        kind="extension",
        new_end=date(2027, 8, 31),
        previous_end=abroad.planned_end,
        reason="Семестри дуюм.",
        state="requested",
        requested_by=owner,
    )
    db.session.add_all([decided, open_request])
    db.session.commit()
    check_pages(
        client,
        subtests,
        owner,
        [
            Page("stay changes", f"/applications/{abroad.id}/stay-changes", "Waiting for a decision"),
            Page("application abroad with stay changes", f"/applications/{abroad.id}", "Changes during the stay"),
        ],
    )
    login_as(coordinator)
    check_pages(
        client,
        subtests,
        coordinator,
        [
            Page("stay changes to decide", f"/applications/{abroad.id}/stay-changes", "Approve"),
            Page(
                "stay change refused without a comment",
                f"/applications/{abroad.id}/stay-changes",
                "Say why the request is refused.",
                status=400,
                form={
                    "stay_change": open_request.id,
                    "version": open_request.version,
                    "application_version": abroad.version,
                    "decision": "refuse",
                    "comment": "",
                },
            ),
        ],
    )


def message_pages():
    """The group message pages, as the head and a coordinator see them."""
    return [
        Page("group messages", "/messages/", "Group messages"),
        Page("write to a group", "/messages/new", "Write to a group", allowed=PLACEHOLDER_WORDS),
        Page(
            "write to a group, wrong values",
            "/messages/new",
            "Choose the call.",
            status=400,
            form={"step": "preview", "group": "selected", "call": "", "subject": "", "body": "Салом, {name"},
            allowed=PLACEHOLDER_WORDS,
        ),
        Page(
            "group message preview",
            "/messages/new",
            "Check the message before sending",
            form={"step": "preview", "group": "abroad", "call": "", "subject": "Мулоқот", "body": "Салом, {name}!"},
        ),
    ]


def test_examiner_pages(client, login_as, subtests, world):
    examiner = world.users["examiner"]
    call = world.calls["open"]
    to_score = world.applications["to_score"]
    language_test, interview = call.test_criteria
    sheet_row = {
        f"version-{to_score.id}": to_score.version,
        f"score-{to_score.id}-{language_test.id}": "сто",
        f"score-{to_score.id}-{interview.id}": "101",
    }
    rows = (
        f"application;{language_test.name};{interview.name};absent\r\n"
        f"{to_score.id};сто;80;\r\n999999;50;50;\r\n{to_score.id};60;150;шояд\r\n"
    )
    login_as(examiner)
    pages = [
        Page("score sheets", "/scores/", "Score sheets"),
        Page("score sheet", f"/calls/{call.id}/scores", "Score sheet"),
        Page("score sheet, wrong values", f"/calls/{call.id}/scores", "Not a number.", status=400, form=sheet_row),
        Page(
            "score import, wrong rows",
            f"/calls/{call.id}/scores/import",
            "rows have errors",
            status=400,
            form=lambda: {"file": (io.BytesIO(rows.encode()), "натиҷаҳо.csv")},
            allowed=("application", "email", "absent", "yes"),
        ),
        # The file's column names and the word for absent are typed as they are, in any language.
        Page(
            "score import",
            f"/calls/{call.id}/scores/import",
            "Import scores from a CSV file",
            allowed=("application", "email", "absent", "yes"),
        ),
    ]
    check_pages(client, subtests, examiner, pages)


def test_head_pages(client, login_as, subtests, world):
    head = world.users["head"]
    selection, open_call = world.calls["selection"], world.calls["open"]
    login_as(head)
    pages = [
        Page("manage", "/manage/", "Programs, partners and calls"),
        Page("manage programs", "/manage/programs", "Programs"),
        Page("edit program", f"/manage/programs/{world.programs['erasmus'].id}/edit", "Edit program"),
        Page("new program", "/manage/programs/new", "New program"),
        Page("manage partners", "/manage/partners", "Partners and agreements"),
        Page("partner", f"/manage/partners/{world.partners['dresden'].id}", "Agreements"),
        Page("new partner", "/manage/partners/new", "New partner"),
        Page(
            "new partner, wrong values",
            "/manage/partners/new",
            "Enter the name.",
            status=400,
            form={"name": "", "country": "XX", "kind": "castle", "website": "ftp://files", "contact_email": "нет"},
        ),
        Page("new agreement", f"/manage/partners/{world.partners['osh'].id}/agreements/new", "New agreement"),
        Page("agreement", f"/manage/agreements/{world.partners['dresden'].agreements[0].id}", "Edit agreement"),
        Page(
            "new agreement, wrong values",
            f"/manage/partners/{world.partners['osh'].id}/agreements/new",
            "New agreement",
            status=400,
            form={
                "program": "abc",
                "signed_on": "вчера",
                "valid_from": "2026-02-30",
                "valid_until": "2020-01-01",
                "places_per_year": "бисёр",
                "months_per_year": "-3",
            },
        ),
        Page("manage calls", "/manage/calls", "Calls"),
        Page("new call", "/manage/calls/new", "New call"),
        Page(
            "new call, wrong values",
            "/manage/calls/new",
            "Not a valid",
            status=400,
            form={
                "program": "",
                "title_en": "",
                "mobility_type": "flying",
                "academic_year": "2026-27",
                "opens_at": "soon",
                "closes_at": "",
                "min_months": "two",
                "max_months": "99",
                "minimum_total_score": "high",
                "grade_scale": "0",
                "offer_reply_days": "",
                "changes_reply_days": "x",
                "eligible_categories": "pilot",
                "examiners": "abc",
                "places-0-partner": str(world.partners["dresden"].id),
                "places-0-places": "many",
                "places-0-months": "",
                "criteria-0-name_tg": "Мусоҳиба",
                "criteria-0-source": "guess",
                "criteria-0-weight": "heavy",
            },
        ),
        Page("edit call", f"/manage/calls/{open_call.id}/edit", "Hosts and places"),
        Page("close call", f"/manage/calls/{open_call.id}/close", "Close the call now?"),
        Page("call, as the head", f"/calls/{open_call.id}", "Edit the call"),
        Page("selection", f"/calls/{selection.id}/selection", "Selection"),
        Page("protocol before", f"/calls/{selection.id}/selection/protocol", "Protocol of the selection", status=409),
        *message_pages(),
        Page("notice texts", "/messages/notices", "Texts of the automatic notices"),
        Page("notice text", "/messages/notices/select/ru", "Placeholders", allowed=PLACEHOLDER_WORDS),
        Page(
            "notice text, preview",
            "/messages/notices/select/tg",
            "Preview with a sample application",
            form={"action": "preview", "subject": "Ҷой барои {name}", "body": "Дар {host} то {deadline}. {номаълум}"},
            allowed=(*PLACEHOLDER_WORDS, "universidad", "granada"),
        ),
        Page(
            "notice text, wrong values",
            "/messages/notices/select/tg",
            "Enter the subject.",
            status=400,
            form={"action": "save", "subject": "", "body": "Салом, {name"},
            allowed=PLACEHOLDER_WORDS,
        ),
    ]
    check_pages(client, subtests, head, pages)

    head.locale = "en"
    db.session.commit()
    response = client.post(
        f"/calls/{selection.id}/selection", data=form_of(client.get(f"/calls/{selection.id}/selection"))
    )
    assert response.status_code == 302, "the selection could not be confirmed"
    check_pages(
        client,
        subtests,
        head,
        [
            Page("selection confirmed", f"/calls/{selection.id}/selection", "The selection was confirmed on"),
            Page("protocol", f"/calls/{selection.id}/selection/protocol", "Protocol of the selection"),
        ],
    )


def test_admin_pages(client, login_as, subtests, world):
    admin = world.users["admin"]
    login_as(admin)
    pages = [
        Page("users", "/admin/users", "Users"),
        Page("users, searched", "/admin/users?q=example&role=coordinator&status=active", "Users"),
        Page("user", f"/admin/users/{world.users['applicant'].id}", "Roles"),
        Page(
            "user, wrong roles",
            f"/admin/users/{world.users['applicant'].id}",
            "Roles",
            status=400,
            form={"roles": "pilot", "coordinated_faculties": "abc"},
        ),
    ]
    check_pages(client, subtests, admin, pages)
