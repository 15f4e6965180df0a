"""bench/api.py's open loop: sales offered on a fixed schedule, whatever the server answers.

Each sale has its send time (start + n / rate) and its latency is measured from that time, not
from when it was actually sent, so a slow server shows as latency instead of as a lower offered
rate (no coordinated omission). One asyncio loop in one thread writes every request on its own
loopback connection with `Connection: close` (gunicorn's sync workers close after every answer
anyway, and nginx in front of them speaks to them so by default), which costs the generator far
less CPU than a thread a client; its own CPU is measured and reported, as are the server's and
the database's, and what the database's server processes waited on.
"""
import asyncio
import collections
import json
import os
import threading
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def sale_request(port: int, token: str, code: str, items: list[dict]) -> bytes:
    """The bytes of one POST /api/v1/redemptions, built before the clock starts."""
    body = json.dumps({"code": code, "items": items, "idempotency_key": code[-32:]}).encode()
    head = (f"POST /api/v1/redemptions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


async def _offer(port: int, requests: list[bytes], rate: float, timeout: float):
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    answers: list = [None] * len(requests)
    lags: list[float] = [0.0] * len(requests)

    async def one(n: int, at: float) -> None:
        lags[n] = loop.time() - at
        writer = None
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(requests[n])
            answer = await reader.read()  # to the end: the server closes after its answer
            status = int(answer[9:12]) if answer.startswith(b"HTTP/1.") else "no answer"
        except (OSError, ValueError) as error:
            status = type(error).__name__
        finally:
            if writer is not None:
                writer.close()
        answers[n] = (status, loop.time() - at)

    async def timed(n: int, at: float) -> None:
        try:
            await asyncio.wait_for(one(n, at), timeout)
        except TimeoutError:
            answers[n] = ("timeout", loop.time() - at)

    tasks = []
    for n in range(len(requests)):
        at = start + n / rate
        delay = at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed(n, at)))
    sent = loop.time() - start
    await asyncio.gather(*tasks)
    return answers, lags, sent, loop.time() - start


def offer(port: int, requests: list[bytes], rate: float, timeout: float = 30.0) -> dict:
    """Send `requests` at `rate` a second; each answer's (status, seconds from its scheduled
    send), how late each was really sent, and how long sending and answering took."""
    answers, lags, sent, elapsed = asyncio.run(_offer(port, requests, rate, timeout))
    return {"answers": answers, "lags": lags, "sent": sent, "elapsed": elapsed}


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share 0.95 for p95) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


def cpu_seconds(pids) -> float:
    """User and system CPU seconds the processes have used (from /proc; gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def family(pid: int) -> list[int]:
    """A process and its children (gunicorn's master and its workers)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *(int(c) for c in children)]


def backends(database: str) -> list[int]:
    """PostgreSQL's server processes for connections to `database` (their title names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {database} " in title:
                found.append(int(entry.name))
    return found


class Waits:
    """What the database's server processes for `database` were doing, sampled every 0.2 s while
    the load runs (pg_stat_activity): 'Lock' waits would be sales queueing on a shared row,
    'IO:WALSync' the commits' flush, 'Client:ClientRead' in a transaction waiting on the app."""

    def __init__(self, url: str, database: str):
        import sqlalchemy as sa

        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.query = sa.text(
            "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU'), state "
            "FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid() "
            "AND state <> 'idle'").bindparams(db=database)
        self.seen: collections.Counter = collections.Counter()
        self.pid, self.cpu = 0, 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            self.pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
            while not self.stop.wait(0.2):
                for wait, state in conn.execute(self.query):
                    self.seen[f"{wait} ({state})"] += 1
                conn.rollback()
        self.cpu = time.thread_time()  # not the load generator's: taken off its figure

    def __enter__(self) -> "Waits":
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        self.thread.join()
        self.engine.dispose()

    def summary(self, shown: int = 5) -> str:
        """The commonest states, with their share of the samples of busy server processes."""
        total = sum(self.seen.values()) or 1
        return ", ".join(f"{name} {100 * count / total:.0f} %"
                         for name, count in self.seen.most_common(shown)) or "none sampled"
