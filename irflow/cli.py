"""Commands: `flask --app wsgi seed-demo`, `flask --app wsgi create-user EMAIL --role ROLE`,
`flask --app wsgi reset-password EMAIL`, ..."""

from datetime import date, timedelta

import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from . import seed_data
from .account.cli import purge_personal_data_command
from .auth.cli import reset_password_command
from .auth.passwords import hash_password, password_problems
from .extensions import db
from .models import (
    Agreement,
    ApplicationCount,
    Call,
    CallPlace,
    Criterion,
    Faculty,
    GrantCountryGroup,
    GrantRules,
    GrantTravelBand,
    ParticipantCount,
    Partner,
    Program,
    User,
)
from .models.application_count import recount
from .models.base import CATEGORIES, ROLES, utcnow
from .returns.cli import send_reminders_command
from .selection.cli import expire_offers_command
from .services import backup_cli
from .services.delivery import send_mail_command
from .services.storage_check import storage_check_command


def register_cli(app):
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(reset_password_command)
    app.cli.add_command(expire_offers_command)
    app.cli.add_command(send_mail_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(storage_check_command)
    app.cli.add_command(purge_personal_data_command)
    app.cli.add_command(recount_applications)
    backup_cli.register(app)


@click.command("recount-applications")
def recount_applications():
    """Rebuild the counts of the applications per call, faculty and state (and of the
    participants per place and category) from the applications: the triggers keep them,
    this is for a database loaded with triggers off."""
    before = dict(_stored_counts())
    recount(db.session.connection())
    after = dict(_stored_counts())
    db.session.commit()
    differing = sum(1 for key in before.keys() | after.keys() if before.get(key, 0) != after.get(key, 0))
    click.echo(f"Counts rebuilt: {len(after)} rows, {differing} differed from the stored counts.")


def _stored_counts():
    for model in (ApplicationCount, ParticipantCount):
        table = model.__table__
        key = [column for column in table.c if column.name != "number"]
        for *parts, number in db.session.execute(db.select(*key, table.c.number).where(table.c.number > 0)):
            yield (table.name, *parts), number


def _get_or_create(model, lookup, texts=None, **values):
    """The row `lookup` finds, else a new one. `texts` ({column: text}) are the translations of
    its texts: a row seeded before they existed gets those it lacks (and counts as not new)."""
    instance = db.session.scalar(db.select(model).filter_by(**lookup))
    if instance is not None:
        for column, text in (texts or {}).items():
            if not getattr(instance, column):
                setattr(instance, column, text)
        return instance, False
    instance = model(**lookup, **(texts or {}), **values)
    db.session.add(instance)
    return instance, True


def _in_languages(field, english, russian, tajik):
    return {f"{field}_en": english, f"{field}_ru": russian, f"{field}_tg": tajik}


def _demo_password(email):
    # Demo accounts exist on a developer's machine only, where these passwords are printed.
    return "demo-" + email.split("@")[0] + "-2026"


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed when there are no users yet.")
def seed_demo(if_empty):
    """Faculties, programs, partners, two open calls and (in development only) one demo user
    per role. Idempotent."""
    development = current_app.config.get("DEVELOPMENT")
    if if_empty and db.session.scalar(db.select(db.func.count(User.id))):
        click.echo("The database already has users; nothing seeded.")
    else:
        created = _seed(with_demo_users=development)
        db.session.commit()
        click.echo(
            f"Seeded demo data: {created} new rows." if created else "Demo data already present; nothing created."
        )
    if development:
        click.echo("\nDemo logins (development only):")
        for email, *_rest, roles in seed_data.DEMO_USERS:
            click.echo(f"  {email:<28} {_demo_password(email):<32} {', '.join(roles) or 'applicant'}")
        return
    # Outside development no account with a published e-mail and password may exist.
    click.echo(
        "No demo accounts outside development: create real ones with `flask --app wsgi create-user EMAIL --role ROLE`."
    )
    active_demo_accounts = db.session.scalars(
        db.select(User.email).where(User.email.in_([row[0] for row in seed_data.DEMO_USERS]), User.active.is_(True))
    ).all()
    if active_demo_accounts:
        click.echo(
            "Warning: demo accounts are active: "
            + ", ".join(sorted(active_demo_accounts))
            + ". Deactivate them on the Users page (/admin/users).",
            err=True,
        )


def _seed(with_demo_users):
    created = 0
    faculties = {}
    for code, *names in seed_data.FACULTIES:
        faculties[code], new = _get_or_create(Faculty, {"code": code}, texts=_in_languages("name", *names))
        created += new
    partners = {}
    for position, (name, country, city, kind, website) in enumerate(seed_data.PARTNERS, 1):
        description = seed_data.PARTNER_DESCRIPTIONS.get(name)
        partners[name], new = _get_or_create(
            Partner,
            {"name": name},
            texts=_in_languages("description", *description) if description else None,
            country=country,
            city=city,
            kind=kind,
            website=website,
        )
        if partners[name].latitude is None and city in seed_data.CITY_COORDINATES:
            # Partners seeded before coordinates existed get them too.
            partners[name].latitude, partners[name].longitude = seed_data.CITY_COORDINATES[city]
        if partners[name].oid is None:
            partners[name].oid = seed_data.demo_oid(position)
        created += new
    programs = {}
    for name, kind, funder in seed_data.PROGRAMS:
        description = seed_data.PROGRAM_DESCRIPTIONS.get(name)
        programs[name], new = _get_or_create(
            Program,
            {"name": name},
            texts=_in_languages("description", *description) if description else None,
            kind=kind,
            funder=funder,
            published=True,
        )
        created += new
    users = {}
    for email, native, latin, category, faculty_code, roles in seed_data.DEMO_USERS if with_demo_users else ():
        user, new = _get_or_create(
            User,
            {"email": email},
            password_hash=hash_password(_demo_password(email)),
            full_name_native=native,
            full_name_latin=latin,
            category=category,
            faculty=faculties.get(faculty_code),
            locale="en",
            email_verified_at=utcnow(),
        )
        if new:
            user.set_roles(roles)
            if "coordinator" in roles:
                user.coordinated_faculties = [faculties[code] for code in ("GERM", "ORIENT", "RPHIL")]
        users[email] = user
        created += new
    db.session.flush()
    created += _seed_agreements(programs, partners)
    created += _seed_calls(programs, partners, users.get("examiner@irflow.example"))
    return created


def _first_academic_year():
    """The first year of the academic year running now (from July on, the coming one)."""
    now = utcnow()
    return now.year if now.month >= 7 else now.year - 1


def _seed_agreements(programs, partners):
    year = _first_academic_year()
    created = 0
    for (
        partner_name,
        program_name,
        title,
        direction,
        mobility_types,
        levels,
        isced_code,
        places,
        months,
        days,
        language,
        language_level,
        contact_name,
        contact_email,
    ) in seed_data.AGREEMENTS:
        partner = partners[partner_name]
        _, new = _get_or_create(
            Agreement,
            {"partner_id": partner.id, "title": title},
            partner=partner,
            program=programs[program_name],
            signed_on=date(year - 1, 6, 1),
            valid_from=date(year - 1, 9, 1),
            valid_until=date(year + 5, 8, 31),
            direction=direction,
            mobility_types=list(mobility_types),
            levels=list(levels),
            isced_code=isced_code,
            places_per_year=places,
            months_per_year=months,
            days_per_year=days,
            language=language,
            language_level=language_level,
            contact_name=contact_name,
            contact_email=contact_email,
        )
        created += new
    return created


def _seed_calls(programs, partners, examiner):
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    year = _first_academic_year()
    academic_year = f"{year}/{year + 1}"
    calls = (
        dict(
            program=programs["Erasmus+ KA171 International Credit Mobility"],
            title=(
                f"Erasmus+ KA171 semester exchange for students, {academic_year}",
                f"Семестровый обмен студентов Erasmus+ KA171, {academic_year}",
                f"Мубодилаи семестрии донишҷӯён Erasmus+ KA171, {academic_year}",
            ),
            description=(
                "A semester of study at a European partner university with full recognition of credits. "
                "A grant covers travel and living costs.",
                "Семестр обучения в европейском университете-партнёре с полным перезачётом кредитов. "
                "Грант покрывает проезд и проживание.",
                "Як семестр таҳсил дар донишгоҳи шарики аврупоӣ бо ба ҳисоб гирифтани пурраи кредитҳо. "
                "Грант хароҷоти роҳ ва зиндагиро мепӯшонад.",
            ),
            mobility_type="study",
            eligible_categories=["bachelor", "master"],
            required_document_kinds=["cv", "motivation_letter", "transcript", "passport"],
            min_months=4,
            max_months=6,
            minimum_total_score=60,
            grade_scale=5,
            hosts=(
                ("Technische Universität Dresden", 2, 5),
                ("Humboldt University of Berlin", 1, 5),
                ("Adam Mickiewicz University, Poznań", 2, 5),
                ("Daugavpils University", 2, 5),
            ),
            criteria=(("English test", "test", 2), ("Interview", "test", 1), ("Average grade", "average_grade", 1)),
            payer="eu_partner",
        ),
        dict(
            program=programs["Bilateral exchange with partner universities"],
            title=(
                f"Teaching and research mobility to partner universities, {academic_year}",
                f"Преподавательская и научная мобильность в университеты-партнёры, {academic_year}",
                f"Мобилияти омӯзгорӣ ва илмӣ ба донишгоҳҳои шарик, {academic_year}",
            ),
            description=(
                "Short teaching or research visits of teachers, PhD candidates and staff to partner universities "
                "in Central Asia and Russia.",
                "Краткие преподавательские или научные визиты преподавателей, докторантов и сотрудников "
                "в университеты-партнёры Центральной Азии и России.",
                "Сафарҳои кӯтоҳмуддати омӯзгорӣ ё илмии омӯзгорон, докторантҳо ва кормандон ба донишгоҳҳои шарики "
                "Осиёи Марказӣ ва Русия.",
            ),
            mobility_type="teaching",
            eligible_categories=["teacher", "phd", "staff"],
            required_document_kinds=["cv", "passport", "recommendation"],
            min_months=1,
            max_months=2,
            minimum_total_score=50,
            grade_scale=5,
            hosts=(
                ("Osh State University", 2, 1),
                ("Al-Farabi Kazakh National University", 2, 1),
                ("Kazan Federal University", 1, 1),
            ),
            criteria=(("Teaching plan", "test", 2), ("Interview", "test", 1)),
            payer="university",
        ),
    )
    created = 0
    for spec in calls:
        hosts, criteria, payer = spec.pop("hosts"), spec.pop("criteria"), spec.pop("payer")
        title, *other_titles = spec.pop("title")
        call, new = _get_or_create(
            Call,
            {"title_en": title},
            texts={
                "title_ru": other_titles[0],
                "title_tg": other_titles[1],
                **_in_languages("description", *spec.pop("description")),
                **_in_languages("test_place", *seed_data.TEST_PLACE),
            },
            academic_year=academic_year,
            opens_at=now - timedelta(days=10),
            closes_at=now + timedelta(days=30),
            test_at=now + timedelta(days=37),
            published=True,
            **spec,
        )
        if new:
            call.places = [
                CallPlace(partner=partners[name], places=places, months=months) for name, places, months in hosts
            ]
            call.criteria = [
                Criterion(
                    **_in_languages("name", name, *seed_data.CRITERIA[name]),
                    source=source,
                    weight=weight,
                    position=index,
                )
                for index, (name, source, weight) in enumerate(criteria)
            ]
            call.examiners = [examiner] if examiner is not None else []
            created += 1 + len(hosts) + len(criteria)
        else:
            for criterion in call.criteria:
                russian, tajik = seed_data.CRITERIA.get(criterion.name_en, (None, None))
                criterion.name_ru = criterion.name_ru or russian
                criterion.name_tg = criterion.name_tg or tajik
        created += _seed_grant_rules(call, payer)
    return created


def _seed_grant_rules(call, payer):
    """Demo grant rules for a demo call without any (calls seeded before grants get them too)."""
    if db.session.scalar(db.select(GrantRules.id).where(GrantRules.call_id == call.id)) is not None:
        return 0
    countries = sorted({place.partner.country for place in call.places})
    rules = GrantRules(
        call=call,
        payer=payer,
        **seed_data.DEMO_GRANT_RATES,
        travel_bands=[
            GrantTravelBand(band=band, amount=amount, green_amount=green)
            for band, (amount, green) in seed_data.DEMO_TRAVEL_BANDS.items()
        ],
        country_groups=[
            GrantCountryGroup(country=country, country_group=seed_data.DEMO_COUNTRY_GROUPS[country])
            for country in countries
            if country in seed_data.DEMO_COUNTRY_GROUPS
        ],
    )
    db.session.add(rules)
    return 1 + len(rules.travel_bands) + len(rules.country_groups)


@click.command("create-user")
@click.argument("email")
@click.option("--role", "roles", multiple=True, type=click.Choice(sorted(ROLES)), help="May be given several times.")
@click.option("--name", "full_name_native", prompt="Full name", help="Full name as the person writes it.")
@click.option("--latin-name", "full_name_latin", prompt="Full name in Latin letters (as in the passport)")
@click.option("--category", type=click.Choice(sorted(CATEGORIES)), default="staff", show_default=True)
@click.option("--faculty", "faculty_code", help="Faculty code, e.g. GERM.")
def create_user(email, roles, full_name_native, full_name_latin, category, faculty_code):
    """Create an account; the password is asked for and never shown."""
    email = email.strip().lower()
    try:
        # The check the registration form makes: notifications are sent to this address.
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.ClickException(f"{email} is not a valid e-mail address: {error}") from None
    if db.session.scalar(db.select(User.id).where(User.email == email)) is not None:
        raise click.ClickException(f"An account with the e-mail {email} already exists.")
    faculty = None
    if faculty_code:
        faculty = db.session.scalar(db.select(Faculty).where(Faculty.code == faculty_code))
        if faculty is None:
            raise click.ClickException(f"No faculty with the code {faculty_code}.")
    while True:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problems = password_problems(password, email)
        if not problems:
            break
        click.echo(" ".join(problems), err=True)
    user = User(
        email=email,
        password_hash=hash_password(password),
        full_name_native=full_name_native,
        full_name_latin=full_name_latin,
        category=category,
        faculty=faculty,
        # The office typed the address itself: nothing to verify.
        email_verified_at=utcnow(),
    )
    user.set_roles(roles)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {email} with roles: {', '.join(sorted(roles)) or 'applicant only'}.")
