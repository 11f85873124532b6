"""Writing files so that a crash never leaves half a file and nothing is overwritten by surprise."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from coder.errors import OutputError

SQLITE_MAGIC = b"SQLite format 3\x00"  # the first bytes of every SQLite file: a project


def check_writable(path: str | Path, force: bool = False) -> Path:
    """Refuse an existing output unless `force`, and a folder that does not exist. A pipe or
    a device (`/dev/null`, `>(gzip > out.gz)`) is written into, never replaced."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name")
    if is_stream(path):
        return path
    if _is_database(path):  # `-o p.db --force` on the project being read: its whole log
        raise OutputError(
            f"{path} is a project (an SQLite database); coder never writes an output over "
            "one: choose another file name"
        )
    if path.exists() and not force:
        raise OutputError(f"{path} already exists; use --force to overwrite it")
    if not path.parent.exists():
        raise OutputError(f"folder {path.parent} does not exist; create it first")
    return path


def check_not_input(output: str | Path, source: str | Path) -> None:
    """Refuse an output that would replace the file it is made from, `--force` or not."""
    if str(output) != "-" and Path(output).resolve() == Path(source).resolve():
        raise OutputError(f"{output} is the file being read; write to another file")


def _is_database(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:  # not there, or not readable: nothing to lose by this check
        return False


def is_stream(path: Path) -> bool:
    """A pipe, a device or a socket: something there to write into, not a file to replace."""
    return path.exists() and not path.is_file() and not path.is_dir()


def _publish(tmp: str, target: Path) -> None:
    """Give the temporary file the mode a new file would have (mkstemp makes it 0600), or the
    mode of the file it replaces, then rename it over the target."""
    os.chmod(tmp, _mode_for(target, 0o666))
    os.replace(tmp, target)


def _mode_for(target: Path, new: int) -> int:
    """The mode of the `target` being replaced, or `new` as the umask leaves it."""
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return new & ~umask


@contextlib.contextmanager
def atomic_open(
    path: str | Path, force: bool = False, encoding: str = "utf-8", newline: str | None = None
) -> Iterator[IO[str]]:
    """A text handle on a temporary file beside `path`, renamed over it only on success.

    `-` means stdout, written directly; to a terminal, with control characters shown as
    visible ones (`coder.console.printable`), since a comment's escape sequence would otherwise
    clear the screen or retitle the window. A pipe or a file gets the text as it is.
    """
    if str(path) == "-":
        yield _Visible() if sys.stdout.isatty() else sys.stdout
        sys.stdout.flush()
        return
    target = check_writable(path, force)
    if is_stream(target):
        with open(target, "w", encoding=encoding, newline=newline) as handle:
            yield handle
        return
    fd, tmp = _temporary(target, target.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _publish(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _temporary(target: Path, folder: Path | None) -> tuple[int, str]:
    """A new temporary file for `target`, in `folder`; an error that names the target, not
    the temporary file, where it cannot be made (a read-only folder, a full disk)."""
    try:
        return tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None


class _Visible(io.TextIOBase):
    """Stdout for text written to a terminal: control characters as visible ones."""

    def write(self, text: str) -> int:
        from coder.console import printable

        return sys.stdout.write(printable(text))

    def flush(self) -> None:
        sys.stdout.flush()


@contextlib.contextmanager
def atomic_path(path: str | Path, force: bool = False) -> Iterator[Path]:
    """A temporary path beside `path` for writers that need a file name (xlsx, zip). `-`
    means stdout: the file is made elsewhere and then copied there, as into a pipe."""
    stdout = str(path) == "-"
    target = Path("stdout") if stdout else check_writable(path, force)
    stream = stdout or is_stream(target)  # made elsewhere, then copied into the stream
    fd, tmp = _temporary(target, None if stream else target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        if stream:
            _copy_out(tmp, target, stdout)
            os.unlink(tmp)
        else:
            _publish(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_folder(path: Path, keep: Callable[[str], bool]) -> Iterator[Path]:
    """A new folder beside `path`, put in its place only once it is complete, so that a full
    disk or a crash never leaves half a folder where a good one was. Entries of the old
    folder for which `keep(name)` holds are moved into the new one; the rest are removed."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, _mode_for(path, 0o777))
        if not path.exists():
            os.rename(tmp, path)
            return
        old = tmp.with_name(tmp.name + ".old")
        os.rename(path, old)
        try:
            os.rename(tmp, path)
        except BaseException:
            os.rename(old, path)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for entry in old.iterdir():  # a crash here leaves them in the hidden old folder, not lost
        if keep(entry.name):
            os.rename(entry, path / entry.name)
    shutil.rmtree(old, ignore_errors=True)


def _copy_out(made: str, target: Path, stdout: bool) -> None:
    with open(made, "rb") as source:
        if stdout:
            sys.stdout.flush()
            shutil.copyfileobj(source, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        with open(target, "wb") as out:
            shutil.copyfileobj(source, out)


def atomic_write_text(path: str | Path, text: str, force: bool = False) -> None:
    with atomic_open(path, force=force) as handle:
        handle.write(text)


@contextlib.contextmanager
def named_full_disk(message: str) -> Iterator[None]:
    """A full disk reported as `message`: a writer that keeps its parts in files of its own
    until the output is written would otherwise fail with a bare "No space left on device"
    that names one of those files, or none."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        raise OutputError(message) from None
