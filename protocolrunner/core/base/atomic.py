"""Crash-safe file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

_TEMP_ATTEMPTS = 100


def write_atomic(
    path: Path,
    data: str | bytes,
    *,
    exclusive: bool = False,
    durable: bool = True,
    private: bool = False,
) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, fsync, then rename.

    With ``exclusive`` the final step refuses to replace an existing file (``FileExistsError``),
    so two writers can never overwrite each other's file. ``durable=False`` skips the fsyncs,
    for bulk files that can be regenerated (the demo record); the rename stays atomic.

    Permissions: a new file gets the mode a plain ``open(path, "w")`` would give it (0666 less
    the umask, or what the folder's default ACL says), so colleagues sharing a record folder can
    read it. Replacing an existing file keeps that file's permission bits, so a ``chmod`` someone
    made on purpose survives the next edit. ``private=True`` makes the file 0600 whatever was
    there before, for files only this user should read (the journal).

    Errors are ``OSError`` naming ``path`` itself, never the temporary file.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        _write(path, raw, exclusive=exclusive, durable=durable, private=private)
    except OSError as exc:
        if exc.errno is None or exc.filename == str(path):
            raise
        raise type(exc)(exc.errno, exc.strerror, str(path)) from exc


def _write(path: Path, raw: bytes, *, exclusive: bool, durable: bool, private: bool) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        # mkdir says "File exists" about the parent when the parent is a regular file.
        if path.parent.is_dir():
            raise
        raise _error(errno.ENOTDIR, path) from None
    fd, tmp = _create_temp(path, private)
    try:
        with os.fdopen(fd, "wb") as handle:
            if not private and not exclusive:
                _keep_mode(handle.fileno(), path)
            handle.write(raw)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        if exclusive:
            _link_exclusive(tmp, path)
        else:
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(path.parent)


def _create_temp(path: Path, private: bool) -> tuple[int, str]:
    # Not tempfile.mkstemp: it always creates 0600, and the rename would keep that, making every
    # record file private. Creating the file with 0666 lets the kernel apply the umask (and any
    # default ACL of the folder) exactly as for open(path, "w"). Reading the umask to compute the
    # mode instead would need os.umask(), which sets it process-wide: another thread creating a
    # file in between would get umask 0, a world-writable file.
    mode = 0o600 if private else 0o666
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    for _ in range(_TEMP_ATTEMPTS):
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, flags, mode)
        except FileExistsError:
            continue
        if private and hasattr(os, "fchmod"):
            # A default ACL on the folder could have widened 0600; private means private.
            os.fchmod(fd, 0o600)
        return fd, tmp
    raise _error(errno.EEXIST, path)


def _keep_mode(fd: int, path: Path) -> None:
    if not hasattr(os, "fchmod"):  # Windows (before Python 3.13): no POSIX modes to keep
        return
    try:
        existing = os.stat(path)
    except OSError:
        return  # a new file: the mode the temporary file was created with is right
    if stat.S_ISREG(existing.st_mode):
        os.fchmod(fd, stat.S_IMODE(existing.st_mode) & 0o777)


def _link_exclusive(tmp: str, path: Path) -> None:
    # link() fails if the target exists, unlike rename(). Some shared drives have no hard links;
    # there a check before the rename is the best that can be done.
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:
        if os.path.lexists(path):
            raise _error(errno.EEXIST, path) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def _error(code: int, path: Path) -> OSError:
    # OSError(errno, ...) picks the matching subclass (FileExistsError, NotADirectoryError...).
    return OSError(code, os.strerror(code), str(path))


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not every platform or file system allows it.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
