"""bench/RESULTS.md, rewritten section by section by the bench scripts.

Each script owns one section, between `<!-- NAME:start -->` and `<!-- NAME:end -->`, and replaces
it whole with its last run's figures (`write(NAME, markdown)`), headed by the machine, the date and
the versions it ran on, so every figure sits beside the same-run baseline it is a ratio of.
Sections of other scripts are left as they are. A script given `--no-results` leaves the file
alone (a trial run).
"""
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
TITLE = """# Benchmark results

Written by the scripts in `bench/` (see the README's "Benchmarks" section); each section is
replaced whole by the last run of its script, so edit the scripts, not this file. Every ratio is
against a baseline measured in the same run on the same machine.
"""
PACKAGES = ("flask", "sqlalchemy", "jinja2", "werkzeug", "gunicorn", "psycopg")


def machine() -> str:
    """One line on where the figures come from: CPU, cores, memory, Python, databases, packages."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except OSError:
        memory = 0.0
    versions = ", ".join(f"{name} {_version(name)}" for name in PACKAGES)
    return (f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}; SQLite "
            f"{_sqlite()}; {_postgres()}; {versions}; commit {_commit()}; {speed()}")


def speed() -> str:
    """How fast this machine ran plain Python when the section was written: a shared virtual
    machine's speed changes through the day (the same suite took 7 to 18 minutes on it), so
    absolute figures of two runs compare only beside this. Best of three, one core."""
    best = float("inf")
    for _ in range(3):
        started, total = time.perf_counter(), 0
        for n in range(2_000_000):
            total += n
        best = min(best, time.perf_counter() - started)
    return f"pure-Python reference loop (2 million additions) {best * 1000:.0f} ms"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def _sqlite() -> str:
    import sqlite3
    return sqlite3.sqlite_version


def _postgres() -> str:
    try:
        out = subprocess.run(["psql", "--version"], capture_output=True, text=True, timeout=5)
        return out.stdout.strip().replace("psql (PostgreSQL) ", "PostgreSQL ") or "no PostgreSQL"
    except (OSError, subprocess.SubprocessError):
        return "no PostgreSQL"


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5, cwd=RESULTS.parent)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5, cwd=RESULTS.parent)
        return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def write(name: str, title: str, body: str, enabled: bool = True) -> None:
    """Replace section `name` of RESULTS.md with `title`, the run's command, machine and date, and
    `body` (markdown); nothing when not `enabled` (a script's --no-results, for a trial run)."""
    if not enabled:
        return
    command = " ".join(["python", *(Path(a).as_posix() if i == 0 else a
                                    for i, a in enumerate(sys.argv))])
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (f"<!-- {name}:start -->\n## {title}\n\n`{command}`, {when}\n\n"
               f"Machine: {machine()}\n\n{body.strip()}\n<!-- {name}:end -->")
    text = RESULTS.read_text() if RESULTS.exists() else TITLE
    pattern = re.compile(rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->",
                         re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text)
    print(f"wrote section '{name}' of {RESULTS}")


def table(header: list[str], rows: list[list]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
