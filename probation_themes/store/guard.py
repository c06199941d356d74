"""When a project may be changed, and what SQLite's low-level failures mean for the user.

A project is refused for writing — while it can still be read by ``doctor``,
``stats``, ``report`` and ``export`` — when its file or folder is read-only (read-only
media, an immutable file, no permission), when it was written by a newer version of
the toolkit, or when ``doctor`` found it damaged. SQLite's own errors (a full disk, a
read-only file, a damaged page) become one-paragraph :class:`StoreError` messages
instead of the bare SQLite text.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from probation_themes.errors import StoreError
from probation_themes.store.migrations import MIGRATIONS, apply_migrations, package_version

# -- SQLite's errors, in words ----------------------------------------------------------


def sqlite_problem(exc: BaseException, path: Path | str | None) -> StoreError | None:
    """The user's message for an SQLite failure that is not a bug, or None when it is one.

    Covers a full disk, a read-only file or folder, an I/O error, a damaged file and a
    project busy with another command.
    """
    if not isinstance(exc, sqlite3.Error):
        return None
    text = str(exc)
    low = text.lower()
    where = f"the project {path}" if path else "the project"
    if "disk is full" in low or "database or disk is full" in low or getattr(exc, "sqlite_errorcode", None) == 13:
        return StoreError(
            f"There is no room left on the disk that holds {where} (SQLite: {text}), so this step was not "
            "stored; everything stored before it is kept. Free some space on that disk (or move the project, "
            "with its -wal file, to a disk with room) and run the command again.",
            path=path,
        )
    if "readonly" in low or "read-only" in low:
        return StoreError(
            f"{where[0].upper()}{where[1:]} cannot be changed: the file or its folder is read-only (SQLite: {text}). "
            "Commands that only read it (doctor, stats, report, export) still work. To change it, copy it (with "
            "its -wal file, if there is one) to a folder you can write to, or make it writable, and run the "
            "command again.",
            path=path,
        )
    if "malformed" in low or "not a database" in low or "corrupt" in low:
        return StoreError(
            f"{where[0].upper()}{where[1:]} is damaged (SQLite: {text}), so nothing was changed. Run "
            "`probation-themes doctor` on it to see what is wrong, keep a copy of the file, and restore the "
            "latest backup (docs/errors.md).",
            path=path,
        )
    if "disk i/o error" in low:
        return StoreError(
            f"The disk reported an error while reading or writing {where} (SQLite: {text}); this step was not "
            "stored. Check that the disk (or network share, or USB stick) is still there and not full, then run "
            "`probation-themes doctor` and the command again.",
            path=path,
        )
    if "locked" in low or "busy" in low:
        return StoreError(
            f"{where[0].upper()}{where[1:]} is busy: another probation-themes command is writing to it ({text}). "
            "Wait for that command to finish and run this one again.",
            path=path,
        )
    if "unable to open database file" in low:
        return StoreError(
            f"{where[0].upper()}{where[1:]} cannot be opened (SQLite: {text}). Check that its folder exists and "
            "can be read, and that the disk is still there.",
            path=path,
        )
    return None


def busy_error(path: Path, exc: sqlite3.OperationalError) -> StoreError:
    """The message for a project another command is writing to."""
    return StoreError(
        f"The project {path} is busy: another probation-themes command is writing to it "
        f"({exc}). Wait for that command to finish and run this one again.",
        path=path,
    )


def connect(path: Path) -> tuple[sqlite3.Connection, str | None]:
    """Open a project file (creating it if missing), its schema brought up to date when it may be.

    Returns the connection and, for a project that must only be read (a read-only file
    or folder, a schema from a newer version), the message that refuses its writes.

    Raises:
        StoreError: the file cannot be opened, is not a project, or is read-only and
            needs its schema brought up to date first.
    """
    exists = path.exists()
    if not exists and not os.access(path.parent, os.W_OK):
        raise StoreError(
            f"Cannot create the project {path}: the folder {path.parent} cannot be written (read-only media, "
            "or no permission). Give --project a file in a folder you can write to.",
            path=path,
        )
    refusal = write_refusal(path) if exists else None
    known = [name for name, _ in MIGRATIONS]
    try:
        if refusal is None:
            db = sqlite3.connect(path, isolation_level=None, timeout=10.0, check_same_thread=False)
            db.execute("PRAGMA busy_timeout = 10000")
        else:
            db = connect_read_only(path)
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "_migrations" not in tables:
            db.close()
            raise StoreError(
                f"{path} is an SQLite database but not a probation-themes project. "
                "Choose another --project file name; this file was left untouched.",
                path=path,
            )
        newer = newer_schema(db, known) if tables else None
        if refusal is None:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            # Deleted text is overwritten with zeros where that costs no extra writes, whatever
            # the SQLite build's default; `redact` turns it fully on and rebuilds the file
            # (see docs/confidentiality.md).
            db.execute("PRAGMA secure_delete = FAST")
        db.execute("PRAGMA foreign_keys = ON")
        if refusal is None and newer is None:
            apply_migrations(db)
        elif newer is None and pending_migrations(db, known):
            db.close()
            raise StoreError(
                f"The project {path} {refusal} and was made by an older version of probation-themes: its "
                "schema must be brought up to date, which changes the file. Copy it (with its -wal file, if "
                "there is one) to a folder you can write to and use the copy.",
                path=path,
            )
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise busy_error(path, exc) from None
        raise (sqlite_problem(exc, path) or StoreError(f"Cannot open the project {path}: {exc}.", path=path)) from None
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # text in damaged pages need not be UTF-8
        raise StoreError(
            f"The project {path} cannot be read ({exc}). If it was copied while in use, "
            "copy it again together with its -wal file.",
            path=path,
        ) from None
    if refusal is not None:
        return db, (
            f"The project {path} {refusal}, so it can only be read: doctor, stats, report and export work, "
            "but commands that change it do not. Copy it (with its -wal file, if there is one) to a folder "
            "you can write to, or make it writable, and run the command on that."
        )
    return db, (f"The project {path} {newer}." if newer is not None else None)


# -- read-only files --------------------------------------------------------------------

_WHY_READ_ONLY = {
    errno.EROFS: "is on read-only media (a read-only disk, share or mount)",
    errno.EPERM: "is marked immutable or otherwise protected from changes",
    errno.EACCES: "cannot be written with your permissions",
}


def write_refusal(path: Path) -> str | None:
    """Why an existing project file cannot be written, or None when it can.

    Tries to open the file (and, when SQLite has to create its -wal and -shm files next
    to it, its folder) for writing, without writing anything.
    """
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError as exc:
        return _WHY_READ_ONLY.get(exc.errno, f"cannot be written ({exc.strerror})")
    os.close(fd)
    folder = path.parent if str(path.parent) else Path(".")
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            if not os.access(side, os.W_OK):
                return f"has a read-only {suffix} file next to it"
        elif not os.access(folder, os.W_OK):
            return "is in a folder that cannot be written (SQLite needs to create its -wal file there)"
    return None


def connect_read_only(path: Path) -> sqlite3.Connection:
    """Open a project that cannot be written, for reading only.

    SQLite's read-only mode still needs the -shm file of a WAL project; on read-only
    media where it cannot be created the file is opened as immutable (nothing can
    change it while it is read).
    """
    uri = "file:" + quote(str(path.absolute()))
    try:
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        pass
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        # Read as immutable, SQLite would ignore the log: the latest changes would silently be missing.
        raise StoreError(
            f"The project {path} cannot be written, and its latest changes are still in {wal.name}, which SQLite "
            f"can only read with a {path.name}-shm file it cannot create there. Copy {path.name} and {wal.name} "
            "together to a folder you can write to and use the copy.",
            path=path,
        )
    return sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None, check_same_thread=False)


# -- schema versions --------------------------------------------------------------------


def newer_schema(db: sqlite3.Connection, known: list[str]) -> str | None:
    """Why a project's schema is newer than this version understands, or None.

    A project records every schema migration applied to it; one this version does not
    know was applied by a later version (migrations are never removed).
    """
    try:
        rows = db.execute("SELECT * FROM _migrations").fetchall()
        names = [d[0] for d in db.execute("SELECT * FROM _migrations LIMIT 0").description]
    except sqlite3.OperationalError:
        return None
    unknown = [dict(zip(names, row)) for row in rows if row[0] not in known]
    if not unknown:
        return None
    versions = sorted({str(r["version"]) for r in unknown if r.get("version")}, key=_version_key)
    steps = ", ".join(repr(r["name"]) for r in unknown)
    needed = (
        f"probation-themes {versions[-1]} or later" if versions else "a newer version of probation-themes"
    )
    return (
        f"was written by a newer version of probation-themes (its schema has the step(s) {steps}, which "
        f"version {package_version()} does not know), so this version will not change it. It can still be "
        f"read (doctor, stats, report, export). To work on it, install {needed} "
        "(`pip install --upgrade probation-themes`)"
    )


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in version.replace("-", ".").split("."))


def pending_migrations(db: sqlite3.Connection, known: list[str]) -> list[str]:
    """The migrations of this version a project lacks (every one, for a new file)."""
    try:
        done = {r[0] for r in db.execute("SELECT name FROM _migrations")}
    except sqlite3.OperationalError:
        return list(known)
    return [name for name in known if name not in done]


# -- damage found by doctor ---------------------------------------------------------------


def damage_marker(path: Path) -> Path:
    """The file next to a project that says ``doctor`` found it damaged (``themes.db-damaged``).

    It lives beside the project, not in it, so that recording damage never writes to a
    damaged file.
    """
    return Path(f"{path}-damaged")


def record_damage(path: Path, problems: list[str], renewable: list[str] = ()) -> None:
    """Remember what ``doctor`` found wrong (or, when nothing is, forget it).

    ``renewable`` are the problems that ``code --full`` repairs: they refuse every
    command that changes the project except that one.
    """
    marker = damage_marker(path)
    try:
        if problems or renewable:
            marker.write_text(
                json.dumps({"checked_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                            "problems": list(problems), "renewable": list(renewable)},
                           ensure_ascii=False, indent=2) + "\n",
                encoding="utf-8",
            )
        else:
            marker.unlink(missing_ok=True)
    except OSError:  # read-only media: writes are refused there anyway
        pass


def recorded_damage(path: Path, *, renewing: bool = False) -> str | None:
    """The refusal message when ``doctor`` last found the project damaged, or None.

    ``renewing`` says the command is ``code --full``, which may run when the only
    damage is evidence it writes again.
    """
    marker = damage_marker(path)
    if not marker.exists():
        return None
    try:
        found = json.loads(marker.read_text(encoding="utf-8"))
        problems = [str(p) for p in found.get("problems") or []]
        renewable = [str(p) for p in found.get("renewable") or []]
        when = str(found.get("checked_at", "earlier"))
    except (OSError, ValueError, AttributeError):
        problems, renewable, when = ["damage"], [], "earlier"
    if not problems and (renewing or not renewable):
        return None
    if not problems:
        return (
            f"`probation-themes doctor` found the project {path} damaged ({when}: {'; '.join(renewable)}), so "
            "commands that change it are refused until it is repaired: run `probation-themes code --full` as it "
            f"says, then `probation-themes doctor -p {path}` again, which lifts this refusal when the project is "
            "whole."
        )
    return (
        f"`probation-themes doctor` found the project {path} damaged ({when}: {'; '.join(problems + renewable)}), "
        "so commands that change it are refused until it is repaired: restore the latest backup (or repair it as "
        f"docs/errors.md describes), then run `probation-themes doctor -p {path}` again, which lifts this refusal "
        "when the project is whole."
    )


def damage_refusal(db: sqlite3.Connection, path: Path, *, renewing: bool = False) -> str | None:
    """Why a damaged project may not be changed (damage ``doctor`` noted, or found now), or None."""
    damage = recorded_damage(path, renewing=renewing)
    if damage is not None:
        return damage
    found = quick_damage(db)
    if not found:
        return None
    return (
        f"The project {path} is damaged ({'; '.join(found)}), so commands that change it are refused until it is "
        f"repaired. Run `probation-themes doctor -p {path}` to see every problem, then restore the latest backup "
        "(docs/errors.md says how to repair it)."
    )


def quick_damage(db: sqlite3.Connection) -> list[str]:
    """Damage that is cheap to find before a command writes: rows no longer accounted for.

    This is the part of ``doctor``'s check that takes one pass over the quotes: for each
    ingested file, the stored quotes and rejects must still match what its ingest
    recorded, and review decisions and memos must belong to quotes that exist.
    """
    problems: list[str] = []
    held = {sid: (n, rows) for sid, n, rows in db.execute(
        "SELECT source_id, COUNT(*), COUNT(DISTINCT row) FROM quotes GROUP BY source_id")}
    rejected = dict(db.execute("SELECT source_id, COUNT(*) FROM rejects GROUP BY source_id").fetchall())
    for sid, name, rows_read, responses, quotes, rejects in db.execute(
        "SELECT source_id, name, rows_read, responses, quotes, rejects FROM sources"
    ):
        n, rows = held.get(sid, (0, 0))
        if rows_read != responses + rejects or (n, rows, rejected.get(sid, 0)) != (quotes, responses, rejects):
            problems.append(f"{name}: the quotes and rejects stored no longer match what its ingest recorded")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in ("decisions", "memos"):
        if table in tables:
            n = db.execute(
                f"SELECT COUNT(*) FROM {table} t WHERE NOT EXISTS"
                " (SELECT 1 FROM quotes q WHERE q.quote_id = t.quote_id)"
            ).fetchone()[0]
            if n:
                problems.append(f"{n} {table} belong to quotes that are not in the project")
    return problems
