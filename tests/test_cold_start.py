"""What a command does not need, it does not import: a new database costs what SQLite needs (no
alembic), and commands that read no series never import numpy (nor the web app)."""
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

RUN = """
import json, sys
from trainui.cli import main
try:
    main(sys.argv[1:], prog_name="trainui")
except SystemExit as end:
    code = end.code
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"alembic", "numpy", "flask", "watchdog", "torch"})
print(json.dumps({"code": code, "imported": heavy}), file=sys.stderr)
"""


def run(tmp_path, *args):
    env = {"TRAINUI_ROOT": str(tmp_path / "root"), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", RUN, *args], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return report["code"], report["imported"], proc.stdout


def test_a_new_database_is_made_without_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    code, imported, out = run(tmp_path, "db", "upgrade", "--db", url)
    assert code in (0, None) and "database at revision" in out
    assert imported == []
    code, imported, out = run(tmp_path, "db", "status", "--db", url)
    assert code in (0, None) and "up to date" in out  # alembic's own view: nothing to upgrade


def test_commands_that_read_no_series_import_no_numpy(tmp_path):
    results = tmp_path / "results" / "run"
    results.mkdir(parents=True)
    (results / "log").write_text(json.dumps([{"iteration": 1, "main/loss": 0.5}]))
    code, imported, _ = run(tmp_path, "project", "create", "-d", str(tmp_path / "results"), "--no-ingest")
    assert code in (0, None) and imported == []
    for command in (["project", "list"], ["token", "list"]):
        code, imported, out = run(tmp_path, *command)
        assert code in (0, None) and imported == [], (command, out)
    code, _, out = run(tmp_path, "project", "list")
    assert "results" in out
