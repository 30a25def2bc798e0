"""Benchmark of the selected participants export against bare writers.

    .venv/bin/python bench/export.py                     # 2,000 and 10,000 rows
    .venv/bin/python bench/export.py --rows 1000 --rows 50000 --repeat 5

Uses a temporary SQLite database, or TEST_DATABASE_URL / DATABASE_URL when set (the
schema is migrated there if needed; the benchmark's rows carry a tag and are deleted at
the end). For each row count it inserts that many selected participants of one call in a
few bulk statements and then measures, in the same run:

  irflow XLSX   GET /calls/<id>/export/selected.xlsx through the Flask app (login, scope,
                the query, spreadsheets.xlsx_file) with the whole body consumed
  bare XLSX     XlsxWriter constant_memory, the same workbook options, write_row of the
                same rows prepared in advance as plain tuples, into a temporary file that is
                then read back in 64 KB chunks
  irflow CSV    GET /calls/<id>/export/selected.csv, whole body consumed
  bare CSV      csv.writer(...).writerows of the same prepared tuples into a temporary file

Time: the best of --repeat runs, the four measures taking turns; wall time (the target) and
this process's CPU time (steadier on a busy machine; it leaves out the database server's
share on PostgreSQL). Memory: tracemalloc's peak in a separate run (Python
allocations only; the prepared rows of the bare writers exist before tracing starts), and
the growth of the peak resident set size (VmHWM) of a fresh child process over the same
work, after a warm-up on a 50-row call.
"""

import argparse
import csv
import gc
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
import xlsxwriter  # noqa: E402

from irflow import create_app  # noqa: E402
from irflow.config import TestConfig  # noqa: E402
from irflow.config import database_url as sqlalchemy_url  # noqa: E402
from irflow.exports.queries import export_scope, selected_participant_rows  # noqa: E402
from irflow.extensions import db  # noqa: E402
from irflow.models import Application, Call, CallPlace, Faculty, Partner, Program, User  # noqa: E402
from irflow.models.base import utcnow  # noqa: E402
from irflow.services.spreadsheets import (  # noqa: E402
    SELECTED_PARTICIPANT_COLUMNS,
    WORKBOOK_OPTIONS,
    headers,
)
from irflow.workflow.states import HOLDING_STATES  # noqa: E402

MEASURES = ("irflow_xlsx", "bare_xlsx", "irflow_csv", "bare_csv")
LABELS = {"irflow_xlsx": "irflow XLSX", "bare_xlsx": "bare XLSX", "irflow_csv": "irflow CSV", "bare_csv": "bare CSV"}
WARM_UP_ROWS = 50
NATIVE_NAMES = (
    "Раҳимов Алишер Ҷамшедович",
    "Назарова Мадина Ҳасановна",
    "Каримов Фаридун Шодиевич",
    "Шарипова Зарина Қодировна",
    "Ғафуров Бобоҷон Исмоилович",
    "Юсупова Нигина Ӯктамовна",
)
LATIN_NAMES = (
    "RAKHIMOV ALISHER",
    "NAZAROVA MADINA",
    "KARIMOV FARIDUN",
    "SHARIPOVA ZARINA",
    "GAFUROV BOBOJON",
    "YUSUPOVA NIGINA",
)
COUNTRIES = (
    "DE",
    "FR",
    "IT",
    "ES",
    "PL",
    "LT",
    "LV",
    "TR",
    "KR",
    "CN",
    "JP",
    "KZ",
    "UZ",
    "KG",
    "AT",
    "CZ",
    "HU",
    "PT",
    "NL",
    "GB",
)


# --- set-up ------------------------------------------------------------------------------


def make_app(database_url, upload_folder):
    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = sqlalchemy_url(database_url)
        UPLOAD_FOLDER = upload_folder

    return create_app(BenchConfig)


def migrate(app):
    from flask_migrate import upgrade

    logging.disable(logging.INFO)  # Alembic's progress lines
    with app.app_context():
        upgrade()
    logging.disable(logging.NOTSET)


