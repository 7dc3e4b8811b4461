"""The README's result page screenshots are made by a script from real jobs: it runs, makes the four
pictures at 1440x900 under the size limit, and the README links each one that is in docs/."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
pytest.importorskip("torch")
REPO = Path(__file__).resolve().parents[2]
KINDS = ("crashed", "killed", "stopped", "live")


def test_the_screenshot_script_makes_the_four_result_pages_small(tmp_path):
    from PIL import Image

    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, str(REPO / "docs" / "make_screenshots.py"), "--out", str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    for kind in KINDS:
        path = tmp_path / f"result-{kind}.png"
        assert Image.open(path).size == (1440, 900)
        assert path.stat().st_size < 200 * 1024
        assert f"{path}:" in done.stdout  # each one said with its size


def test_the_readme_links_the_committed_screenshots():
    readme = (REPO / "README.md").read_text()
    linked = set(re.findall(r"\(docs/(result-[a-z]+\.png)\)", readme))
    assert linked == {f"result-{kind}.png" for kind in KINDS}
    for name in linked:
        assert (REPO / "docs" / name).stat().st_size < 200 * 1024
    assert "python docs/make_screenshots.py" in readme
