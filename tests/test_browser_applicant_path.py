"""An applicant's whole path in a real browser, on a 360 px phone in Tajik: register, confirm
the address from the mail, apply, upload, check the answers and submit, confirm the offered
place, and report on return. The staff's steps in between are fired as the staff would (their
own pages are driven in tests/test_browser_staff.py). Every page on the way passes check_page:
no sideways scrolling, no console error, no serious axe-core finding."""

import re
from datetime import date, timedelta

import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Application, Notification, User
from irflow.workflow import fire

from .fixtures.browser import PHONE, check_page, log_in
from .fixtures.factories import (
    CallFactory,
    FacultyFactory,
    UserFactory,
    add_approved_learning_agreement,
    add_document,
    add_scores,
)

EMAIL = "zarina.karimova@example.org"
PASSWORD = "apricot blossom over Khujand"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_an_applicant_goes_from_registration_to_the_report_on_a_phone_in_tajik(open_page):
    faculty = FacultyFactory(name_tg="Факултети забонҳои германӣ", name_ru="Факультет германских языков")
    examiner = UserFactory(roles=["examiner"])
    call = CallFactory(required_document_kinds=["cv", "passport"], examiners=[examiner])
    coordinator = UserFactory(coordinates=[faculty])
    head = UserFactory(roles=["head"])
    page = open_page(PHONE, "tg")

    # Register, then confirm the address with the link from the mail.
    page.goto("/auth/register")
    check_page(page)
    page.locator("#email").fill(EMAIL)
    page.locator("#full_name_native").fill("Каримова Зарина Саидовна")
    page.locator("#full_name_latin").fill("KARIMOVA ZARINA")
    page.locator("#category").select_option("master")
    page.locator("#faculty_id").select_option(str(faculty.id))
    page.locator("#phone").fill("+992 92 765 43 21")
    page.locator("#locale").select_option("tg")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password_again").fill(PASSWORD)
    page.locator("#privacy_consent").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/auth/login")
    check_page(page)

    page.goto(verification_path(EMAIL))
    check_page(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    check_page(page)
    applicant = db.session.scalar(sa.select(User).where(User.email == EMAIL))
    assert applicant.email_verified_at is not None

    # Apply: the call, the form, the documents, the answers checked, submitted.
    log_in(page, applicant, PASSWORD)
    check_page(page)
    page.goto(f"/calls/{call.id}")
    check_page(page)
    page.locator(f"form[action$='/applications/new/{call.id}'] button[type=submit]").click()
    page.wait_for_load_state("load")
    check_page(page)
    page.locator("#first_choice").select_option(str(call.places[0].id))
    page.locator("#motivation").fill("Мехоҳам усулҳои таълими забони олмониро омӯзам ва дар Хуҷанд татбиқ кунам.")
    page.locator("#average_grade").fill("4,6")
    page.locator("#language").fill("Олмонӣ")
    page.locator("#cefr_level").select_option("B2")
    page.locator("#planned_start").fill("2027-02-01")
    page.locator("#planned_end").fill("2027-06-30")
    page.locator("form:has(#motivation) button[type=submit]").click()
    page.wait_for_load_state("load")
    check_page(page)
    application = db.session.scalar(sa.select(Application).where(Application.applicant_id == applicant.id))
    for kind in ("cv", "passport"):
        upload(page, kind)
    page.locator(f"a[href$='/applications/{application.id}/check']").first.click()
    page.wait_for_load_state("load")
    check_page(page)
    page.locator("form[action$='/fire/submit'] button[type=submit]").click()
    page.wait_for_load_state("load")
    check_page(page)
    assert state_of(application) == "submitted"

    # The staff: eligible, tested, selected.
    application = db.session.get(Application, application.id)
    fire(application, "approve_eligibility", coordinator)
    db.session.commit()
    add_scores(application, examiner)
    fire(application, "record_score", examiner)
    fire(application, "select", head)
    db.session.commit()

    # The offer, answered on the phone.
    page.goto(f"/applications/{application.id}")
    check_page(page)
    page.locator("form[action$='/fire/confirm_place'] button[type=submit]").click()
    page.wait_for_load_state("load")
    check_page(page)
    assert state_of(application) == "confirmed"

    # Nominated, accepted by the host, gone and back.
    application = db.session.get(Application, application.id)
    fire(application, "nominate", coordinator)
    db.session.commit()
    add_document(application, "host_acceptance", uploader=coordinator)
    fire(application, "host_accept", coordinator)
    # The learning agreement (written and approved on a phone in tests/test_browser_learning_agreement.py).
    add_approved_learning_agreement(application)
    fire(application, "depart", coordinator, departure_date=date.today() - timedelta(days=120))
    fire(application, "return_home", coordinator, return_date=date.today() - timedelta(days=2))
    db.session.commit()

    # The report: the documents from the host, the text, then submitted.
    page.goto(f"/applications/{application.id}")
    check_page(page)
    for kind in ("certificate_of_attendance", "transcript_of_records"):
        upload(page, kind)
    page.goto(f"/applications/{application.id}/report")
    check_page(page)
    page.locator("#activities").fill("Се курси забон ва таҷрибаомӯзӣ дар кафедра.")
    page.locator("#results").fill("30 кредити ECTS супорида шуд.")
    page.locator("#credits_recognised").fill("30")
    page.locator("#report-form button[type=submit]").click()
    page.wait_for_load_state("load")
    check_page(page)
    page.locator("form[action$='/fire/submit_report'] button[type=submit]").click()
    page.wait_for_load_state("load")
    check_page(page)
    assert state_of(application) == "report_submitted"


def upload(page, kind):
    """Upload a PDF of `kind` from the application page's upload form."""
    form = page.locator("#upload form")
    form.locator("select").first.select_option(kind)
    form.locator("input[type=file]").set_input_files(
        {"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    check_page(page)
    assert kind in {document.kind for document in current_documents(page)}, f"{kind} not uploaded"


def current_documents(page):
    application_id = int(re.search(r"/applications/(\d+)", page.url).group(1))
    db.session.expire_all()
    return [d for d in db.session.get(Application, application_id).documents if d.deleted_at is None]


def verification_path(email):
    mail = db.session.scalars(
        sa.select(Notification).where(Notification.recipient_email == email).order_by(Notification.id.desc())
    ).first()
    return re.search(r"/auth/verify/[A-Za-z0-9_.\-]+", mail.body).group(0)


def state_of(application):
    db.session.expire_all()
    return db.session.get(Application, application.id).state
