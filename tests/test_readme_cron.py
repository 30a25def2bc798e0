"""The README's cron lines run the `flask` command in production mode on the real database,
not in the development mode `.flaskenv` gives it."""

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = "/etc/irflow/irflow.env"


def cron_lines():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```cron\n(.*?)```", readme, re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_every_cron_line_loads_the_production_settings():
    lines = cron_lines()
    assert len(lines) >= 3
    flask_lines = [line for line in lines if "flask --app wsgi" in line]
    assert len(flask_lines) >= 3
    for line in flask_lines:
        loading = f"set -a && . {ENV_FILE} && set +a && "
        assert loading in line, line
        assert line.index(loading) < line.index("flask --app wsgi"), line


def test_a_cron_line_runs_in_production_mode_on_the_configured_database(tmp_path):
    database = tmp_path / "real.sqlite3"
    env_file = tmp_path / "irflow.env"
    env_file.write_text(
        f"IRFLOW_ENV=production\nSECRET_KEY={'s' * 64}\nPUBLIC_URL=https://irflow.example.tj\n"
        f"DATABASE_URL=sqlite:///{database}\n"
        f"UPLOAD_FOLDER={tmp_path / 'uploads'}\n"
    )
    line = cron_lines()[0].split(None, 5)[5]  # the command after the five time fields
    command = line.replace("/srv/irflow", str(ROOT)).replace(ENV_FILE, str(env_file))
    command = re.sub(r"flask --app wsgi [\w-]+.*$", "flask --app wsgi shell", command)
    probe = (
        "from flask import current_app as a; print('MODE', a.config['ENV_NAME'], a.config['SQLALCHEMY_DATABASE_URI'])"
    )
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}  # as bare as cron's

    result = subprocess.run(
        ["/bin/sh", "-c", command], input=probe, env=environment, capture_output=True, text=True, timeout=120
    )

    assert f"MODE production sqlite:///{database}" in result.stdout, result.stdout + result.stderr
