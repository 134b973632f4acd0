"""Executors: who runs a sweep's chunks. A registry of names, each a function

    executor(chunks, on_result, **options) -> None

that runs ``run_chunk`` on every chunk spec and calls ``on_result(spec, rows)`` in the
calling process as each one finishes (in any order; the table is sorted afterwards).

- ``local``: in this process (``workers=1``) or a pool of ``workers`` processes on this
  machine, each computing with one thread.
- ``ray``: each chunk is a Ray task (one CPU) on a Ray cluster: an existing one
  (``address="auto"`` or ``"host:port"``), the instance this process already started, or a
  new local one.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

from ..errors import InputError, check_positive_int
from .chunk import run_chunk

__all__ = ["EXECUTORS", "local_executor", "ray_executor", "worker_pool"]

PARENT_POLL_S = 1.0  # how often a pool worker checks that the process that started it lives


def local_executor(chunks: list[dict], on_result: Callable, *, workers: int = 1, **_) -> None:
    """Run chunks here: sequentially, or in a pool of ``workers`` processes."""
    workers = min(check_positive_int(workers, "the number of workers"), max(len(chunks), 1))
    if workers == 1:
        for spec in chunks:
            on_result(spec, run_chunk(spec))
        return
    from concurrent.futures import FIRST_COMPLETED, wait

    with worker_pool(workers) as pool:
        pending = {pool.submit(run_chunk, spec): spec for spec in chunks}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    on_result(pending.pop(fut), fut.result())
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise


def worker_pool(workers: int):
    """A pool of ``workers`` processes, each computing with one thread, that exit by
    themselves when the process that started them dies (even by SIGKILL, which leaves no
    chance to shut the pool down): each worker checks its parent every ``PARENT_POLL_S``."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    # spawn: no fork of a process that may hold threads; each worker imports isotopy once.
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context("spawn"),
        initializer=_init_worker,
        initargs=(os.getpid(),),
    )


def _init_worker(parent: int):
    import threading

    os.environ.setdefault("OMP_NUM_THREADS", "1")

    def watch():
        # a worker whose parent died is re-parented (getppid changes): nothing will ever
        # come through its task queue again, so it leaves instead of idling for good
        while os.getppid() == parent:
            threading.Event().wait(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="isotopy-parent-watch", daemon=True).start()
    import torch

    torch.set_num_threads(1)


def _package_path() -> str:
    """The folder that holds the ``isotopy`` package (so Ray workers import this copy)."""
    return str(Path(__file__).resolve().parents[2])


def check_reachable(address: str) -> None:
    host, sep, port = address.rpartition(":")
    if not sep:
        host, port = address, "6379"
    host = host.replace("ray://", "") or "127.0.0.1"
    try:
        port_n = int(port)
    except ValueError:
        raise InputError(f"Ray address {address!r} is not 'auto' or HOST:PORT") from None
    try:
        with socket.create_connection((host, port_n), timeout=5):
            pass
    except OSError as e:
        raise InputError(
            f"cannot reach a Ray cluster at {address!r} ({e.strerror or e}); "
            f"start one with 'ray start --head' or use --executor local"
        ) from None


def ray_executor(
    chunks: list[dict],
    on_result: Callable,
    *,
    address: str | None = None,
    num_cpus: int | None = None,
    **_,
) -> None:
    """Run each chunk as a Ray task (one CPU each).

    Parameters
    ----------
    address : str, optional
        ``"auto"`` (a cluster already running on this machine) or ``"HOST:PORT"``; None
        uses the Ray instance this process already initialised, or starts a local one.
    num_cpus : int, optional
        CPUs of a newly started local instance (default: all).
    """
    try:
        import ray
    except ImportError:
        raise InputError("the ray executor needs Ray: pip install 'isotopy[sweep]'") from None
    started = False
    if not ray.is_initialized():
        if address not in (None, "auto"):
            check_reachable(address)
        env = {
            "env_vars": {
                "PYTHONPATH": os.pathsep.join(
                    p for p in [_package_path(), os.environ.get("PYTHONPATH", "")] if p
                )
            }
        }
        try:
            if address is None:
                ray.init(
                    num_cpus=num_cpus, include_dashboard=False, runtime_env=env, log_to_driver=False
                )
            else:
                ray.init(address=address, runtime_env=env, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as e:
            where = (
                "no Ray cluster is running on this machine"
                if address == "auto"
                else f"cannot connect to a Ray cluster at {address!r} ({type(e).__name__})"
            )
            raise InputError(
                f"{where}; start one with 'ray start --head' or use --executor local"
            ) from None
        started = True
    try:
        task = ray.remote(num_cpus=1)(run_chunk)
        pending = {task.remote(spec): spec for spec in chunks}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                on_result(pending.pop(ref), ray.get(ref))
    finally:
        if started:
            ray.shutdown()


EXECUTORS: dict[str, Callable] = {"local": local_executor, "ray": ray_executor}