def seed(app, tag, row_counts):
    """One head, eight faculties, one program, twenty partners, and per row count a call
    with that many selected participants. Returns ({row count: call id}, head token)."""
    now = utcnow()
    with app.app_context():
        session = db.session
        faculty_ids = session.scalars(
            sa.insert(Faculty).returning(Faculty.id, sort_by_parameter_order=True),
            [{"name": f"Bench {tag} факултет {n}", "code": f"B{tag[:8]}{n}"} for n in range(8)],
        ).all()
        program_id = session.scalar(
            sa.insert(Program).returning(Program.id),
            [{"name": f"Bench {tag} Erasmus+ KA171", "kind": "erasmus_plus", "published": True}],
        )
        partner_ids = session.scalars(
            sa.insert(Partner).returning(Partner.id, sort_by_parameter_order=True),
            [
                {"name": f"Bench {tag} University {n}", "country": country, "city": "City", "kind": "university"}
                for n, country in enumerate(COUNTRIES)
            ],
        ).all()
        head = User(
            email=f"bench-{tag}-head@example.org",
            password_hash="-",
            full_name_native="Сардор",
            full_name_latin="HEAD",
            category="staff",
            locale="en",
        )
        head.set_roles(["head"])
        session.add(head)
        session.flush()
        head_token = head.session_token

        states = sorted(HOLDING_STATES)
        calls = {}
        for count in sorted(set(row_counts) | {WARM_UP_ROWS}):
            call_id = session.scalar(
                sa.insert(Call).returning(Call.id),
                [
                    {
                        "program_id": program_id,
                        "title": f"Bench {tag} call of {count} participants",
                        "mobility_type": "study",
                        "eligible_categories": ["bachelor", "master"],
                        "required_document_kinds": [],
                        "academic_year": "2099/2100",
                        "opens_at": now - timedelta(days=60),
                        "closes_at": now - timedelta(days=30),
                        "published": True,
                    }
                ],
            )
            place_ids = session.scalars(
                sa.insert(CallPlace).returning(CallPlace.id, sort_by_parameter_order=True),
                [
                    {"call_id": call_id, "partner_id": partner_id, "places": count, "months": 3 + n % 7}
                    for n, partner_id in enumerate(partner_ids)
                ],
            ).all()
            user_ids = session.scalars(
                sa.insert(User).returning(User.id, sort_by_parameter_order=True),
                [
                    {
                        "email": f"bench-{tag}-{count}-{n}@example.org",
                        "password_hash": "-",
                        "session_token": f"bench-{tag}-{count}-{n}",
                        # Every 97th name tries a formula: the escaping is on the measured path.
                        "full_name_native": (
                            '=HYPERLINK("http://evil.example","x")'
                            if n % 97 == 0
                            else NATIVE_NAMES[n % len(NATIVE_NAMES)]
                        ),
                        "full_name_latin": f"{LATIN_NAMES[n % len(LATIN_NAMES)]} {n:06d}",
                        "category": ("bachelor", "master", "phd", "teacher", "staff")[n % 5],
                        "faculty_id": faculty_ids[n % len(faculty_ids)],
                        "phone": f"+992 92 {n:07d}",
                        "locale": "tg",
                    }
                    for n in range(count)
                ],
            ).all()
            session.execute(
                sa.insert(Application),
                [
                    {
                        "call_id": call_id,
                        "applicant_id": user_id,
                        "faculty_id": faculty_ids[n % len(faculty_ids)],
                        "state": states[n % len(states)],
                        "version": 1,
                        "planned_start": date(2100, 2, 1),
                        "planned_end": date(2100, 6, 30),
                        "allocated_place_id": place_ids[n % len(place_ids)],
                        "total_score": Decimal(10000 - n % 5000) / 100,
                        "rank": n + 1,
                        "submitted_at": now,
                    }
                    for n, user_id in enumerate(user_ids)
                ],
            )
            calls[count] = call_id
        session.commit()
    return calls, head_token


