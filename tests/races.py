"""Races: threads with their own app contexts (so their own sessions and connections), released
together by a barrier, as PITFALLS.md asks; the Flask test client would serialise them."""
import threading

from app.extensions import db


def race(app, work, threads=20):
    """Run work(i) in `threads` threads at once; the results, or the exception each raised."""
    barrier = threading.Barrier(threads)
    results = [None] * threads

    def run(i):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = work(i)
            except Exception as error:  # collected and asserted on by the caller
                results[i] = error
            finally:
                db.session.remove()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers)
    return results
