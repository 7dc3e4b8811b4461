"""A fresh clone of the repository, where the examples' READMEs are run as a new user would run them.

The clone sits in a temporary folder with no ``shared/`` beside it, so an example that still
reached for ``../shared/data`` would fail here. Each README's smoke block (a ```bash block whose
first line starts with ``# smoke``) runs verbatim through bash, from the clone's root, once per
test session; the example tests read what those runs wrote. Each block's ``torchrun`` commands run
first, exactly as written, while the example's ``results/`` folder is still empty (a fresh clone, no
cached classifiers), then the rest of the block. ``python``, ``torchrun`` and
``trainui`` on the PATH are this interpreter's, and PYTHONPATH is the clone, so the clone's code
is what runs (not an installed trainui). conftest.py's ``fresh_clone`` fixture makes one per session.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SMOKE_TIMEOUT = 1800  # seconds per README smoke block; the slowest (attack network) takes 3 to 6 minutes
FENCED_BASH = re.compile(r"```bash\n(.*?)```", re.S)


def bash_blocks(readme: Path) -> list[str]:
    return FENCED_BASH.findall(readme.read_text(encoding="utf-8"))


def smoke_blocks(readme: Path) -> list[str]:
    return [block for block in bash_blocks(readme) if block.lstrip().startswith("# smoke")]


def torchrun_first(block: str) -> tuple[list[str], str]:
    """A smoke block split into its top-level ``torchrun`` commands (continuation lines joined) and
    the rest of it, in its order (loops and comments included)."""
    commands, rest = [], []
    for line in re.sub(r"\\\n\s*", " ", block).splitlines():
        (commands if line.startswith("torchrun ") else rest).append(line)
    return commands, "\n".join(rest) + "\n"


def project_create_lines(readme: Path) -> list[str]:
    return [line.strip() for block in bash_blocks(readme) for line in block.splitlines()
            if line.strip().startswith("trainui project create ")]


class FreshClone:
    """The clone, its command shims, and each example's smoke runs (run on first request)."""

    def __init__(self, root: Path, bin_dir: Path):
        self.root, self.bin_dir = root, bin_dir
        self.outputs: dict[str, str] = {}
        self.torchrun_outputs: dict[str, str] = {}  # what the torchrun commands said, run first

    def env(self, **extra: str) -> dict:
        env = dict(os.environ, PYTHONPATH=str(self.root), PATH=f"{self.bin_dir}{os.pathsep}{os.environ['PATH']}",
                   PYTHONUNBUFFERED="1", **extra)
        env.pop("TRAINUI_DB_URL", None)
        return env

    def bash(self, script: str, timeout: float = SMOKE_TIMEOUT, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=self.root, env=self.env(**env),
                              capture_output=True, text=True, timeout=timeout)

    def readme(self, example: str) -> Path:
        return self.root / "examples" / example / "README.md"

    def run_smoke(self, example: str) -> str:
        """Run the example's README smoke blocks once; their output (stdout and stderr) is returned."""
        if example not in self.outputs:
            blocks = smoke_blocks(self.readme(example))
            assert blocks, f"examples/{example}/README.md has no ```bash block starting with '# smoke'"
            output, first = [], []
            results = self.root / "results" / example
            assert not results.exists(), f"{results} is not empty before the example's first run"
            for block in blocks:
                commands, rest = torchrun_first(block)
                for script in [*commands, rest]:
                    proc = self.bash(script)
                    output.append(proc.stdout + proc.stderr)
                    if script in commands:
                        first.append(output[-1])
                    assert proc.returncode == 0, f"{example} smoke block failed ({proc.returncode}):\n{script}\n" \
                                                 + (proc.stdout + proc.stderr)[-6000:]
            self.outputs[example] = "\n".join(output)
            self.torchrun_outputs[example] = "\n".join(first)
        return self.outputs[example]


def _shims(bin_dir: Path, python: str = sys.executable) -> None:
    """``python``, ``torchrun`` and ``trainui`` as a user's install would have them, on this interpreter.

    Scripts that exec ``python`` (this interpreter), not symlinks to it: a virtualenv's interpreter reached
    through a symlink outside the virtualenv does not find its ``pyvenv.cfg`` and runs as the bare
    base interpreter, without the virtualenv's packages."""
    bin_dir.mkdir()
    for name, module in (("python", None), ("python3", None), ("torchrun", "torch.distributed.run"),
                         ("trainui", "trainui.cli")):
        path = bin_dir / name
        path.write_text(f'#!/bin/sh\nexec "{python}"{f" -m {module}" if module else ""} "$@"\n')
        path.chmod(0o755)


def make_clone(base: Path) -> FreshClone:
    root = base / "trainui"
    proc = subprocess.run(["git", "clone", "--quiet", str(REPO), str(root)], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"git clone failed: {proc.stderr}")
    _shims(base / "bin")
    return FreshClone(root, base / "bin")
