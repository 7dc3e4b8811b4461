"""Reading and writing inside a result directory that someone else controls.

Everything a result directory holds is untrusted: a job (or anyone who can write there) may put a
FIFO where ``args`` belongs (an ``open`` blocks forever), link ``args`` to ``/dev/zero`` (a read
never ends) or to a file elsewhere (the server would show it), make ``args`` 300 MB, or link
``.trainui/commands/inbox`` to another directory (the server would write into it). So:

- ``open_regular`` opens only a regular file, never blocking (``O_NONBLOCK``), and, given a root,
  only one whose real path lies inside it; ``read_capped`` reads such a file whole only when it
  is small. Every reader of a result directory's files goes through them (the log, args, status,
  asset index, command answers, ChainerUI's ``commands``; TensorBoard event files too).
- ``write_inside``/``remove_inside`` reach their file one directory at a time with
  ``O_NOFOLLOW``, so no symbolic link below the result directory redirects a write.

Standard library only: the trainer side may use it as well.
"""
from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

_KIND = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
         stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory", stat.S_IFLNK: "a symbolic link"}
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class UnsafeFile(OSError):
    """A path that is not a regular file (inside the given root), or too large to read whole.
    An OSError, so readers that already report unreadable files report this too."""

    def __init__(self, path: str, reason: str):
        super().__init__(errno.EPERM, reason, path)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def open_regular(path: str, root: str | None = None) -> BinaryIO:
    """``path`` opened for reading in binary mode, if it is a regular file (a symbolic link to one
    is followed only when the file it leads to lies inside ``root``). Raises FileNotFoundError
    when there is nothing there, ``UnsafeFile`` for anything else."""
    name = os.path.basename(path) or path
    st = os.stat(path)  # before opening: a device is never opened (opening some has effects)
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeFile(path, f"{name} is {_kind(st.st_mode)}, not a regular file; not read")
    if root is not None:
        real, real_root = os.path.realpath(path), os.path.realpath(root)
        if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
            raise UnsafeFile(path, f"{name} links outside the project ({real}); not read")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | _CLOEXEC)
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise UnsafeFile(path, f"{name} was replaced while being opened; not read")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_capped(path: str, limit: int, root: str | None = None) -> bytes:
    """The whole of a small regular file; ``UnsafeFile`` when it holds more than ``limit`` bytes
    (nothing of it is read then)."""
    with open_regular(path, root) as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            raise UnsafeFile(path, f"{os.path.basename(path)} is {_size(size)}, more than the {_size(limit)} "
                                   "trainui reads of it; not read")
        data = f.read(limit + 1)
    if len(data) > limit:  # grew meanwhile
        raise UnsafeFile(path, f"{os.path.basename(path)} is more than the {_size(limit)} trainui reads of it; not read")
    return data


def write_inside(directory: str, relative: str, data: bytes) -> None:
    """Write ``directory/relative`` atomically (a temporary file, then a rename), creating the
    folders on the way, none of which may be a symbolic link."""
    parts = _parts(relative)
    dir_fd = _open_folder(directory, parts[:-1], create=True)
    try:
        tmp = f".tmp-{os.getpid()}-{os.urandom(6).hex()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o644, dir_fd=dir_fd)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, parts[-1], src_dir_fd=dir_fd, dst_dir_fd=dir_fd)  # replaces a link, never follows it
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=dir_fd)
            except OSError:
                pass
            raise
    finally:
        os.close(dir_fd)


def remove_inside(directory: str, relative: str) -> None:
    """Remove ``directory/relative`` (FileNotFoundError if it is not there), through no symbolic link."""
    parts = _parts(relative)
    dir_fd = _open_folder(directory, parts[:-1], create=False)
    try:
        os.unlink(parts[-1], dir_fd=dir_fd)
    finally:
        os.close(dir_fd)


def folder_problem(directory: str, relative: str) -> str | None:
    """Why ``write_inside`` would refuse to write below ``directory/relative`` (a component that is
    a symbolic link or not a folder), or None; a folder not made yet is no problem."""
    path = directory
    for part in _parts(relative):
        path = os.path.join(path, part)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return None
        except OSError as error:
            return f"{os.path.relpath(path, directory)}: {error.strerror or error}"
        if not stat.S_ISDIR(st.st_mode):
            return f"{os.path.relpath(path, directory)} is {_kind(st.st_mode)}, not a folder"
    return None


def _parts(relative: str) -> list[str]:
    parts = [p for p in relative.split(os.sep) if p not in ("", ".")]
    if not parts or ".." in parts:
        raise ValueError(f"{relative!r} is not a path inside a directory")
    return parts


def _open_folder(directory: str, parts: list[str], create: bool) -> int:
    fd = os.open(directory, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for part in parts:
            if create:
                try:
                    os.mkdir(part, 0o755, dir_fd=fd)
                except FileExistsError:
                    pass
            try:
                child = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=fd)
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise UnsafeFile(os.path.join(directory, *parts),
                                     f"{part} is not a plain folder (a symbolic link?); nothing written through it") from None
                raise
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def _kind(mode: int) -> str:
    return _KIND.get(stat.S_IFMT(mode), "not a regular file")


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"
