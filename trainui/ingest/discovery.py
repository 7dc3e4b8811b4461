"""Finding result directories (directories that hold a `log`) under a project directory."""
from __future__ import annotations

import os

from .. import protocol

SKIP_DIRS = {protocol.META_DIR, protocol.ASSETS_DIR, "__pycache__", ".git"}
MAX_DEPTH = 8


def find_result_dirs(project_dir: str) -> list[str]:
    """Every directory below ``project_dir`` (itself included) holding a `log` file.

    Follows symbolic links but visits each real directory once, so a link loop ends the walk
    instead of hanging it; unreadable directories are skipped.
    """
    found, seen = [], set()
    stack = [(os.path.realpath(project_dir), 0)]
    while stack:
        directory, depth = stack.pop()
        try:
            st = os.stat(directory)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.name == protocol.LOG and entry.is_file():
                    found.append(directory)
                elif depth < MAX_DEPTH and entry.name not in SKIP_DIRS and entry.is_dir():
                    stack.append((os.path.join(directory, entry.name), depth + 1))
            except OSError:
                continue
    return sorted(found)


def result_dir_of(path: str, project_dir: str) -> str | None:
    """The result directory a changed path belongs to, or None when it lies in none."""
    project_dir = os.path.realpath(project_dir)
    directory = path if os.path.isdir(path) and os.path.basename(path) != protocol.LOG else os.path.dirname(path)
    directory = os.path.realpath(directory)
    while directory.startswith(project_dir):
        if os.path.basename(directory) in SKIP_DIRS or os.path.basename(directory) in ("inbox", "outbox",
                                                                                      "commands", "ranks"):
            directory = os.path.dirname(directory)
            continue
        if os.path.isfile(os.path.join(directory, protocol.LOG)):
            return directory
        if directory == project_dir:
            break
        directory = os.path.dirname(directory)
    return None
