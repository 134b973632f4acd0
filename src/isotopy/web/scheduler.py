"""How the tabs share the machine: a fair gate for training and views, queues for long jobs.

- :class:`FairGate` hands out a few *slots* (about one per core) for the short, heavy work
  of a session: a training slice and the view that follows it. Sessions that want a slot
  queue in arrival order, so thirty training tabs take turns instead of thirty threads
  fighting over the interpreter. Controls (a new learning rate, pause) never need a slot:
  a session with a message waiting leaves the queue at once, answers it, and queues again.
  :meth:`FairGate.share` tells a session how long its slice may be so that a full round of
  every waiting session stays near ``round_s``.
- :class:`JobPool` runs one kind of long job (animations, exports, diagnostics) on its own
  thread(s), first come first served, one queued job per tab: separate pools mean a tab's
  GIF never waits behind another tab's diagnostics, and the session threads never wait for
  any of them. A job is cancelled when its tab leaves or changes the network or data it was
  computing from; a running job notices at its next :meth:`Job.check`.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable

__all__ = ["FairGate", "JobPool", "Job", "Cancelled"]

log = logging.getLogger("isotopy.web")


class Cancelled(Exception):
    """Raised inside a long job whose tab left or changed what the job was for."""


class _Waiter:
    __slots__ = ("event", "granted")

    def __init__(self):
        self.event = threading.Event()
        self.granted = False


class FairGate:
    """First-come-first-served slots for short heavy work.

    Parameters
    ----------
    slots : int
        Sessions that may work at once (about the number of cores).
    round_s : float
        Target time for every waiting session to get one turn.
    """

    def __init__(self, slots: int = 2, *, round_s: float = 0.2):
        self.slots = max(1, int(slots))
        self.free = self.slots
        self.round_s = round_s
        self.lock = threading.Lock()
        self.queue: deque[_Waiter] = deque()

    def waiter(self) -> _Waiter:
        return _Waiter()

    def acquire(
        self, w: _Waiter, interrupt: Callable[[], bool] | None = None, timeout: float = 0.5
    ) -> bool:
        """Wait for a slot; False when ``interrupt()`` turned true (``poke`` wakes the wait)
        or after ``timeout`` seconds."""
        with self.lock:
            if self.free > 0 and not self.queue:
                self.free -= 1
                return True
            w.granted = False
            w.event.clear()
            self.queue.append(w)
        if interrupt is None or not interrupt():
            w.event.wait(timeout)
        with self.lock:
            if w.granted:
                return True
            try:
                self.queue.remove(w)
            except ValueError:  # pragma: no cover - granted between the two checks
                return True
            return False

    @staticmethod
    def poke(w: _Waiter) -> None:
        """Wake a waiting session (a message arrived for it)."""
        w.event.set()

    def release(self) -> None:
        with self.lock:
            if self.queue:
                w = self.queue.popleft()
                w.granted = True
                w.event.set()
            else:
                self.free = min(self.slots, self.free + 1)

    def demand(self) -> int:
        """Sessions working or waiting for a slot now."""
        with self.lock:
            return len(self.queue) + self.slots - self.free

    def share(self, longest: float) -> float:
        """Length of one slice: ``longest`` when few wait, shorter when many do."""
        with self.lock:
            busy = len(self.queue) + self.slots - self.free
        return max(0.002, min(longest, self.round_s * self.slots / max(busy, 1)))


class Job:
    """One long job of one tab: ``fn(job)`` runs on a pool thread; ``done(result, error)``
    is called with its outcome (never when cancelled before it started)."""

    _ids = itertools.count(1)

    def __init__(
        self,
        owner,
        kind: str,
        fn: Callable[[Job], object],
        done: Callable[[object, BaseException | None], None],
    ):
        self.owner, self.kind, self.fn, self.done = owner, kind, fn, done
        self.id = next(self._ids)
        self.cancelled = threading.Event()
        self.started = False

    def check(self, *_args) -> None:
        """Raise :class:`Cancelled` when the job was cancelled (usable as a progress hook)."""
        if self.cancelled.is_set():
            raise Cancelled()

    def cancel(self) -> None:
        self.cancelled.set()


class JobPool:
    """A FIFO of long jobs of one kind, run by ``threads`` daemon threads.

    Parameters
    ----------
    kind : str
        Name used in thread names and messages ("animation", "export", "diagnostics").
    threads : int
    """

    def __init__(self, kind: str, threads: int = 1):
        self.kind = kind
        self.cv = threading.Condition()
        self.queue: deque[Job] = deque()
        self.running: set[Job] = set()
        self.threads = [
            threading.Thread(target=self._loop, name=f"isotopy-{kind}-{i}", daemon=True)
            for i in range(threads)
        ]
        for t in self.threads:
            t.start()

    def submit(self, job: Job) -> Job:
        """Queue ``job``; a queued (not started) job of the same tab is replaced by it."""
        with self.cv:
            for old in [j for j in self.queue if j.owner is job.owner]:
                self.queue.remove(old)
                old.cancel()
                self._finish(old, None, Cancelled())
            self.queue.append(job)
            self.cv.notify()
        return job

    def busy(self, owner) -> bool:
        with self.cv:
            return any(j.owner is owner for j in self.running) or any(
                j.owner is owner for j in self.queue
            )

    def position(self, job: Job) -> int:
        """Jobs ahead of ``job`` (running ones included)."""
        with self.cv:
            try:
                return len(self.running) + list(self.queue).index(job)
            except ValueError:
                return 0

    def cancel(self, owner) -> int:
        """Cancel every job of ``owner``: queued ones are dropped, running ones stop at their
        next check. Returns how many were cancelled."""
        n = 0
        with self.cv:
            for j in [j for j in self.queue if j.owner is owner]:
                self.queue.remove(j)
                j.cancel()
                self._finish(j, None, Cancelled())
                n += 1
            for j in self.running:
                if j.owner is owner and not j.cancelled.is_set():
                    j.cancel()
                    n += 1
        return n

    @staticmethod
    def _finish(job: Job, result, error) -> None:
        try:
            job.done(result, error)
        except Exception:  # pragma: no cover - the tab went away meanwhile
            log.exception("job callback failed")

    def _loop(self) -> None:
        while True:
            with self.cv:
                while not self.queue:
                    self.cv.wait()
                job = self.queue.popleft()
                self.running.add(job)
            job.started = True
            result, error = None, None
            try:
                job.check()
                result = job.fn(job)
                job.check()
            except BaseException as e:  # reported to the tab by done()
                error = e
            finally:
                with self.cv:
                    self.running.discard(job)
            self._finish(job, result, error)
            del job, result, error  # free a large result before waiting for the next job
