"""The rate limits' default storage, `local://`: counters in this process's memory.

It is `limits`' own `memory://` storage without its expiry thread: that storage starts a new
`threading.Timer` whenever the last one has finished (10 ms), so under steady traffic nearly
every request paid for starting a thread (about a third of a millisecond of CPU, measured with
bench/api.py). Here expired counters are dropped by the requests themselves: each read already
ignores an expired counter, and at most once a minute a request sweeps the rest away.

Like `memory://` it is per process: with several gunicorn workers each counts on its own, so a
county's server sets RATELIMIT_STORAGE_URI to Redis (README, "Configuration").
"""
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

    def _MemoryStorage__schedule_expiry(self) -> None:
        """Called by the parent on every increment, where it would start a timer thread."""
        now = time.monotonic()
        if now - self._swept_at >= SWEEP_EVERY:
            self._swept_at = now
            self._MemoryStorage__expire_events()

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        self.timer.cancel()
