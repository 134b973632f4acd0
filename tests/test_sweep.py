"""Sweeps: grids, resumable chunks, the results table, executors (local, Ray), the CLI."""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pandas as pd
import pytest

from conftest import SRC
from isotopy import InputError
from isotopy.sweep import SweepGrid, grid_chunks, load_results, run_sweep, summarize
from isotopy.sweep import run as sweep_run

SMALL = dict(
    datasets=("disc_annulus",),
    widths=(2, 3),
    depths=(1,),
    seeds=(0, 1, 2),
    steps=60,
    n_points=120,
    chunk_size=2,
    dense_points=900,
)


def test_grid_cells_and_chunks():
    g = SweepGrid(
        datasets=("disc_annulus", "spirals"),
        params={"turns": (1.0, 1.5)},
        widths=(2, 3),
        depths=(1, 2),
        activations=("tanh", "relu"),
        contractive=(0.0, 0.1),
        seeds=range(5),
        chunk_size=2,
    )
    chunks = grid_chunks(g)
    # disc_annulus: 2*2*2*2 cells; spirals: 2 turns * 16 cells; 3 chunks of seeds each
    assert len(chunks) == (16 + 32) * 3
    assert g.n_networks == (16 + 32) * 5
    assert {tuple(c["seeds"]) for c in chunks} == {(0, 1), (2, 3), (4,)}
    assert all("turns" not in c["params"] for c in chunks if c["dataset"] == "disc_annulus")
    assert len({c["id"] for c in chunks}) == len(chunks)
    assert [c["id"] for c in grid_chunks(g)] == [c["id"] for c in chunks]  # stable
    assert "48 cells" in repr(g)
    assert SweepGrid.from_dict(g.to_dict()).key() == g.key()


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(widths=()), "empty"),
        (dict(widths=(0, 2)), "every width must be an integer >= 1"),
        (dict(depths=(0,)), "every depth"),
        (dict(seeds=()), "empty"),
        (dict(datasets=("nope",)), "unknown dataset 'nope'"),
        (dict(activations=("swish",)), "unknown activation"),
        (dict(contractive=(-0.1,)), "contractive weight"),
        (dict(params={"turns": (1,)}), "no dataset of the sweep has a parameter 'turns'"),
        (dict(widths=(2, 2)), "twice"),
    ],
)
def test_grid_errors(kwargs, match):
    with pytest.raises(InputError, match=match):
        SweepGrid(**kwargs)


def test_table_resume_and_refusal(tmp_path, monkeypatch):
    grid = SweepGrid(**SMALL)
    seen = []
    table = run_sweep(grid, tmp_path / "a", progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 6) and seen[-1] == (6, 6)
    assert len(table) == 6 and list(table["width"]) == [2, 2, 2, 3, 3, 3]
    assert list(table["seed"]) == [0, 1, 2] * 2
    for col in [
        "dataset",
        "depth",
        "width",
        "hidden",
        "activation",
        "contractive",
        "seed",
        "train_accuracy",
        "test_accuracy",
        "dense_accuracy",
        "final_loss",
        "chunk",
    ]:
        assert col in table
    assert table["dense_accuracy"].between(0, 1).all() and (table["dense_points"] > 100).all()
    for f in ["results.csv", "results.parquet", "accuracy_vs_width.png", "sweep.json"]:
        assert (tmp_path / "a" / f).is_file()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / "results.parquet"), table)
    assert len(pd.read_csv(tmp_path / "a" / "results.csv")) == 6

    # a crash after the first chunk: finished chunks stay, no table; a rerun completes it
    calls = {"n": 0}
    real = sweep_run.EXECUTORS["local"]

    def crashing(chunks, on_result, **kw):
        def once(spec, rows):
            calls["n"] += 1
            on_result(spec, rows)
            raise KeyboardInterrupt

        real(chunks, once, **kw)

    monkeypatch.setitem(sweep_run.EXECUTORS, "local", crashing)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(grid, tmp_path / "b")
    assert calls["n"] == 1 and len(os.listdir(tmp_path / "b" / "chunks")) == 1
    assert not (tmp_path / "b" / "results.csv").exists()
    with pytest.raises(InputError, match="unfinished"):
        load_results(tmp_path / "b")
    monkeypatch.setitem(sweep_run.EXECUTORS, "local", real)
    done = []
    again = run_sweep(grid, tmp_path / "b", progress=lambda d, t: done.append(d))
    assert done[0] == 2  # the finished chunk was skipped
    pd.testing.assert_frame_equal(again, table)

    # a different grid in the same folder is refused and nothing is overwritten
    before = (tmp_path / "a" / "results.csv").read_bytes()
    other = SweepGrid(**{**SMALL, "widths": (2, 3, 4)})
    with pytest.raises(InputError, match="different sweep grid .*widths"):
        run_sweep(other, tmp_path / "a")
    assert (tmp_path / "a" / "results.csv").read_bytes() == before
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x.txt").write_text("hello")
    with pytest.raises(InputError, match="holds no sweep"):
        run_sweep(grid, tmp_path / "c")


def test_dense_accuracy_sees_the_width_bound(tmp_path):
    """Width 2 cannot separate the disc from the annulus on the dense grid; width 3 can."""
    grid = SweepGrid(
        datasets=("disc_annulus",),
        widths=(2, 3),
        depths=(1,),
        seeds=(0, 1, 2),
        steps=600,
        n_points=300,
        dense_points=2500,
        chunk_size=3,
    )
    table = run_sweep(grid, tmp_path / "s", plot=False)
    s = summarize(table)
    assert s.loc[s.width == 2, "max"].item() < 0.95
    assert s.loc[s.width == 3, "max"].item() == 1.0  # some 3-unit network separates them
    assert s.loc[s.width == 3, "median"].item() > 0.97
    assert (s["score"] == "dense_accuracy").all()


