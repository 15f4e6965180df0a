"""Prometheus metrics: what the app counts as it serves, and what a scrape reads from the database.

Under gunicorn set PROMETHEUS_MULTIPROC_DIR (an empty folder, emptied at each start): every worker
then writes its counters to files there, and /metrics adds up all workers' files
(prometheus_client's multiprocess mode; the threads of one worker share its files, and
gunicorn.conf.py's child_exit drops a dead worker's live gauges). Without it the counters live
in this process.

Counted as the app serves (cheap: a counter is a few additions; the sale path is benchmarked):
requests by endpoint and status with their latency, and sales, check-ins and award entries, each
counted only once its transaction has committed (`after_commit`). Read at each scrape instead
(they must be right whichever worker or machine did the work): the outbox backlog, job runs by
job and status (the job_runs table: `flask jobs run` is a process of its own, started by a
timer), and the age of the newest backup file.
"""
import os
import time
from pathlib import Path
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm.Session's events)
from flask import current_app
from prometheus_client import CollectorRegistry, Counter, Histogram, REGISTRY, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from app.extensions import db
from app.models import JobRun, OutboxEvent
from app.models.outbox import MAX_ATTEMPTS

REQUESTS = Counter("lianxin_http_requests", "HTTP requests answered, by endpoint and status.",
                   ["endpoint", "status"])
LATENCY = Histogram("lianxin_http_request_duration_seconds",
                    "Time from the request's first hook to its last, by endpoint.", ["endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
SALES = Counter("lianxin_sales", "Shop sales (redemptions) committed.")
CHECK_INS = Counter("lianxin_check_ins", "Meeting attendances recorded (code, register or card).")
AWARD_ENTRIES = Counter("lianxin_award_entries",
                        "Ledger entries written by awards and deductions (one per household).",
                        ["kind"])

_PENDING = "lianxin.metrics_pending"


def after_commit(counter, amount: int = 1) -> None:
    """Add `amount` to `counter` once the current transaction commits (nothing if it rolls back)."""
    db.session.info.setdefault(_PENDING, []).append((counter, amount))


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _count_committed(session) -> None:
    for counter, amount in session.info.pop(_PENDING, ()):
        counter.inc(amount)


@sa.event.listens_for(sa.orm.Session, "after_transaction_end")
def _forget_rolled_back(session, transaction) -> None:
    # after_commit has taken what committed; whatever is left belonged to a rollback.
    if transaction.parent is None and _PENDING in session.info:
        del session.info[_PENDING]


_CHILDREN: dict = {}  # (endpoint, status): the two labelled series, looked up once


def observe_request(endpoint: str, status: int, seconds: float) -> None:
    """Count one answered request."""
    children = _CHILDREN.get((endpoint, status))
    if children is None:
        children = _CHILDREN[endpoint, status] = (REQUESTS.labels(endpoint, str(status)),
                                                  LATENCY.labels(endpoint))
    children[0].inc()
    children[1].observe(seconds)


def backup_dir() -> Path:
    """Where backups are written: BACKUP_DIR, else <instance>/backups."""
    configured = current_app.config.get("BACKUP_DIR")
    return Path(configured) if configured else Path(current_app.config["INSTANCE_PATH"]) / "backups"


def newest_backup_mtime(folder: Path) -> Optional[float]:
    """The modification time of the newest `lianxin-*.lxbak` (written under another name, then
    renamed, so a file with this name is complete); None when there is none."""
    try:
        times = [entry.stat().st_mtime for entry in os.scandir(folder)
                 if entry.name.startswith("lianxin-") and entry.name.endswith(".lxbak")
                 and entry.is_file()]
    except OSError:  # no such folder, or not readable
        return None
    return max(times, default=None)


class ScrapeTimeCollector:
    """Figures read when /metrics is scraped, from the database and the backup folder."""

    def collect(self):
        try:
            families = self._from_database()
        except sa.exc.SQLAlchemyError:  # the database is down: the rest of /metrics still answers
            families = []
        finally:
            db.session.rollback()  # end the read
        yield GaugeMetricFamily("lianxin_database_up", "1 when this scrape could read the database.",
                                value=1 if families else 0)
        yield from families
        newest = newest_backup_mtime(backup_dir())
        if newest is not None:  # no backup yet: the metric is absent (alert on absent())
            yield GaugeMetricFamily("lianxin_backup_age_seconds",
                                    "Seconds since the newest complete backup file was written.",
                                    value=max(0.0, time.time() - newest))

    @staticmethod
    def _from_database() -> list:
        """The outbox backlog and the job runs."""
        backlog = GaugeMetricFamily(
            "lianxin_outbox_backlog", "Outbox events not delivered yet (given_up: failed "
            f"{MAX_ATTEMPTS} times, no longer retried).", labels=["state"])
        waiting, given_up = db.session.execute(
            sa.select(sa.func.count(), sa.func.count().filter(OutboxEvent.attempts >= MAX_ATTEMPTS))
            .where(OutboxEvent.delivered_at.is_(None))).one()
        backlog.add_metric(["waiting"], waiting - given_up)
        backlog.add_metric(["given_up"], given_up)
        runs = CounterMetricFamily(
            "lianxin_job_runs", "Runs of periodic jobs recorded in job_runs, by job and status "
            "(done, failed, running).", labels=["job", "status"])
        for name, status, count in db.session.execute(
                sa.select(JobRun.name, JobRun.status, sa.func.count()).group_by(JobRun.name, JobRun.status)):
            runs.add_metric([name, status], count)
        return [backlog, runs]


_SCRAPE_TIME = CollectorRegistry(auto_describe=False)
_SCRAPE_TIME.register(ScrapeTimeCollector())


def exposition() -> bytes:
    """Every metric in Prometheus' text format: all workers' counters, then the scrape-time ones."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(_SCRAPE_TIME)
