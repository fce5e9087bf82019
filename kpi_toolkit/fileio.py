"""Writing files so that they appear whole or not at all (temporary file or folder + rename).

Everything the toolkit publishes is built beside its target, in a hidden staging folder named
for the target, this process and this machine (``.results.staging-<pid>-<host>-<random>``), and
renamed into place when complete. A run that is killed leaves its staging folder behind; the
next run of the same target removes it (:func:`clean_stale`) — but only once it is sure the
folder is not a concurrent run's: a folder of this machine is stale when its process is gone, a
folder of another machine (a shared disk) or of an older toolkit (no process in the name) when
it has not changed for :data:`STALE_SECONDS`.

Published folders and files are as readable as the user's umask allows (the temporary folders
of :mod:`tempfile` are private, 0700, and would stay so when renamed).

The machine's refusals (a read-only or full disk, no permission) raise
:class:`~kpi_toolkit.errors.OutputError`, naming the path and the fix.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kpi_toolkit.errors import KpiToolkitError, OutputError

#: A staging folder whose owner cannot be checked (another machine, an older toolkit) is stale
#: when it has not changed for this long: no client's run takes a day.
STALE_SECONDS = 24 * 3600

#: The system errors that are the machine's refusal, not the toolkit's fault.
MACHINE_FAULTS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT, errno.EFBIG,
                            errno.EIO, errno.EMFILE, errno.ENFILE})

_SAFE_NAME = re.compile(r"[a-z0-9]+([-_][a-z0-9]+)*")


def package_notebooks() -> Path:
    """The stage and explorer notebooks the toolkit ships.

    An installed wheel carries them as ``kpi_toolkit/notebooks``; a source checkout keeps them in
    its top-level ``notebooks/`` (the same files: the wheel is built from that folder).
    """
    package = Path(__file__).resolve().parent
    for candidate in (package / "notebooks", package.parent / "notebooks"):
        if (candidate / "scenario_explorer.ipynb").is_file():
            return candidate
    return package / "notebooks"


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on failure it is removed.

    Raises :class:`~kpi_toolkit.errors.OutputError` when the machine refuses the write.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as temp:
    ...     _ = temp.write_text("whole")
    >>> target.read_text()
    'whole'
    """
    path = Path(path)
    with machine_faults(path, option=""):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix or ".tmp")
        os.close(handle)
        try:
            yield Path(temp)
            os.chmod(temp, 0o666 & ~umask())  # mkstemp makes private files; outputs are shared
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all."""
    with atomic_path(path) as temp:
        with open(temp, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    return Path(path)


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` whole or not at all."""
    return write_bytes_atomic(path, text.encode(encoding))


def cells_as_text(sheet) -> None:
    """Store every text cell of an openpyxl ``sheet`` as text, never as a formula or an error value.

    openpyxl reads a string starting with ``=`` as a formula and ``#N/A`` as an error; the
    toolkit writes no formulas, so every string is made text again, and one that a spreadsheet
    could take for a formula when the cell is edited gets the quote prefix (shown as typed).

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> sheet = Workbook().active
    >>> sheet.append(["=1+1", "#N/A", 3])
    >>> cells_as_text(sheet)
    >>> [(c.value, c.data_type, c.quotePrefix) for c in sheet[1]]
    [('=1+1', 's', True), ('#N/A', 's', False), (3, 'n', False)]
    """
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                if cell.value.startswith(("=", "+", "-", "@", "\t", "\r")):
                    cell.quotePrefix = True


# --------------------------------------------------------------------------- folders

def target_dir(out: str | os.PathLike, slug: str, period: str, scenario: str | None = None) -> Path:
    """``out/<slug>/<period>``, or ``out/<slug>/<period>/scenarios/<scenario>``: always inside ``out``.

    Raises
    ------
    KpiToolkitError
        When a part is not a plain folder name (``..``, a path, an empty name), which would
        put the output elsewhere.

    Examples
    --------
    >>> target_dir("reports", "acme", "2026-09", "lean").as_posix()
    'reports/acme/2026-09/scenarios/lean'
    """
    parts = [slug, period] + (["scenarios", scenario] if scenario else [])
    for part in parts:
        if not isinstance(part, str) or not _SAFE_NAME.fullmatch(part):
            raise KpiToolkitError(f"cannot file output under {part!r}: expected a folder name of lower-case "
                                  f"letters, digits, hyphens and underscores, so that it stays inside '{out}'")
    return Path(out).joinpath(*parts)


def client_slug(folder: str | os.PathLike) -> str:
    """The slug results of a client folder are filed under: the name of the folder it resolves to.

    ``.`` and ``..`` resolve to the folder they stand for, so that ``kpi-toolkit calc .`` run
    inside ``clients/acme`` files under ``acme``.

    Raises
    ------
    KpiToolkitError
        When that name is not a slug (lower-case letters, digits and hyphens; underscores are
        accepted too), saying which name to rename the folder to.

    Examples
    --------
    >>> client_slug("clients/acme/../acme")
    'acme'
    """
    resolved = Path(folder).resolve()
    slug = resolved.name
    if _SAFE_NAME.fullmatch(slug):
        return slug
    suggestion = re.sub(r"[^a-z0-9]+", "-", slug.lower()).strip("-")
    fix = (f"rename the folder to '{suggestion}'" if suggestion and _SAFE_NAME.fullmatch(suggestion)
           else "rename the folder to a slug such as 'acme-trading'")
    raise KpiToolkitError(f"client folder '{folder}' ({resolved}) is named {slug!r}; results are filed under the "
                          f"client folder's name, which must be a slug: lower-case letters, digits and hyphens. "
                          f"Fix: {fix}")


