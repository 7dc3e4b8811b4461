"""Finding result directories (directories that hold a `log` or TensorBoard event files) and the
project each belongs to.

A result belongs to the project whose directory contains it by whole path components (`/x/run`
does not contain `/x/run2`); with nested projects, to the innermost. The startup scan, the file
events and the polling all decide through ``owner_of``, and the store checks it again when it
files a new result (a project registered a moment ago wins over a stale picture of the projects).
"""
from __future__ import annotations

import os

from .. import protocol
from ..store import contains, owner_of  # the store's rule; re-exported for the walkers
from .tfevents import event_file_names, is_event_file

SKIP_DIRS = {protocol.META_DIR, protocol.ASSETS_DIR, "__pycache__", ".git"}
MAX_DEPTH = 8


def nested_projects(project_path: str, projects: dict[int, str]) -> set[str]:
    """The other projects' directories inside ``project_path``: their results are theirs."""
    return {p for p in projects.values() if p != project_path and contains(project_path, p)}


def find_result_dirs(project_dir: str, skip: set[str] = frozenset()) -> list[str]:
    """Every directory below ``project_dir`` (itself included) holding a `log` file or event files, not looking
    into the directories in ``skip`` (nested projects).

    Follows symbolic links that stay inside the project (one to ``/`` or ``/proc/<pid>/root`` would
    take the walk through the whole machine), visiting each real directory once, so a link loop
    ends the walk instead of hanging it; unreadable directories are skipped.
    """
    found, seen = [], set()
    root = os.path.realpath(project_dir)
    stack = [(root, 0)]
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
                if (entry.name == protocol.LOG or is_event_file(entry.name)) and entry.is_file():
                    if not found or found[-1] != directory:
                        found.append(directory)
                elif depth < MAX_DEPTH and entry.name not in SKIP_DIRS and entry.is_dir():
                    child = os.path.join(directory, entry.name)
                    if child not in skip and (not entry.is_symlink() or contains(root, os.path.realpath(child))):
                        stack.append((child, depth + 1))
            except OSError:
                continue
    return sorted(found)


def result_dir_of(path: str, project_dir: str) -> str | None:
    """The result directory a changed path belongs to (a directory with a `log` or event files, at
    or above the path and inside the project), or None when it lies in none."""
    directory = path if os.path.isdir(path) and os.path.basename(path) != protocol.LOG else os.path.dirname(path)
    directory = os.path.realpath(directory)
    if is_event_file(os.path.basename(path)) and contains(project_dir, directory) and not in_skipped_dir(
            directory, project_dir):
        return directory
    while contains(project_dir, directory):
        name = os.path.basename(directory)
        if name not in ("inbox", "outbox", "commands", "ranks") and not in_skipped_dir(directory, project_dir):
            if os.path.isfile(os.path.join(directory, protocol.LOG)) or event_file_names(directory):
                return directory
        if directory == project_dir:
            break
        directory = os.path.dirname(directory)
    return None


def in_skipped_dir(path: str, project_dir: str) -> bool:
    """Whether ``path`` is or lies in a folder the walk never enters (a result's `.trainui` or
    `assets`, a project's `.trainui/deleting` where a deleted result waits for removal): a `log`
    there is no result."""
    rel = os.path.relpath(os.path.realpath(path), os.path.realpath(project_dir))
    return not rel.startswith(os.pardir) and any(part in SKIP_DIRS for part in rel.split(os.sep))
