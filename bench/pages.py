"""CPU cost of irflow's pages at 10,000 and 100,000 applications, next to a floor page.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/irflow_bench .venv/bin/python bench/pages.py
    ... bench/pages.py --sizes 10000 --repeat 30 --keep
    ... bench/pages.py --sizes 100000 --big-selection     # also a call with 10,000 tested

PostgreSQL only, on this machine (the database backend's CPU is read from /proc). For each
size the script creates the database `<name of TEST_DATABASE_URL>_<size>`, migrates it and
fills it with a year of applications in bulk statements (INSERT ... SELECT generate_series),
then measures each page as a logged-in user of the right role, the pages taking turns.
The databases are dropped at the end; with --keep they stay and a later run reuses them.

CPU per request = this process's CPU time (time.process_time_ns: the app runs here, through
Flask's test client) + the CPU time of the database backends of the app's fixed pool of two
connections (/proc/<pid>/schedstat, nanoseconds; the login's last-seen time is written on a
second connection). Parallel query is off in these databases: its workers' CPU would be missed. The median of
--repeat runs counts. The floor page is a minimal Flask app with psycopg and Jinja rendering
50 rows of one query, measured the same way in the same loop.
"""

import argparse
import gc
import math
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask import Flask, render_template  # noqa: E402
from jinja2 import DictLoader  # noqa: E402

from irflow import create_app  # noqa: E402
from irflow.config import Config, TestConfig  # noqa: E402
from irflow.config import database_url as sqlalchemy_url  # noqa: E402
from irflow.extensions import db  # noqa: E402
from irflow.models.application_count import recount_statements  # noqa: E402
from irflow.models.states import HOLDING_STATES  # noqa: E402

PASSWORD = "Bench password 2026 ✓"  # the one every bench user has; not in the breached list
DOMAIN = "bench.example"
FACULTIES = (
    ("PHY", "Faculty of Physics", "Физический факультет", "Факултети физика"),
    ("MAT", "Faculty of Mathematics", "Математический факультет", "Факултети математика"),
    ("PHI", "Faculty of Philology", "Филологический факультет", "Факултети филология"),
    ("HIS", "Faculty of History", "Исторический факультет", "Факултети таърих"),
    ("ECO", "Faculty of Economics", "Экономический факультет", "Факултети иқтисодиёт"),
    ("LAW", "Faculty of Law", "Юридический факультет", "Факултети ҳуқуқшиносӣ"),
    ("BIO", "Faculty of Biology", "Биологический факультет", "Факултети биология"),
    ("CHE", "Faculty of Chemistry", "Химический факультет", "Факултети химия"),
    ("FLA", "Faculty of Foreign Languages", "Факультет иностранных языков", "Факултети забонҳои хориҷӣ"),
    ("PED", "Faculty of Pedagogy", "Педагогический факультет", "Факултети педагогика"),
)
PROGRAMS = (
    ("Erasmus+ KA171", "erasmus_plus"),
    ("Erasmus Mundus", "erasmus_mundus"),
    ("DAAD scholarships", "daad"),
    ("Bilateral agreements", "bilateral"),
    ("Embassy scholarships", "other"),
)
COUNTRIES = ("DE", "FR", "IT", "ES", "PL", "LT", "LV", "TR", "KR", "CN", "JP", "KZ", "UZ", "KG", "AT", "CZ", "HU")
PARTNERS = 60
PLACES_PER_CALL = 12
# Tajik names: surname stems (+ -ов/-ова), given names by sex, fathers' names (+ -ович/-овна).
SURNAMES = (
    ("Раҳимов", "Rakhimov"),
    ("Назаров", "Nazarov"),
    ("Каримов", "Karimov"),
    ("Шарипов", "Sharipov"),
    ("Ғафуров", "Gafurov"),
    ("Юсупов", "Yusupov"),
    ("Ҳасанов", "Khasanov"),
    ("Қодиров", "Qodirov"),
    ("Саидов", "Saidov"),
    ("Мирзоев", "Mirzoev"),
    ("Тошпулатов", "Toshpulatov"),
    ("Ҷӯраев", "Juraev"),
    ("Исмоилов", "Ismoilov"),
    ("Собиров", "Sobirov"),
    ("Одинаев", "Odinaev"),
    ("Ҳамроев", "Khamroev"),
    ("Зокиров", "Zokirov"),
)
GIVEN_MALE = (
    ("Алишер", "Alisher"),
    ("Фаридун", "Faridun"),
    ("Бобоҷон", "Bobojon"),
    ("Ҷамшед", "Jamshed"),
    ("Шоҳрух", "Shohrukh"),
    ("Далер", "Daler"),
    ("Умед", "Umed"),
    ("Парвиз", "Parviz"),
    ("Фирдавс", "Firdavs"),
    ("Сухроб", "Suhrob"),
    ("Илҳом", "Ilhom"),
)
GIVEN_FEMALE = (
    ("Мадина", "Madina"),
    ("Зарина", "Zarina"),
    ("Нигина", "Nigina"),
    ("Меҳрангез", "Mehrangez"),
    ("Фарангис", "Farangis"),
    ("Шаҳноза", "Shahnoza"),
    ("Дилноза", "Dilnoza"),
    ("Гулрухсор", "Gulrukhsor"),
    ("Манижа", "Manizha"),
    ("Сабрина", "Sabrina"),
    ("Ситора", "Sitora"),
)
FATHERS = (
    "Ҷамшед",
    "Ҳасан",
    "Қодир",
    "Исмоил",
    "Ӯктам",
    "Шоди",
    "Раҳим",
    "Сафар",
    "Карим",
    "Нозим",
    "Баҳром",
    "Тоҳир",
    "Аҳмад",
)
SEARCH = "назаров"  # a surname stem: about one applicant in 17 (both sexes), as the queue's q=

