"""The explorer's sharing of the machine: the fair gate and the long-job pools."""

from __future__ import annotations

import threading
import time

import pytest

from isotopy.web.scheduler import Cancelled, FairGate, Job, JobPool


def test_gate_serves_waiters_in_arrival_order():
    gate = FairGate(1)
    first = gate.waiter()
    assert gate.acquire(first)
    order, threads = [], []
    for i in range(4):
        w = gate.waiter()

        def run(i=i, w=w):
            assert gate.acquire(w, timeout=10)
            order.append(i)
            gate.release()

        t = threading.Thread(target=run)
        t.start()
        threads.append(t)
        while len(gate.queue) < i + 1:  # queued before the next one arrives
            time.sleep(0.001)
    gate.release()
    for t in threads:
        t.join(10)
    assert order == [0, 1, 2, 3] and gate.free == 1


def test_a_message_takes_a_waiter_out_of_the_queue():
    gate = FairGate(1)
    assert gate.acquire(gate.waiter())
    w, pending = gate.waiter(), []
    t0 = time.perf_counter()
    threading.Timer(0.05, lambda: (pending.append(1), gate.poke(w))).start()
    assert not gate.acquire(w, interrupt=lambda: bool(pending), timeout=5)
    assert time.perf_counter() - t0 < 1.0 and not gate.queue
    assert gate.share(0.01) == 0.01  # one busy session: the longest slice
    crowd = FairGate(2, round_s=0.2)
    crowd.queue.extend(crowd.waiter() for _ in range(98))
    crowd.free = 0
    assert crowd.share(0.01) == pytest.approx(0.004)  # 100 busy: 0.2 s x 2 slots / 100


def _job(owner, fn, results):
    return Job(owner, "test", fn, lambda r, e: results.append((owner, r, type(e).__name__)))


def test_pool_replaces_queued_jobs_and_cancels_running_ones():
    pool, results = JobPool("test"), []
    started, release = threading.Event(), threading.Event()

    def slow(job):
        started.set()
        while not release.wait(0.01):
            job.check()
        return "slow done"

    a, b = object(), object()
    pool.submit(_job(a, slow, results))
    started.wait(5)
    pool.submit(_job(b, lambda job: "b1", results))
    pool.submit(_job(b, lambda job: "b2", results))  # replaces b1, still queued
    assert pool.position(pool.queue[0]) == 1 and pool.busy(b)
    assert pool.cancel(a) == 1  # the running job stops at its next check
    deadline = time.time() + 5
    while len(results) < 3 and time.time() < deadline:
        time.sleep(0.01)
    assert results == [(b, None, "Cancelled"), (a, None, "Cancelled"), (b, "b2", "NoneType")]
    assert not pool.busy(a) and not pool.busy(b)


def test_job_check_is_a_progress_hook():
    job = Job(None, "test", lambda j: None, lambda r, e: None)
    job.check(3, 10)
    job.cancel()
    with pytest.raises(Cancelled):
        job.check(4, 10)
