"""The default rate-limit storage (local://): it counts and expires like memory://, without
starting a thread on every request."""
import sys
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


def test_threads_of_one_worker_count_together():
    """gthread workers: the first wrong passwords of many threads at once are each counted, and
    no more pass than the limit. `memory://` (before local:// locked each operation whole) lost
    counts here: a thread reading a key not yet given its expiry dropped another's count, so in
    many rounds all 16 passed a limit of 10. A tiny switch interval makes the threads interleave
    inside the storage's operations, as a busy worker's would now and then."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        storage = storage_from_string("local://")
        limiter = FixedWindowRateLimiter(storage)
        ten = parse("10 per minute")
        threads, wrong = 16, []
        for round_ in range(60):
            barrier, passed = threading.Barrier(threads), []

            def attempt():
                barrier.wait()
                passed.append(limiter.hit(ten, "user", str(round_)))

            running = [threading.Thread(target=attempt) for _ in range(threads)]
            for thread in running:
                thread.start()
            for thread in running:
                thread.join()
            counted = storage.get(ten.key_for("user", str(round_)))
            if passed.count(True) != 10 or counted != threads:
                wrong.append((round_, passed.count(True), counted))
    finally:
        sys.setswitchinterval(previous)
    assert wrong == [], f"(round, passed, counted) that went wrong: {wrong[:5]}"


def test_a_pickled_local_storage_still_locks():
    import pickle

    storage = pickle.loads(pickle.dumps(storage_from_string("local://")))
    assert FixedWindowRateLimiter(storage).hit(parse("1 per minute"), "copy")
    assert not FixedWindowRateLimiter(storage).hit(parse("1 per minute"), "copy")
