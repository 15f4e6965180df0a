"""Periodic jobs: `flask --app wsgi jobs run [NAME]`, started by cron or a systemd timer every few
minutes on every machine. No scheduler runs inside the web server (under gunicorn it would run once
per worker). Each job claims its period (e.g. `ledger-verify:2026-11-28`) by inserting a row under
a UNIQUE key, so however many machines start it, one runs it; a machine that slept through
periods runs the current one when it wakes.
"""
import sys
from datetime import UTC, datetime, timedelta
from typing import Callable, NamedTuple, Optional

import click
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from app.database import transaction
from app.extensions import db
from app.models import JobRun
from app.models.base import utcnow

jobs_cli = AppGroup("jobs", help="Run the periodic jobs that are due.")


class Job(NamedTuple):
    """A registered job: `run(now)` returns a short summary for the log."""

    name: str
    every: Optional[timedelta]  # None: runs every time (its own work is idempotent)
    run: Callable[[datetime], str]


_JOBS: dict[str, Job] = {}


def job(name: str, every: Optional[timedelta] = None) -> Callable:
    """Register `run(now) -> str` as a periodic job, once per `every` (or on every call)."""

    def register(function: Callable[[datetime], str]) -> Callable[[datetime], str]:
        _JOBS[name] = Job(name, every, function)
        return function

    return register


def period_of(every: timedelta, now: datetime) -> str:
    """The name of the period `now` falls in: a day's date, or the start of a shorter slot."""
    if every >= timedelta(days=1) and every % timedelta(days=1) == timedelta(0):
        days = every // timedelta(days=1)
        day = now.date().toordinal() // days * days
        return datetime.fromordinal(day).date().isoformat()
    seconds = int(every.total_seconds())
    start = int(now.timestamp()) // seconds * seconds
    return datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M")


def _claim(job_: Job, now: datetime) -> Optional[JobRun]:
    """Insert this period's run; None when another machine already has it."""
    run = JobRun(name=job_.name, period=period_of(job_.every, now), started_at=now)
    try:
        with transaction():
            db.session.add(run)
    except IntegrityError:  # the period's UNIQUE row is another machine's
        return None
    return run


def run_job(job_: Job, now: Optional[datetime] = None) -> tuple[str, str]:
    """Run one job if due; (status, summary) where status is ran, skipped or failed."""
    now = now or utcnow()
    record = _claim(job_, now) if job_.every else None
    if job_.every and record is None:
        return "skipped", "already run for this period"
    try:
        summary = job_.run(now) or ""
        status = "ran"
    except Exception as error:
        db.session.rollback()  # whatever the failed job left unfinished, outside any transaction()
        summary, status = f"{type(error).__name__}: {error}"[:1000], "failed"
    if record is not None:
        with transaction():
            record = db.session.merge(record)
            record.status, record.detail, record.finished_at = (
                "done" if status == "ran" else "failed", summary[:1000], utcnow())
    return status, summary


def registered() -> dict[str, Job]:
    """Every registered job by name (importing the app registers them)."""
    return dict(_JOBS)


@jobs_cli.command("run")
@click.argument("name", required=False)
def run_command(name: Optional[str]) -> None:
    """Run every job that is due, or only NAME; exit 1 if one failed."""
    chosen = [_JOBS[name]] if name in _JOBS else list(_JOBS.values())
    if name and name not in _JOBS:
        raise click.ClickException(f"No job named {name!r}; known: {', '.join(sorted(_JOBS))}")
    failed = False
    for job_ in chosen:
        status, summary = run_job(job_)
        failed |= status == "failed"
        click.echo(f"{job_.name}: {status}" + (f" ({summary})" if summary else ""))
    if failed:
        sys.exit(1)
