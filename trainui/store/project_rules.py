"""Which directories may be registered as projects.

A registered project is walked, watched and read by the server with the server's rights, and every
result found in it is shown to whoever may read the dashboard. Registering ``/`` once let the
server ingest other users' runs through the temporary folder and ``/proc/<pid>/root`` with 58,004
inotify watches. So a project may not be:

- ``/``, a system directory or anything in one (``/proc``, ``/sys``, ``/dev``, ``/etc``, ``/usr``, ...),
  nor a folder that holds everyone's files (``/tmp``, ``/home``, ``/var``, ``/mnt``, ...: a folder
  *inside* them is fine);
- inside another user's home, or a folder that holds one;
- the server's own data folder (``$TRAINUI_ROOT``, which holds its database) or a folder that holds
  it; only its ``demo`` folder (what `trainui demo` runs in) may be a project;
- outside the allowed roots, when some are given (``--projects-root``, ``$TRAINUI_PROJECTS_ROOT``).

Paths are compared after resolving links, so a link to ``/`` is ``/``.
"""
from __future__ import annotations

import functools
import os
import pwd
from dataclasses import dataclass

SYSTEM_DIRS = ("/proc", "/sys", "/dev", "/run", "/boot", "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32",
               "/lib64", "/libx32", "/snap", "/var/lib", "/var/log", "/var/cache", "/var/spool", "/var/run",
               "/var/mail", "/var/backups", "/lost+found")
SHARED_DIRS = ("/", "/tmp", "/var", "/var/tmp", "/home", "/Users", "/mnt", "/media", "/opt", "/srv", "/root")
DEMO_FOLDER = "demo"


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


@dataclass(frozen=True)
class ProjectRules:
    data_root: str | None = None  # the server's own data folder ($TRAINUI_ROOT)
    allowed_roots: tuple[str, ...] = ()  # when given, projects lie inside one of these

    def problem(self, path: str) -> str | None:
        """Why the directory ``path`` (absolute) may not be a project, or None."""
        real = os.path.realpath(path)
        if self.allowed_roots:
            roots = [os.path.realpath(r) for r in self.allowed_roots]
            if not any(_inside(real, root) for root in roots):
                return (f"{real} is outside the folders this server registers projects in "
                        f"(--projects-root {os.pathsep.join(roots)})")
        if real in SHARED_DIRS or any(_inside(real, d) for d in SYSTEM_DIRS):
            return f"{real} is a system folder or holds other users' files; register a folder of results instead"
        if self.data_root:
            data = os.path.realpath(self.data_root)
            if _inside(data, real):
                return f"{real} holds this server's own data ({data}); register a folder of results instead"
            if _inside(real, data) and not _inside(real, os.path.join(data, DEMO_FOLDER)):
                return f"{real} is inside this server's own data ({data})"
        owner = _other_users_home(real)
        if owner:
            return f"{real} is (or holds) the home of another user ({owner}); this server does not read it"
        return None


def _other_users_home(path: str) -> str | None:
    """The name of another user whose home lies at, inside or above ``path``."""
    for name, home in _other_homes():
        if _inside(path, home) or _inside(home, path):
            return name
    return None


@functools.lru_cache(maxsize=1)
def _other_homes() -> tuple[tuple[str, str], ...]:
    """(name, home) of the other users with a home of their own (read once: users come rarely)."""
    uid = os.getuid()
    own = os.path.realpath(os.path.expanduser("~"))
    try:
        users = pwd.getpwall()
    except OSError:  # pragma: no cover - no user database
        return ()
    out = []
    for user in users:
        home = user.pw_dir
        if user.pw_uid == uid or not home or not os.path.isabs(home):
            continue
        home = os.path.realpath(home)
        if home in SHARED_DIRS or _inside(own, home) or any(_inside(home, d) for d in SYSTEM_DIRS):
            continue  # a system account's home (/bin, /var/lib/x, /) is covered above, or is everyone's
        out.append((user.pw_name, home))
    return tuple(out)
