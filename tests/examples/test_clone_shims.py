"""Issue 19, point 9: the ``python`` the clone tests put on the PATH is the interpreter running the
tests with its environment, also when that is a virtualenv (whose ``bin/python`` is itself a symlink
to the base interpreter: linked to from outside the virtualenv, it would lose ``pyvenv.cfg``)."""
import subprocess
import sys
from pathlib import Path

from clone_helpers import _shims


def test_the_python_on_the_clone_s_path_keeps_a_virtualenv_s_packages(tmp_path):
    venv = tmp_path / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "only_in_the_venv.py").write_text("WHERE = 'venv'\n")
    _shims(tmp_path / "bin", python)
    for name in ("python", "python3"):
        out = subprocess.run([str(tmp_path / "bin" / name), "-c", "import sys, only_in_the_venv; print(sys.prefix)"],
                             capture_output=True, text=True)
        assert out.returncode == 0 and out.stdout.strip() == str(venv), out.stderr