def test_compile_reaches_every_chunk(tmp_path, monkeypatch):
    """run_sweep(compile=...) is handed to fit for each chunk and leaves the chunk ids alone."""
    from isotopy.sweep import chunk

    seen = []
    real_fit = chunk.fit

    def spy(*args, compile=None, **kwargs):
        seen.append(compile)
        return real_fit(*args, compile=False, **kwargs)

    monkeypatch.setattr(chunk, "fit", spy)
    grid = SweepGrid(**{**SMALL, "seeds": (0, 1, 2)})
    n_chunks = len(grid_chunks(grid))
    run_sweep(grid, tmp_path / "a", plot=False, compile=True)
    assert seen == [True] * n_chunks
    run_sweep(grid, tmp_path / "b", plot=False)
    assert seen[n_chunks:] == [None] * n_chunks
    # the same chunk files (ids do not depend on compile), so either run resumes the other
    assert sorted(p.name for p in (tmp_path / "a" / "chunks").iterdir()) == sorted(
        p.name for p in (tmp_path / "b" / "chunks").iterdir()
    )
    a = load_results(tmp_path / "a")
    pd.testing.assert_frame_equal(a, load_results(tmp_path / "b"))


def test_no_labels_fn_gives_nan_dense(tmp_path):
    grid = SweepGrid(**{**SMALL, "datasets": ("spirals",), "widths": (2,), "seeds": (0,)})
    table = run_sweep(grid, tmp_path / "sp")
    assert table["dense_accuracy"].isna().all()
    assert summarize(table)["score"].item() == "train_accuracy"


def test_plot_single_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from isotopy.render.sweep import plot_accuracy_vs_width

    rows = [
        dict(
            dataset="disc_annulus",
            depth=1,
            width=w,
            activation="tanh",
            contractive=0.0,
            seed=s,
            train_accuracy=a,
            test_accuracy=a,
            dense_accuracy=a,
        )
        for w, a in [(2, 0.8), (3, 1.0)]
        for s in range(3)
    ]
    fig, ax = plt.subplots()
    assert plot_accuracy_vs_width(pd.DataFrame(rows), ax=ax) is fig
    plt.close(fig)


def test_ray_gives_the_local_table(tmp_path):
    ray = pytest.importorskip("ray")
    grid = SweepGrid(**SMALL)
    local = run_sweep(grid, tmp_path / "local", plot=False)
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(SRC)}},
    )
    try:
        remote = run_sweep(grid, tmp_path / "ray", executor="ray", plot=False)
    finally:
        ray.shutdown()
    pd.testing.assert_frame_equal(remote, local)
    assert np.isfinite(remote["train_accuracy"]).all()


def test_cli_sweep(cli, tmp_path, monkeypatch, capsys):
    args = "sweep --dataset disc_annulus --hidden 2,3 --seeds 2 --steps 40 --n-points 100"
    args += " --dense-points 400 --workers 1 --out res"
    ok = cli(*args.split(), check=0)
    assert "wrote res/results.csv" in ok.stdout and "dense_accuracy" in ok.stdout
    table = pd.read_csv(tmp_path / "res" / "results.csv")
    assert len(table) == 4
    again = cli(*args.split(), check=0)
    assert "resuming" in again.stdout
    before = (tmp_path / "res" / "results.csv").read_bytes()
    # a real process for one bad input (exit status, stderr), the rest in-process via main()
    proc = cli(
        "sweep",
        "--dataset",
        "disc_annulus",
        "--executor",
        "ray",
        "--ray-address",
        "127.0.0.1:9",
        "--out",
        "nowhere",
        check=2,
    )
    err = proc.stderr.strip().splitlines()[-1]
    assert "cannot reach a Ray cluster at '127.0.0.1:9'" in err and "Traceback" not in proc.stderr
    assert not (tmp_path / "nowhere").exists()
    from isotopy.cli import main

    monkeypatch.chdir(tmp_path)
    for args, match in [
        (["--seeds", "0"], "--seeds must be an integer >= 1"),
        (["--hidden", "0,2"], "every width must be an integer >= 1"),
        (["--hidden", ","], "the sweep grid is empty"),
        (["--contractive", "-1"], "contractive weight"),
        (["--hidden", "2,3,4", "--out", "res"], "different sweep grid"),
        (["--executor", "dask"], "unknown executor 'dask'"),
    ]:
        argv = ["sweep", "--dataset", "disc_annulus", "--steps", "5", "--out", "bad", *args]
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert match in err and len(err.splitlines()) == 1, err
    assert (tmp_path / "res" / "results.csv").read_bytes() == before
    assert not (tmp_path / "bad").exists()
    helptext = cli("sweep", "--help", check=0).stdout
    assert "example:" in helptext and "isotopy sweep" in helptext


def _running(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie waiting to be reaped does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def test_pool_workers_exit_when_their_parent_is_killed(tmp_path):
    import signal
    import subprocess
    import textwrap

    script = tmp_path / "parent.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, time
            from isotopy.sweep.executors import worker_pool
            if __name__ == "__main__":
                pool = worker_pool(2)
                pids = {f.result() for f in [pool.submit(os.getpid) for _ in range(6)]}
                print(" ".join(map(str, sorted(pids))), flush=True)
                time.sleep(120)
            """
        )
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert pids and all(_running(p) for p in pids)
        os.kill(parent.pid, signal.SIGKILL)  # no chance to shut the pool down
        parent.wait(timeout=10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_running(p) for p in pids):
            time.sleep(0.2)
        assert not any(_running(p) for p in pids), "pool workers outlived their parent"
    finally:
        if parent.poll() is None:
            parent.kill()
