"""The default rate-limit storage (local://): it counts and expires like memory://, without
starting a thread on every request."""
import threading
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app import ratelimits


def test_local_storage_limits_and_forgets(monkeypatch):
    storage = storage_from_string("local://")
    assert isinstance(storage, ratelimits.LocalStorage)
    limiter = FixedWindowRateLimiter(storage)
    three = parse("3 per second")
    assert [limiter.hit(three, "keeper-1") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(three, "keeper-2")  # another key counts on its own
    clock = time.time()
    monkeypatch.setattr(time, "time", lambda: clock + 2)  # the window has passed
    assert limiter.hit(three, "keeper-1")


def test_local_storage_starts_no_threads(monkeypatch):
    storage = storage_from_string("local://")
    limiter = FixedWindowRateLimiter(storage)
    limit = parse("1000 per minute")
    started = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self) or start(self))
    for _ in range(5):
        limiter.hit(limit, "holder")
        time.sleep(0.012)  # longer than memory://'s timer, which would start a thread each time
    assert started == []


def test_expired_counters_are_swept(monkeypatch):
    storage = storage_from_string("local://")
    limiter = FixedWindowRateLimiter(storage)
    for key in ("a", "b", "c"):
        limiter.hit(parse("5 per second"), key)
    assert len(storage.storage) == 3
    later = time.time() + 5
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "monotonic", lambda: storage._swept_at + ratelimits.SWEEP_EVERY + 1)
    limiter.hit(parse("5 per second"), "d")  # a request after a minute sweeps the stale ones
    assert [key.split("/")[1] for key in storage.storage] == ["d"]