def clean_up(app, tag, call_ids):
    with app.app_context(), db.engine.begin() as connection:
        ids = list(call_ids)
        connection.execute(sa.delete(Application).where(Application.call_id.in_(ids)))
        connection.execute(sa.delete(CallPlace).where(CallPlace.call_id.in_(ids)))
        connection.execute(sa.delete(Call).where(Call.id.in_(ids)))
        connection.execute(sa.delete(User).where(User.email.like(f"bench-{tag}-%")))
        connection.execute(sa.delete(Partner).where(Partner.name.like(f"Bench {tag} %")))
        connection.execute(sa.delete(Program).where(Program.name.like(f"Bench {tag} %")))
        connection.execute(sa.delete(Faculty).where(Faculty.name.like(f"Bench {tag} %")))


def logged_in_client(app, head_token):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = head_token
        session["_fresh"] = True
    return client


def prepared_rows(app, call_id, head_token):
    """The export's rows as plain tuples in a list, and the header (what the bare writers get)."""
    with app.test_request_context():
        head = db.session.scalar(sa.select(User).where(User.session_token == head_token))
        rows = list(selected_participant_rows(export_scope(head), call_id=call_id))
        return headers(SELECTED_PARTICIPANT_COLUMNS), rows


# --- the four measured pieces of work -----------------------------------------------------