def staging_folder(final: str | os.PathLike) -> Path:
    """Make the folder in which ``final`` is built: beside it, hidden, named for this process.

    Stale staging folders of ``final`` (left by killed runs) are removed first. The folder is
    as readable as the umask allows, so that ``final`` is once it is renamed into place.
    """
    final = Path(final)
    with machine_faults(final):
        final.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(final)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.staging-{os.getpid()}-{_host()}-", dir=final.parent))
        os.chmod(staging, 0o777 & ~umask())
    return staging


def swap_folder_into_place(staging: Path, final: Path) -> None:
    """Move a complete ``staging`` folder to ``final``, replacing an existing one only at the end."""
    staging, final = Path(staging), Path(final)
    with machine_faults(final):
        old = None
        if final.exists():
            old = final.with_name(f".{final.name}-old-{os.getpid()}-{_host()}")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
        try:
            os.replace(staging, final)
        except BaseException:
            if old is not None:
                os.replace(old, final)  # the last published version stays
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


_STAGING = re.compile(r"\.staging-(?:(?P<pid>\d+)-(?P<host>[A-Za-z0-9.-]*)-)?[a-z0-9_]{8}")
_OLD = re.compile(r"-old-(?P<pid>\d+)(?:-(?P<host>[A-Za-z0-9.-]*))?")
_LEGACY = re.compile(r"-[a-z0-9_]{8}")  # `.results-XXXXXXXX` of toolkits before the staging names


def clean_stale(final: str | os.PathLike, now: float | None = None) -> list[Path]:
    """Remove what killed runs left beside ``final``; return what was removed.

    Staging folders (``.<name>.staging-*``, and an older toolkit's ``.results-*``) are
    removed when stale (see the module's docstring); a swap folder (``.<name>-old-*``) is put
    back as ``final`` when ``final`` is missing (a run killed between the two renames of
    :func:`swap_folder_into_place`), else removed. A concurrent run's folders are left alone.
    """
    final = Path(final)
    try:
        entries = sorted(final.parent.iterdir())
    except OSError:  # not there (yet), or not readable: nothing to clean
        return []
    now = time.time() if now is None else now
    prefix = f".{final.name}"
    removed = []
    for entry in entries:
        name = entry.name
        if not name.startswith(prefix) or entry.is_symlink() or not entry.is_dir():
            continue
        rest = name[len(prefix):]
        staging, old = _STAGING.fullmatch(rest), _OLD.fullmatch(rest)
        match = staging or old or (_LEGACY.fullmatch(rest) if final.name == "results" else None)
        if match is None or not _stale(entry, match.groupdict().get("pid"), match.groupdict().get("host"), now):
            continue
        try:
            if old and not final.exists():
                os.replace(entry, final)
            else:
                shutil.rmtree(entry)
            removed.append(entry)
        except OSError:  # not ours to remove (permissions): harmless, it stays hidden
            continue
    return removed


def _stale(entry: Path, pid: str | None, host: str | None, now: float) -> bool:
    if pid is not None and host == _host():
        return not _alive(int(pid))
    try:
        return now - entry.stat().st_mtime > STALE_SECONDS
    except OSError:
        return False


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "", socket.gethostname())[:40] or "host"


# --------------------------------------------------------------------------- the machine's refusals

@contextmanager
def machine_faults(path: str | os.PathLike, option: str = "--out") -> Iterator[None]:
    """Turn the machine's refusal of a write under ``path`` into an :class:`OutputError`."""
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        raise output_error(exc, path, option) from exc


def output_error(exc: OSError, path: str | os.PathLike | None = None, option: str = "--out") -> OutputError:
    """An :class:`OutputError` for ``exc``, raised while writing ``path``: what, where, the fix.

    Examples
    --------
    >>> error = output_error(OSError(errno.EROFS, "Read-only file system"), "/")
    >>> print(error)
    cannot write '/': '/' is on a read-only file system. Fix: choose a folder on a writable disk with --out, or remount the disk read-write
    >>> error.folder, error.errno == errno.EROFS
    ('/', True)
    """
    path = Path(path if path is not None else exc.filename or ".")
    culprit = Path(exc.filename) if exc.filename else path
    folder = _existing(culprit.parent if exc.filename else culprit)
    elsewhere = f" with {option}" if option else ""
    code = exc.errno
    if code == errno.EROFS:
        what = f"'{folder}' is on a read-only file system"
        fix = f"choose a folder on a writable disk{elsewhere}, or remount the disk read-write"
    elif code in (errno.EACCES, errno.EPERM):
        what = f"permission denied on '{folder}' for user '{_user()}'"
        fix = f"give that user write permission on '{folder}' (e.g. chmod u+w), or choose another folder{elsewhere}"
    elif code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        kind = "the disk quota is used up" if code == errno.EDQUOT else "the disk is full"
        what = f"{kind} where '{folder}' is ({_free(folder)} free)"
        fix = f"free space on that disk, or choose a folder on another disk{elsewhere}; then run again"
    else:
        what = exc.strerror or str(exc) or type(exc).__name__
        if exc.filename:
            what += f" ('{exc.filename}')"
        fix = f"check the folder and the disk, or choose another folder{elsewhere}; then run again"
    return OutputError(f"cannot write '{path}': {what}. Fix: {fix}", path=str(path), folder=str(folder), errno=code)


def _existing(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _free(folder: Path) -> str:
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return "unknown"
    for unit in ("bytes", "KB", "MB", "GB"):
        if free < 1024:
            return f"{free:.0f} {unit}" if unit == "bytes" else f"{free:.1f} {unit}"
        free /= 1024
    return f"{free:.1f} TB"


def _user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, AttributeError):
        return os.environ.get("USER") or os.environ.get("USERNAME") or "?"


def umask() -> int:
    """The process's umask, read without changing it where the system allows (threads write meanwhile)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
