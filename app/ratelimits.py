"""The rate limits' default storage, `local://`: counters in this process's memory.

It is `limits`' own `memory://` storage without its expiry thread: that storage starts a new
`threading.Timer` whenever the last one has finished (10 ms), so under steady traffic nearly
every request paid for starting a thread (about a third of a millisecond of CPU, measured with
bench/api.py). Here expired counters are dropped by the requests themselves: each read already
ignores an expired counter, and at most once a minute a request sweeps the rest away.

Like `memory://` it is per process: with several gunicorn workers each counts on its own, so a
county's server sets RATELIMIT_STORAGE_URI to Redis (README, "Configuration"), and gunicorn
refuses to start several workers on a per-process storage unless told that is meant
(gunicorn.conf.py's `check_worker_storage`). The threads of one worker (gunicorn's
gthread workers, deploy/) share its counts, and one lock makes each operation whole: `memory://`
locks a key only after reading it, and a thread that read a key not yet given its expiry dropped
the count another thread had just made (16 threads' first wrong passwords all passed a limit of
10; tests/test_ratelimits.py). It is also the Limiter's fallback while Redis is out.
"""
import threading
import time

from limits.storage import MemoryStorage

SWEEP_EVERY = 60.0  # seconds between sweeps of expired counters


class LocalStorage(MemoryStorage):
    """`memory://` that sweeps expired counters inline instead of on a timer thread."""

    STORAGE_SCHEME = ["local"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()  # the parent's first timer; no other is started
        self._swept_at = time.monotonic()
        # Reentrant: the sliding window's acquire calls get, incr and decr.
        self._whole = threading.RLock()

    # Every public operation of `memory://`, one thread at a time (a few µs each).
    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        with self._whole:
            return super().incr(key, expiry, amount)

    def decr(self, key: str, amount: int = 1) -> int:
        with self._whole:
            return super().decr(key, amount)

    def get(self, key: str) -> int:
        with self._whole:
            return super().get(key)

    def get_expiry(self, key: str) -> float:
        with self._whole:
            return super().get_expiry(key)

    def clear(self, key: str) -> None:
        with self._whole:
            super().clear(key)

    def reset(self) -> int | None:
        with self._whole:
            return super().reset()

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        with self._whole:
            return super().acquire_entry(key, limit, expiry, amount)

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        with self._whole:
            return super().get_moving_window(key, limit, expiry)

    def acquire_sliding_window_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        with self._whole:
            return super().acquire_sliding_window_entry(key, limit, expiry, amount)

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        with self._whole:
            return super().get_sliding_window(key, expiry)

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        with self._whole:
            super().clear_sliding_window(key, expiry)

    def _MemoryStorage__schedule_expiry(self) -> None:
        """Called by the parent on every increment, where it would start a timer thread."""
        now = time.monotonic()
        if now - self._swept_at >= SWEEP_EVERY:
            self._swept_at = now
            self._MemoryStorage__expire_events()

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_whole", None)
        return state

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        self.timer.cancel()
        self._whole = threading.RLock()


def storage_options(uri: str) -> dict:
    """Options for the rate-limit storage: Redis out of reach fails fast (one attempt, a second's
    timeout), so requests go on with the in-memory fallback instead of hanging."""
    if uri.partition("://")[0].lower() in ("redis", "rediss", "redis+unix"):
        return {"socket_connect_timeout": 1, "socket_timeout": 1, "retry": None}
    return {}
