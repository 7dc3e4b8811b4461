"""``python -m trainui.child PARENT_PID SCRIPT [ARGS...]``: run SCRIPT as ``python SCRIPT ARGS``
in a process that ends with the one that started it.

`trainui demo` starts its jobs in sessions of their own (a Ctrl-C in its terminal reaches the demo,
which stops them itself). Left at that, a demo killed without a chance to clean up (SIGKILL, an
out-of-memory kill) would leave its jobs training as orphans. On Linux the child asks the kernel
for SIGTERM when its parent dies (``PR_SET_PDEATHSIG``); a trainui job ends on SIGTERM as
``stopped``. Elsewhere the parent's own signal handling is what stops them.
"""
from __future__ import annotations

import ctypes
import os
import runpy
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """SIGTERM this process when its parent dies; exit now if it already has."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        sys.exit(f"trainui: the process that started {sys.argv[2:3]} is gone; not starting")


def main() -> None:
    if len(sys.argv) < 3 or not sys.argv[1].isdigit():
        sys.exit("usage: python -m trainui.child PARENT_PID SCRIPT [ARGS...]")
    die_with_parent(int(sys.argv[1]))
    script = os.path.abspath(sys.argv[2])
    sys.argv = [script, *sys.argv[3:]]
    sys.path[0] = os.path.dirname(script)  # as `python SCRIPT` would have it
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