# The workflow's paths: the triggers that lead from draft to each state, in order.
STEPS = {
    "submit": ("draft", "submitted", "owner"),
    "request_changes": ("submitted", "changes_requested", "coordinator"),
    "approve_eligibility": ("submitted", "eligible", "coordinator"),
    "reject_eligibility": ("submitted", "ineligible", "coordinator"),
    "record_score": ("eligible", "tested", "examiner"),
    "mark_absent": ("eligible", "absent", "examiner"),
    "waitlist": ("tested", "waitlisted", "head"),
    "not_select": ("tested", "not_selected", "head"),
    "select": ("tested", "selected", "head"),
    "confirm_place": ("selected", "confirmed", "owner"),
    "decline_place": ("selected", "declined", "owner"),
    "nominate": ("confirmed", "nominated", "coordinator"),
    "host_accept": ("nominated", "host_accepted", "coordinator"),
    "host_reject": ("nominated", "host_rejected", "coordinator"),
    "depart": ("host_accepted", "abroad", "owner"),
    "return_home": ("abroad", "returned", "owner"),
    "submit_report": ("returned", "report_submitted", "owner"),
    "approve_report": ("report_submitted", "completed", "coordinator"),
    "withdraw": (None, "withdrawn", "owner"),
    "cancel": (None, "cancelled", "head"),
}
COMMENTED = {"request_changes", "reject_eligibility", "host_reject", "cancel"}
_TESTED = ["submit", "approve_eligibility", "record_score"]
_ABROAD = _TESTED + ["select", "confirm_place", "nominate", "host_accept", "depart"]
PATHS = {
    "draft": [],
    "submitted": ["submit"],
    "changes_requested": ["submit", "request_changes"],
    "eligible": ["submit", "approve_eligibility"],
    "ineligible": ["submit", "reject_eligibility"],
    "tested": _TESTED,
    "absent": ["submit", "approve_eligibility", "mark_absent"],
    "waitlisted": _TESTED + ["waitlist"],
    "not_selected": _TESTED + ["not_select"],
    "selected": _TESTED + ["select"],
    "declined": _TESTED + ["select", "decline_place"],
    "confirmed": _TESTED + ["select", "confirm_place"],
    "nominated": _TESTED + ["select", "confirm_place", "nominate"],
    "host_accepted": _TESTED + ["select", "confirm_place", "nominate", "host_accept"],
    "host_rejected": _TESTED + ["select", "confirm_place", "nominate", "host_reject"],
    "abroad": _ABROAD,
    "returned": _ABROAD + ["return_home"],
    "report_submitted": _ABROAD + ["return_home", "submit_report"],
    "completed": _ABROAD + ["return_home", "submit_report", "approve_report"],
    "withdrawn": ["submit", "withdraw"],
    "cancelled": ["submit", "approve_eligibility", "cancel"],
}
SCORED = {state for state, path in PATHS.items() if "record_score" in path}
DECIDED = {state for state, path in PATHS.items() if {"select", "waitlist", "not_select"} & set(path)}

# The share of each state in a call, by where the call is in its year. Most of a year's
# applications are being screened or tested; fewer hold a place, fewer still have come back.
PHASES = {
    "screening": {
        "draft": 8,
        "submitted": 34,
        "changes_requested": 5,
        "eligible": 36,
        "ineligible": 5,
        "tested": 10,
        "withdrawn": 2,
    },
    "testing": {"submitted": 4, "eligible": 30, "ineligible": 4, "tested": 54, "absent": 6, "withdrawn": 2},
    "selected": {
        "not_selected": 38,
        "waitlisted": 15,
        "selected": 10,
        "confirmed": 10,
        "declined": 4,
        "nominated": 8,
        "host_accepted": 6,
        "host_rejected": 1,
        "abroad": 6,
        "withdrawn": 1,
        "cancelled": 1,
    },
    "past": {
        "not_selected": 35,
        "declined": 4,
        "withdrawn": 3,
        "cancelled": 1,
        "host_rejected": 2,
        "abroad": 2,
        "returned": 6,
        "report_submitted": 3,
        "completed": 44,
    },
}
PHASE_SHARES = {"screening": 45, "testing": 20, "selected": 20, "past": 15}
SELECTION_TESTED = 2000  # the selection page's call
SHEET_ROWS = {"eligible": 1200, "tested": 800}  # the score sheet's call: 2,000 rows
BIG_SELECTION_TESTED = 10000


# --- the database ----------------------------------------------------------------------


def server_url(database_url, database):
    url = sa.engine.make_url(database_url).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