def run_route(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.status
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    return size


def bare_xlsx(header, rows):
    with tempfile.TemporaryFile() as target:
        workbook = xlsxwriter.Workbook(target, WORKBOOK_OPTIONS)
        worksheet = workbook.add_worksheet()
        worksheet.write_row(0, 0, header)
        for number, row in enumerate(rows, 1):
            worksheet.write_row(number, 0, row)
        workbook.close()
        target.seek(0)
        size = 0
        while chunk := target.read(64 * 1024):
            size += len(chunk)
        return size


def bare_csv(header, rows):
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(header)
        writer.writerows(rows)
        target.flush()
        return target.tell()


def work_for(measure, app, client, call_id, head_token):
    """A no-argument callable doing `measure` once; bare writers get their rows now."""
    if measure == "irflow_xlsx":
        return lambda: run_route(client, f"/calls/{call_id}/export/selected.xlsx")
    if measure == "irflow_csv":
        return lambda: run_route(client, f"/calls/{call_id}/export/selected.csv")
    header, rows = prepared_rows(app, call_id, head_token)
    if measure == "bare_xlsx":
        return lambda: bare_xlsx(header, rows)
    return lambda: bare_csv(header, rows)


def traced_peak(work):
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def maxrss_kib():
    """This process's peak resident set size in KiB.

    VmHWM on Linux: ru_maxrss would not do in a child, since Linux carries the parent's
    peak over fork and exec, so a child would start at the size of the benchmark process."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS


def child_rss_growth(measure, database_url, call_id, warm_up_call_id, head_token):
    """(peak RSS before, after) in KiB of a fresh process doing `measure` once after a warm-up."""
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            json.dumps(
                {
                    "measure": measure,
                    "database_url": database_url,
                    "call_id": call_id,
                    "warm_up_call_id": warm_up_call_id,
                    "head_token": head_token,
                }
            ),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    before, after = output.strip().splitlines()[-1].split()
    return int(before), int(after)


def child(arguments):
    options = json.loads(arguments)
    with tempfile.TemporaryDirectory() as uploads:
        app = make_app(options["database_url"], uploads)
        client = logged_in_client(app, options["head_token"])
        # Warm up imports, caches and the connection pool on a small call first.
        work_for(options["measure"], app, client, options["warm_up_call_id"], options["head_token"])()
        work = work_for(options["measure"], app, client, options["call_id"], options["head_token"])
        gc.collect()
        before = maxrss_kib()
        work()
        print(before, maxrss_kib())


# --- report ------------------------------------------------------------------------------


def measure_all(app, database_url, calls, counts, head_token, repeat, with_rss):
    """Per row count: the four measures' timed runs interleaved (a busy machine then slows
    them alike), the best run of each kept; then a traced run each; then the child processes."""
    client = logged_in_client(app, head_token)
    results = {}
    for count in counts:
        works = {measure: work_for(measure, app, client, calls[count], head_token) for measure in MEASURES}
        for work in works.values():
            work()  # warm-up: imports, statement caches, the file system cache
        times = {measure: [] for measure in MEASURES}
        cpu_times = {measure: [] for measure in MEASURES}
        for _ in range(repeat):
            for measure, work in works.items():
                gc.collect()
                start, cpu_start = time.perf_counter(), time.process_time()
                work()
                times[measure].append(time.perf_counter() - start)
                cpu_times[measure].append(time.process_time() - cpu_start)
        for measure, work in works.items():
            seconds, cpu_seconds, peak = min(times[measure]), min(cpu_times[measure]), traced_peak(work)
            rss = (
                child_rss_growth(measure, database_url, calls[count], calls[WARM_UP_ROWS], head_token)
                if with_rss
                else None
            )
            results[count, measure] = (seconds, cpu_seconds, peak, rss)
            print(
                f"  {count:>7,} rows  {LABELS[measure]:<12} {seconds:8.3f} s  (CPU {cpu_seconds:.3f} s)"
                f"   peak {peak / 1024:8.0f} KiB"
                + (f"   maxrss {rss[0]:,} -> {rss[1]:,} KiB" if rss is not None else ""),
                file=sys.stderr,
            )
        del works
    return results


def print_table(results, database, repeat):
    counts = sorted({count for count, _ in results})
    print(
        f"\nDatabase: {database}; time = best of {repeat}; tracemalloc peak = Python allocations during "
        "the export; peak RSS = VmHWM of a fresh process after the export, its growth = over the "
        "peak after a warm-up on a 50-row call\n"
    )
    print(
        "| rows | writer | wall time (s) | CPU time (s) | rows/s | tracemalloc peak (KiB) | peak RSS (KiB) "
        "| its growth (KiB) |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for count in counts:
        for measure in MEASURES:
            seconds, cpu_seconds, peak, rss = results[count, measure]
            print(
                f"| {count:,} | {LABELS[measure]} | {seconds:.3f} | {cpu_seconds:.3f} | {count / seconds:,.0f} | "
                f"{peak / 1024:,.0f} | " + ("| |" if rss is None else f"{rss[1]:,} | {rss[1] - rss[0]:,} |")
            )
    print("\n| rows | irflow XLSX / bare XLSX: wall time | CPU time | irflow CSV / bare CSV: wall time | CPU time |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for count in counts:
        ratios = [
            results[count, irflow][index] / results[count, bare][index]
            for irflow, bare in (("irflow_xlsx", "bare_xlsx"), ("irflow_csv", "bare_csv"))
            for index in (0, 1)
        ]
        print(f"| {count:,} | " + " | ".join(f"{ratio:.2f}" for ratio in ratios) + " |")
    if len(counts) > 1:
        low, high = counts[0], counts[-1]
        print(
            f"\nPeak memory at {high:,} rows / at {low:,} rows (tracemalloc): "
            + ", ".join(
                f"{LABELS[measure]} {results[high, measure][2] / results[low, measure][2]:.2f}x" for measure in MEASURES
            )
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, action="append", help="participants in the call (repeatable; default 2000 and 10000)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement (the best counts)")
    parser.add_argument("--no-rss", action="store_true", help="skip the child processes measuring peak RSS")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child)
        return
    counts = sorted(set(arguments.rows or (2000, 10000)))

    with tempfile.TemporaryDirectory(prefix="irflow-bench-") as workdir:
        database_url = (
            os.environ.get("TEST_DATABASE_URL")
            or os.environ.get("DATABASE_URL")
            or f"sqlite:///{workdir}/bench.sqlite3"
        )
        database = (
            "a temporary SQLite file"
            if database_url.endswith("/bench.sqlite3")
            else sa.engine.make_url(sqlalchemy_url(database_url)).render_as_string(hide_password=True)
        )
        print(f"Database: {database}", file=sys.stderr)
        app = make_app(database_url, os.path.join(workdir, "uploads"))
        migrate(app)
        tag = uuid.uuid4().hex[:10]
        start = time.perf_counter()
        calls, head_token = seed(app, tag, counts)
        print(f"Inserted {sum(calls):,} participants in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        try:
            results = measure_all(app, database_url, calls, counts, head_token, arguments.repeat, not arguments.no_rss)
        finally:
            clean_up(app, tag, calls.values())
            with app.app_context():
                db.engine.dispose()
        print_table(results, database, arguments.repeat)


if __name__ == "__main__":
    main()
