"""The README's "Restore" section as written: its training loop, and its command body delivered as the
server delivers it (one file in the job's inbox), rewinds the run to iteration 1000 with the lr halved;
the log keeps each of the 2000 iterations once."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from trainui import protocol
from trainui_job_helpers import post_command, read_responses

pytest.importorskip("torch")
pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def section() -> str:
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Restore")
    return readme[start:readme.index("\n## ", start + 1)]


def test_the_restore_section_runs_as_written(tmp_path):
    text = section()
    script = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    command = json.loads(re.search(r"-d '(\{.*?\})'", text, re.S).group(1))
    out = tmp_path / "results" / "restore"
    uid = post_command(str(out), command["name"], command["body"], command["schedule"])
    (tmp_path / "train.py").write_text(script)
    done = subprocess.run([sys.executable, "train.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1"))
    assert done.returncode == 0, done.stderr[-3000:]
    answer = read_responses(str(out))[uid]
    assert answer["status"] == "SUCCESS", answer
    assert answer["body"]["snapshot"] == "snapshot_iter_1000.pt" and answer["body"]["from_iteration"] == 1500
    assert answer["body"]["hyperparams"][0]["lr"] == pytest.approx(0.05)
    entries = json.loads((out / protocol.LOG).read_text())
    assert [e["iteration"] for e in entries] == list(range(1, 2001))
    assert entries[999]["lr"] == 0.1 and entries[1000]["lr"] == pytest.approx(0.05)
    abandoned = (out / ".trainui" / "log.abandoned.jsonl").read_text().splitlines()
    assert [json.loads(line)["entry"]["iteration"] for line in abandoned] == list(range(1001, 1501))
