"""bench/api.py's open loop: sales offered on a fixed schedule, whatever the server answers.

Each sale has its send time (start + n / rate) and its latency is measured from that time, not
from when it was actually sent, so a slow server shows as latency instead of as a lower offered
rate (no coordinated omission). One asyncio loop in one thread writes every request on its own
loopback connection with `Connection: close` (gunicorn's sync workers close after every answer
anyway), which costs the generator far less CPU than a thread a client; its own CPU is measured
and reported, as are the server's and the database's.
"""
import asyncio
import json
import os
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