def create_database(base_url, name):
    with psycopg.connect(server_url(base_url, "postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
        # A parallel query's workers are other processes, whose CPU the benchmark would not see.
        connection.execute(f'ALTER DATABASE "{name}" SET max_parallel_workers_per_gather = 0')


def drop_database(base_url, name):
    with psycopg.connect(server_url(base_url, "postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def built_info(url):
    """The bench_info row of a database built earlier (with --keep), or None."""
    try:
        with psycopg.connect(url) as connection:
            row = connection.execute(
                "SELECT size, big_selection, built_at, selection_call, sheet_call, big_call FROM bench_info"
            ).fetchone()
    except psycopg.Error:
        return None
    return row


def make_app(url, workdir):
    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = sqlalchemy_url(url)
        # A fixed pool, opened before measuring: its backends' CPU is the database's share.
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 2, "max_overflow": 0}
        UPLOAD_FOLDER = os.path.join(workdir, "uploads")
        STATIC_BUILD_FOLDER = os.path.join(workdir, "static")
        MAIL_DELIVER_AFTER_REQUEST = False
        # Production's password cost, not the test suite's cheap one.
        ARGON2_TIME_COST = Config.ARGON2_TIME_COST
        ARGON2_MEMORY_COST = Config.ARGON2_MEMORY_COST
        ARGON2_PARALLELISM = Config.ARGON2_PARALLELISM
        # Staff pages without a TOTP step (their sessions are made directly, as the tests do).
        REQUIRE_2FA_ROLES = ""

    return create_app(BenchConfig)


def migrate(app):
    import logging

    from flask_migrate import upgrade

    logging.disable(logging.INFO)
    with app.app_context():
        upgrade()
    logging.disable(logging.NOTSET)


def _plan(size, big_selection):
    """[(call dict, {state: count})]: the calls of the year and their applications."""
    now = datetime.now(UTC).replace(microsecond=0)
    year = now.year if now.month >= 8 else now.year - 1
    this_year, last_year = f"{year}/{year + 1}", f"{year - 1}/{year}"
    calls = []

    def call(phase, number, title):
        opens = {
            "screening": now - timedelta(days=40),
            "testing": now - timedelta(days=70),
            "selected": now - timedelta(days=120),
            "past": now - timedelta(days=480),
        }[phase]
        confirmed = {"selected": now - timedelta(days=40), "past": now - timedelta(days=400)}.get(phase)
        return {
            "phase": phase,
            "title": title,
            "mobility_type": ("study", "study", "teaching", "research", "training")[number % 5],
            "academic_year": last_year if phase == "past" else this_year,
            "opens_at": opens,
            "closes_at": opens + timedelta(days=50),
            "test_at": opens + timedelta(days=65),
            "selection_confirmed_at": confirmed,
            "program": number % len(PROGRAMS),
        }

    special = [
        (call("testing", 0, "Selection call"), {"tested": SELECTION_TESTED, "absent": 120, "ineligible": 80}),
        (call("testing", 1, "Score sheet call"), dict(SHEET_ROWS, ineligible=100)),
    ]
    regular_total = size - sum(sum(counts.values()) for _call, counts in special)
    number_of_calls = max(4, size // 2500)
    regular = []
    for phase, share in PHASE_SHARES.items():
        phase_calls = max(1, round(number_of_calls * share / 100))
        phase_total = regular_total * share // 100
        for _index in range(phase_calls):
            applications = phase_total // phase_calls
            weights = PHASES[phase]
            counts = {state: applications * weight // 100 for state, weight in weights.items()}
            # What rounding left over goes to the phase's commonest state.
            commonest = max(weights, key=weights.get)
            counts[commonest] += applications - sum(counts.values())
            number = len(regular) + 2
            regular.append((call(phase, number, f"{PROGRAMS[number % len(PROGRAMS)][0]} call {number}"), counts))
    calls = special + regular
    # Whatever the integer division lost goes to the biggest screening call.
    missing = size - sum(sum(counts.values()) for _call, counts in calls)
    calls[2][1]["submitted"] += missing
    if big_selection:
        calls.append((call("testing", 2, "Big selection call"), {"tested": BIG_SELECTION_TESTED}))
    return now, calls


def build(url, size, big_selection):
    """Fill a migrated, empty database; returns nothing (bench_info holds what pages need)."""
    now, plan = _plan(size, big_selection)
    with psycopg.connect(url) as connection:
        cursor = connection.cursor()
        run = cursor.execute
        # Triggers (the foreign keys' and the places' guard) off while bulk-inserting rows made
        # consistent here; the places are checked once at the end instead.
        run("SET LOCAL session_replication_role = replica")

        def ids(query, rows):
            found = []
            for row in rows:
                run(query, row)
                found.append(cursor.fetchone()[0])
            return found

        faculty_ids = ids(
            "INSERT INTO faculties (code, name_en, name_ru, name_tg) VALUES (%s, %s, %s, %s) RETURNING id", FACULTIES
        )
        program_ids = ids(
            "INSERT INTO programs (name, kind, published, created_at) VALUES (%s, %s, true, now()) RETURNING id",
            PROGRAMS,
        )
        partner_ids = ids(
            "INSERT INTO partners (name, country, city, kind, created_at) VALUES (%s, %s, %s, 'university', now())"
            " RETURNING id",
            [(f"University {n + 1:02d}", COUNTRIES[n % len(COUNTRIES)], f"City {n + 1}") for n in range(PARTNERS)],
        )

        # Staff: the head, a coordinator of two faculties, an examiner; and the applicant whose
        # "My applications" page is measured.
        def user(email, native, latin, category, faculty, roles=(), locale="ru"):
            run(
                "INSERT INTO users (email, password_hash, full_name_native, full_name_latin, category, faculty_id,"
                " locale, timezone, active, created_at, email_verified_at, privacy_consent_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, 'Asia/Dushanbe', true, now(), now(), now()) RETURNING id",
                (email, password_hash, native, latin, category, faculty, locale),
            )
            user_id = cursor.fetchone()[0]
            for role in roles:
                run("INSERT INTO user_roles (user_id, role) VALUES (%s, %s)", (user_id, role))
            return user_id

        password_hash = _password_hash()
        head = user(f"head@{DOMAIN}", "Сафаров Сардор", "SAFAROV SARDOR", "staff", faculty_ids[0], ["head"])
        coordinator = user(
            f"coordinator@{DOMAIN}", "Ҳакимова Гулнора", "KHAKIMOVA GULNORA", "staff", faculty_ids[1], ["coordinator"]
        )
        for faculty in faculty_ids[:2]:
            run("INSERT INTO coordinator_faculties (user_id, faculty_id) VALUES (%s, %s)", (coordinator, faculty))
        examiner = user(f"examiner@{DOMAIN}", "Раҷабов Нозим", "RAJABOV NOZIM", "teacher", faculty_ids[8], ["examiner"])
        me = user(f"me@{DOMAIN}", "Назарова Мадина Ҳасановна", "NAZAROVA MADINA", "master", faculty_ids[2], locale="tg")

        # Calls, their places (12 hosts each) and criteria (two tests and the average grade).
        call_ids = []
        for number, (call, counts) in enumerate(plan):
            run(
                "INSERT INTO calls (program_id, mobility_type, eligible_categories, required_document_kinds,"
                " academic_year, opens_at, closes_at, test_at, min_months, max_months, minimum_total_score,"
                " grade_scale, offer_reply_days, changes_reply_days, published, selection_confirmed_at, created_at,"
                " title_en, title_ru, title_tg, description_en)"
                ' VALUES (%s, %s, \'["bachelor", "master", "phd", "teacher", "staff"]\','
                ' \'["cv", "motivation_letter", "passport"]\', %s, %s, %s, %s, 1, 10, 50, 5, 7, 7, true, %s,'
                " %s, %s, %s, %s, %s) RETURNING id",
                (
                    program_ids[call["program"]],
                    call["mobility_type"],
                    call["academic_year"],
                    call["opens_at"],
                    call["closes_at"],
                    call["test_at"],
                    call["selection_confirmed_at"],
                    call["opens_at"],
                    f"{call['title']} {call['academic_year']}",
                    f"Конкурс {number + 1} {call['academic_year']}",
                    f"Озмун {number + 1} {call['academic_year']}",
                    "Outgoing mobility for students and staff.",
                ),
            )
            call_id = cursor.fetchone()[0]
            call_ids.append(call_id)
            holding = sum(count for state, count in counts.items() if state in HOLDING_STATES)
            places = math.ceil(holding / PLACES_PER_CALL) + 3
            call["places"] = ids(
                "INSERT INTO call_places (call_id, partner_id, places, months) VALUES (%s, %s, %s, %s) RETURNING id",
                [
                    (call_id, partner_ids[(number * 7 + k) % PARTNERS], places, 3 + k % 7)
                    for k in range(PLACES_PER_CALL)
                ],
            )
            for position, (source, weight, names) in enumerate(
                (
                    ("test", 2, ("Language test", "Языковой тест", "Санҷиши забон")),
                    ("test", 1, ("Interview", "Собеседование", "Мусоҳиба")),
                    ("average_grade", 1, ("Average grade", "Средний балл", "Баҳои миёна")),
                )
            ):
                run(
                    "INSERT INTO criteria (call_id, source, weight, position, name_en, name_ru, name_tg)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (call_id, source, weight, position, *names),
                )
            if call["phase"] in ("testing", "selected", "past"):
                run("INSERT INTO call_examiners (call_id, user_id) VALUES (%s, %s)", (call_id, examiner))

        # Applicants: one user per application, names in Tajik Cyrillic with their Latin form.
        total = sum(sum(counts.values()) for _call, counts in plan)
        run(
            """
            INSERT INTO users (email, password_hash, full_name_native, full_name_latin, category, faculty_id, phone,
                               locale, timezone, active, created_at, email_verified_at, privacy_consent_at)
            SELECT 'applicant' || g || '@' || %(domain)s, %(hash)s,
                   s.native || CASE WHEN female THEN 'а ' ELSE ' ' END || n.native || ' '
                       || (%(fathers)s::text[])[1 + mod(g / 7, %(father_count)s)]
                       || CASE WHEN female THEN 'овна' ELSE 'ович' END,
                   upper(s.latin || CASE WHEN female THEN 'A ' ELSE ' ' END || n.latin),
                   (ARRAY['bachelor','bachelor','bachelor','master','master','phd','teacher','staff'])[1 + mod(g, 8)],
                   (%(faculties)s::int[])[1 + mod(g, 10)],
                   '+992 92 ' || lpad(g::text, 7, '0'),
                   (ARRAY['tg','tg','ru','en'])[1 + mod(g, 4)], 'Asia/Dushanbe', true,
                   %(now)s - make_interval(days => 30 + mod(g, 700)), %(now)s, %(now)s
            FROM generate_series(1, %(total)s) g
            CROSS JOIN LATERAL (SELECT mod(g, 2) = 1 AS female) sex
            JOIN unnest(%(surnames)s::text[], %(surnames_latin)s::text[]) WITH ORDINALITY s(native, latin, k)
                ON s.k = 1 + mod(g / 2, %(surname_count)s)
            JOIN unnest(CASE WHEN female THEN %(female)s::text[] ELSE %(male)s::text[] END,
                        CASE WHEN female THEN %(female_latin)s::text[] ELSE %(male_latin)s::text[] END)
                 WITH ORDINALITY n(native, latin, k)
                ON n.k = 1 + mod(g / 3, %(given_count)s)
            """,
            {
                "domain": DOMAIN,
                "hash": password_hash,
                "fathers": list(FATHERS),
                "father_count": len(FATHERS),
                "faculties": faculty_ids,
                "total": total,
                "now": now,
                "surnames": [native for native, _latin in SURNAMES],
                "surnames_latin": [latin for _native, latin in SURNAMES],
                "surname_count": len(SURNAMES),
                "female": [native for native, _latin in GIVEN_FEMALE],
                "female_latin": [latin for _native, latin in GIVEN_FEMALE],
                "male": [native for native, _latin in GIVEN_MALE],
                "male_latin": [latin for _native, latin in GIVEN_MALE],
                "given_count": len(GIVEN_MALE),
            },
        )
        run("SELECT min(id), max(id) FROM users WHERE email LIKE 'applicant%%'")
        first, last = cursor.fetchone()
        assert last - first + 1 == total, "applicants' ids are not contiguous"

        # Applications: per call and state one INSERT ... SELECT over a range of applicants.
        offset = 0
        for call_id, (call, counts) in zip(call_ids, plan, strict=True):
            for state, count in counts.items():
                if not count:
                    continue
                _insert_applications(run, call_id, call, state, first + offset, count, now)
                offset += count
        # The measured applicant: a completed mobility last year, one waiting this year.
        past_call = next(index for index, (call, _counts) in enumerate(plan) if call["phase"] == "past")
        screening_call = next(index for index, (call, _counts) in enumerate(plan) if call["phase"] == "screening")
        selected_call = next(index for index, (call, _counts) in enumerate(plan) if call["phase"] == "selected")
        for index, state in ((past_call, "completed"), (selected_call, "confirmed"), (screening_call, "submitted")):
            _insert_applications(run, call_ids[index], plan[index][0], state, me, 1, now)

        _insert_rest(run, head, coordinator, examiner, now)
        run(
            "SELECT count(*) FROM call_places p WHERE places < (SELECT count(*) FROM applications a"
            " WHERE a.allocated_place_id = p.id AND a.state = ANY(%s))",
            (sorted(HOLDING_STATES),),
        )
        assert cursor.fetchone()[0] == 0, "a host place is held more often than it is offered"
        # The counts the triggers keep (application_counts), made once from the rows built.
        for statement in recount_statements():
            run(statement)
        run(
            "CREATE TABLE bench_info (size integer, big_selection boolean, built_at timestamptz,"
            " selection_call integer, sheet_call integer, big_call integer)"
        )
        run(
            "INSERT INTO bench_info VALUES (%s, %s, now(), %s, %s, %s)",
            (size, big_selection, call_ids[0], call_ids[1], call_ids[-1] if big_selection else None),
        )
        connection.commit()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def _password_hash():
    from argon2 import PasswordHasher, Type

    return PasswordHasher(
        time_cost=Config.ARGON2_TIME_COST,
        memory_cost=Config.ARGON2_MEMORY_COST,
        parallelism=Config.ARGON2_PARALLELISM,
        type=Type.ID,
    ).hash(PASSWORD)


def _insert_applications(run, call_id, call, state, first_applicant, count, now):
    path = PATHS[state]
    holding = state in HOLDING_STATES
    places = call["places"]
    run(
        """
        INSERT INTO applications (call_id, applicant_id, faculty_id, state, version, motivation, average_grade,
            language, cefr_level, planned_start, planned_end, allocated_place_id, total_score, rank, offer_deadline,
            actual_departure, actual_return, created_at, updated_at, submitted_at)
        SELECT %(call)s, u.id, u.faculty_id, %(state)s::varchar, %(version)s,
               'Хочу учиться за рубежом и привезти опыт на свой факультет. ' || repeat('Мотиватсия. ', 20),
               3 + mod(u.id * 37, 200) / 100.0, 'English', (ARRAY['A2','B1','B2','C1'])[1 + mod(u.id, 4)],
               %(start)s, %(end)s,
               CASE WHEN %(holding)s THEN (%(places)s::int[])[1 + mod(u.id + 5, %(place_count)s)] END,
               CASE WHEN %(decided)s THEN 50 + mod(u.id * 13, 5000) / 100.0 END,
               NULL,
               CASE WHEN %(offered)s THEN %(now)s + interval '5 days' END,
               CASE WHEN %(departed)s THEN %(departed_on)s::date END,
               CASE WHEN %(returned)s THEN %(now)s::date - 10 - mod(u.id, 200) END,
               %(opens)s + make_interval(hours => mod(u.id * 7, 1000)),
               %(now)s - make_interval(hours => mod(u.id, 500)),
               CASE WHEN %(submitted)s THEN %(opens)s + make_interval(hours => 1 + mod(u.id * 11, 1000)) END
        FROM users u WHERE u.id BETWEEN %(first)s AND %(last)s
        """,
        {
            "call": call_id,
            "state": state,
            "offered": state == "selected",
            "version": 1 + len(path),
            "start": (call["opens_at"] + timedelta(days=150)).date(),
            "end": (call["opens_at"] + timedelta(days=300)).date(),
            "holding": holding,
            "places": places,
            "place_count": len(places),
            "decided": state in DECIDED,
            "now": now,
            "departed": "depart" in path,
            "departed_on": (now - timedelta(days=300)).date() if call["phase"] == "past" else now.date(),
            "returned": "return_home" in path,
            "opens": call["opens_at"],
            "submitted": bool(path),
            "first": first_applicant,
            "last": first_applicant + count - 1,
        },
    )


def _insert_rest(run, head, coordinator, examiner, now):
    """Ranks, host choices, scores, the transition log, documents and return reports."""
    run("""
        UPDATE applications a SET rank = ranked.rank
        FROM (SELECT id, row_number() OVER (PARTITION BY call_id ORDER BY total_score DESC, submitted_at) AS rank
              FROM applications WHERE total_score IS NOT NULL) ranked
        WHERE ranked.id = a.id
    """)
    # 1-3 choices among the call's places; the first is the one a holder was given.
    run("""
        WITH place AS (
            SELECT id, call_id, row_number() OVER (PARTITION BY call_id ORDER BY id) - 1 AS k,
                   count(*) OVER (PARTITION BY call_id) AS n
            FROM call_places)
        INSERT INTO application_choices (application_id, rank, call_place_id)
        SELECT a.id, r, place.id
        FROM applications a
        CROSS JOIN generate_series(1, 3) r
        JOIN place ON place.call_id = a.call_id AND place.k = mod(a.applicant_id + 5 + (r - 1) * 5, place.n)
        WHERE r <= 1 + mod(a.applicant_id, 3)
    """)
    run(
        """
        INSERT INTO scores (application_id, criterion_id, value, examiner_id, recorded_at)
        SELECT a.id, c.id, 30 + mod(a.id * 7 + c.position * 13, 71), %(examiner)s, a.submitted_at + interval '20 days'
        FROM applications a JOIN criteria c ON c.call_id = a.call_id AND c.source = 'test'
        WHERE a.state = ANY(%(scored)s)
        """,
        {"examiner": examiner, "scored": sorted(SCORED)},
    )
    # Each step starts where the one before it ended (withdraw and cancel come from anywhere).
    steps = [
        (state, number, trigger, STEPS[path[number - 1]][1] if number else "draft", STEPS[trigger][1])
        for state, path in PATHS.items()
        for number, trigger in enumerate(path)
    ]
    run(
        """
        INSERT INTO transition_log (application_id, trigger, from_state, to_state, actor_id, comment, created_at)
        SELECT a.id, step.trigger, step.from_state, step.to_state,
               CASE step.actor WHEN 'owner' THEN a.applicant_id WHEN 'coordinator' THEN %(coordinator)s
                    WHEN 'examiner' THEN %(examiner)s ELSE %(head)s END,
               CASE WHEN step.trigger = ANY(%(commented)s) THEN 'Пожалуйста, исправьте и дополните документы.' END,
               a.submitted_at + make_interval(days => step.number * 9)
        FROM applications a
        JOIN unnest(%(states)s::text[], %(numbers)s::int[], %(triggers)s::text[], %(froms)s::text[],
                    %(tos)s::text[], %(actors)s::text[]) step(state, number, trigger, from_state, to_state, actor)
            ON step.state = a.state
        ORDER BY a.id, step.number
        """,
        {
            "coordinator": coordinator,
            "examiner": examiner,
            "head": head,
            "commented": sorted(COMMENTED),
            "states": [step[0] for step in steps],
            "numbers": [step[1] for step in steps],
            "triggers": [step[2] for step in steps],
            "froms": [step[3] for step in steps],
            "tos": [step[4] for step in steps],
            "actors": [STEPS[step[2]][2] for step in steps],
        },
    )
    run(
        """
        INSERT INTO documents (application_id, kind, original_name, stored_name, content_type, size, sha256,
                               uploaded_by_id, uploaded_at)
        SELECT a.id, kind, kind || '.pdf', md5(a.id || kind), 'application/pdf', 50000 + mod(a.id, 900000),
               encode(sha256((a.id || kind)::bytea), 'hex'), a.applicant_id, a.created_at + interval '1 hour'
        FROM applications a CROSS JOIN unnest(ARRAY['cv', 'motivation_letter', 'passport']) kind
        WHERE a.state <> 'draft' OR mod(a.id, 2) = 0
        """
    )
    run(
        """
        INSERT INTO return_reports (application_id, activities, results, credits_recognised, recommendation,
                                    created_at, updated_at)
        SELECT id, 'Лекции и семинары.', 'Курсы сданы.', 30, 'Рекомендую.', %(now)s, %(now)s
        FROM applications WHERE state IN ('report_submitted', 'completed')
        """,
        {"now": now},
    )


# --- measuring -------------------------------------------------------------------------


def backend_cpu_ns(pid):
    """CPU time of a process on this machine, in nanoseconds: the first field of schedstat
    (the same time as stat's utime + stime, which only counts in 10 ms ticks)."""
    try:
        with open(f"/proc/{pid}/schedstat", encoding="ascii") as stat:
            return int(stat.read().split()[0])
    except OSError:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


FLOOR_TEMPLATE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Floor</title></head><body>
<table><thead><tr><th>No.</th><th>Name</th><th>Latin name</th><th>State</th><th>Submitted</th></tr></thead><tbody>
{% for row in rows %}<tr><td><a href="/applications/{{ row[0] }}">{{ row[0] }}</a></td><td>{{ row[1] }}</td>
<td>{{ row[2] }}</td><td>{{ row[3] }}</td><td>{{ row[4].strftime('%d.%m.%Y %H:%M') if row[4] else '' }}</td></tr>
{% endfor %}</tbody></table></body></html>"""


def floor_app(url):
    """A minimal Flask app: one psycopg connection, one query, Jinja rendering its 50 rows."""
    app = Flask("floor")
    app.jinja_loader = DictLoader({"floor.html": FLOOR_TEMPLATE})  # compiled once, cached like a file's
    connection = psycopg.connect(url, autocommit=True)

    @app.route("/")
    def index():
        rows = connection.execute(
            "SELECT a.id, u.full_name_native, u.full_name_latin, a.state, a.submitted_at"
            " FROM applications a JOIN users u ON u.id = a.applicant_id ORDER BY a.id DESC LIMIT 50"
        ).fetchall()
        return render_template("floor.html", rows=rows)

    pid = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
    return app, connection, pid


class Page:
    def __init__(self, name, rows, request, expect=200):
        self.name, self.rows, self.request, self.expect = name, rows, request, expect
        self.cpu, self.statements = [], []


def csrf_token(text):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text).group(1)


def staff_clients(app):
    """Logged-in test clients by e-mail: sessions recorded as a real login records them."""
    from irflow.auth.sessions import start_session
    from irflow.models import User

    clients = {}
    with app.app_context():
        for who in ("head", "coordinator", "examiner", "me"):
            user = db.session.scalar(sa.select(User).where(User.email == f"{who}@{DOMAIN}"))
            token = start_session(user, user_agent="bench", address="127.0.0.1")
            db.session.commit()
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = token
                session["_fresh"] = True
            clients[who] = client
    return clients


def login_request(app):
    """A POST of the login form from a fresh browser (the form fetched first, not timed)."""

    def prepare():
        client = app.test_client()
        token = csrf_token(client.get("/auth/login").get_data(as_text=True))
        return lambda: client.post(
            "/auth/login", data={"email": f"me@{DOMAIN}", "password": PASSWORD, "csrf_token": token}
        )

    return prepare


def pages_for(app, info, counts, floor):
    clients = staff_clients(app)
    head, examiner, me = clients["head"], clients["examiner"], clients["me"]
    size, big_selection, _built, selection_call, sheet_call, big_call = info
    queued = counts["queue"]

    def get(client, path):
        return lambda: lambda: client.get(path)

    pages = [
        Page("floor: Flask + psycopg + Jinja, 50 rows", 50, get(floor, "/")),
        Page("review queue, page 1 (head)", f"50 of {queued:,}", get(head, "/review/")),
        Page("review queue, page 150 (head)", f"50 of {queued:,}", get(head, "/review/?page=150")),
        Page(
            f"review queue, search q={SEARCH} (head)",
            f"50 of {counts['search']:,}",
            get(head, "/review/?q=" + SEARCH),
        ),
        Page("selection page (head)", f"{SELECTION_TESTED:,} tested", get(head, f"/calls/{selection_call}/selection")),
    ]
    if big_call:
        pages.append(
            Page("selection page (head)", f"{BIG_SELECTION_TESTED:,} tested", get(head, f"/calls/{big_call}/selection"))
        )
    pages += [
        Page("score sheet (examiner)", f"{sum(SHEET_ROWS.values()):,}", get(examiner, f"/calls/{sheet_call}/scores")),
        Page("dashboard (head)", f"{size:,} counted", get(head, "/dashboard/")),
        Page("my applications (applicant)", "3", get(me, "/applications/")),
        Page("login (POST, Argon2 m=19 MiB t=2 p=1)", "-", login_request(app), expect=302),
    ]
    return pages


def backend_pids(engine, connections=2):
    """Open the pool's connections now and return their backends' pids.

    The pool's size is this `connections`: a request uses one, and the login's last-seen
    time is written on a second one of its own (irflow/auth/sessions.py)."""
    engine.dispose()
    held = [engine.connect() for _ in range(connections)]
    pids = {connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() for connection in held}
    for connection in held:
        connection.close()
    return pids


def cpu_ns(pids):
    return sum(backend_cpu_ns(pid) for pid in pids)


def measure(app, url, info, repeat):
    floor, floor_connection, floor_pid = floor_app(url)
    statements = []

    with app.app_context():
        engine = db.engine
        app_pids = backend_pids(engine)
        with engine.connect() as connection:
            queued = connection.exec_driver_sql("SELECT count(*) FROM applications WHERE state <> 'draft'").scalar()
            found = connection.exec_driver_sql(
                "SELECT count(*) FROM applications a JOIN users u ON u.id = a.applicant_id"
                " WHERE a.state <> 'draft' AND (lower(u.full_name_native) LIKE %(p)s"
                " OR lower(u.full_name_latin) LIKE %(p)s OR lower(u.email) LIKE %(p)s)",
                {"p": f"%{SEARCH}%"},
            ).scalar()

    def record(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    opened = []
    sa.event.listen(engine, "before_cursor_execute", record)
    sa.event.listen(engine, "connect", lambda *arguments: opened.append(arguments))
    pages = pages_for(app, info, {"queue": queued, "search": found}, floor.test_client())
    for page in pages:  # warm-up: imports, template and statement caches
        response = page.request()()
        assert response.status_code == page.expect, (page.name, response.status)
    for _ in range(repeat):
        for page in pages:
            send = page.request()
            pids = {floor_pid} if page.name.startswith("floor") else app_pids
            gc.collect()
            statements.clear()
            started, backend_started = time.process_time_ns(), cpu_ns(pids)
            response = send()
            response.get_data()
            cpu = time.process_time_ns() - started + cpu_ns(pids) - backend_started
            assert response.status_code == page.expect, (page.name, response.status)
            page.cpu.append(cpu / 1e6)
            page.statements.append(1 if page.name.startswith("floor") else len(statements))
    sa.event.remove(engine, "before_cursor_execute", record)
    # Every request ran on the connections whose backends were read.
    assert not opened, "the pool opened another connection while measuring"
    engine.dispose()
    floor_connection.close()
    return pages


def print_table(results, repeat):
    print(f"CPU milliseconds per request (worker + database backend), median of {repeat} runs; ")
    print("ratio = floor ÷ page (1.0 would be as cheap as the floor).\n")
    print("| size | page | rows | ms/request (CPU) | floor ms | ratio | SQL statements |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for size, pages in results.items():
        floor = statistics.median(pages[0].cpu)
        for page in pages[1:]:
            milliseconds = statistics.median(page.cpu)
            low, high = min(page.statements), max(page.statements)
            count = str(low) if low == high else f"{low}–{high}"
            print(
                f"| {size:,} | {page.name} | {page.rows} | {milliseconds:.1f} | {floor:.1f} |"
                f" {floor / milliseconds:.3f} | {count} |"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10000, 100000], help="applications (default 10000 100000)"
    )
    parser.add_argument("--repeat", type=int, default=20, help="measured requests per page (the median counts)")
    parser.add_argument("--keep", action="store_true", help="keep the databases, and reuse ones built before")
    parser.add_argument(
        "--big-selection", action="store_true", help=f"add a call with {BIG_SELECTION_TESTED:,} tested applicants"
    )
    arguments = parser.parse_args()
    base = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not base or not base.startswith(("postgresql", "postgres:")):
        parser.error("set TEST_DATABASE_URL to a PostgreSQL database on this machine")
    base = sqlalchemy_url(base).replace("postgresql+psycopg://", "postgresql://")
    base_name = sa.engine.make_url(base).database or "irflow_bench"

    results = {}
    with tempfile.TemporaryDirectory(prefix="irflow-bench-") as workdir:
        for size in arguments.sizes:
            name = f"{base_name}_{size}"
            url = server_url(base, name)
            info = built_info(url) if arguments.keep else None
            if info is None or info[0] != size or info[1] != arguments.big_selection:
                create_database(base, name)
                app = make_app(url, workdir)
                migrate(app)
                started = time.perf_counter()
                build(url, size, arguments.big_selection)
                print(f"{name}: built {size:,} applications in {time.perf_counter() - started:.1f} s", file=sys.stderr)
                info = built_info(url)
            else:
                app = make_app(url, workdir)
                migrate(app)  # a kept database follows the code's migrations
                print(f"{name}: reusing the database built {info[2]:%Y-%m-%d %H:%M}", file=sys.stderr)
            try:
                started = time.perf_counter()
                results[size] = measure(app, url, info, arguments.repeat)
                print(f"{name}: measured in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            finally:
                if not arguments.keep:
                    drop_database(base, name)
    print_table(results, arguments.repeat)


if __name__ == "__main__":
    main()
