"""Where training runs: every tensor of a step on the network's device (checked on ``meta``,
which holds shapes and devices but no values), sweeps on a device (``--device``), devices
this machine lacks refused in one sentence, and CUDA when there is one."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from isotopy import InputError, Network, make_dataset
from isotopy.sweep import SweepGrid, grid_chunks, run_sweep
from isotopy.train import Trainer, resolve_device
from isotopy.train.backends import eager
from isotopy.train.penalties import PENALTIES

META = torch.device("meta")
TINY = dict(
    datasets=("disc_annulus",),
    widths=(2,),
    seeds=(0, 1, 2),
    steps=15,
    n_points=80,
    chunk_size=2,
    dense_points=400,
)
needs_cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device on this machine"
)


@pytest.mark.parametrize("d_in,batched", [(2, False), (2, True), (12, False)])
def test_a_step_with_every_penalty_stays_on_the_device(d_in, batched):
    """The step's loss, every library penalty (the contractive one exact for 2 inputs and
    estimated for 12) and the gradients: on the network's device, none made on the CPU."""
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(40, d_in, generator=g), (torch.rand(40, generator=g) > 0.5).long()
    net = Network(d_in, (3, 2), "tanh", 2, n_networks=2, seed=0).to(META)
    xb, yb = X.to(META), y.to(META)
    if batched:  # mini-batches: (N, B, d)
        xb, yb = xb.expand(2, -1, -1), yb.expand(2, -1)
    loss, hits = eager.loss_hits(net, xb, yb, yb.bool())
    total = loss
    for name, factory in PENALTIES.items():
        value = factory(0.1)(net, xb)
        assert value.device == META and value.shape == (2,), name
        total = total + value
    assert hits.device == META
    total.sum().backward()
    assert all(p.grad is not None and p.grad.device == META for p in net.parameters())


def test_a_trainer_step_on_meta():
    X, y = make_dataset("disc_annulus", 40, seed=0)
    try:
        t = Trainer(Network(2, (3,), n_networks=2), X, y, device=META)
        t.step(1)
    except NotImplementedError as e:
        if "meta" not in str(e):
            raise
        pytest.skip(
            "a Trainer step cannot run on meta: it copies snapshots to the CPU and reads each "
            "network's loss to stop those that turn NaN, and meta tensors hold no values "
            "(the step's tensor work is checked on meta above)"
        )
    assert t.step_count == 1


@pytest.mark.parametrize(
    "name,match",
    [
        ("cuda:99", "cuda:99' was asked for, but this machine has"),
        ("tpu9", "unknown device 'tpu9'"),
        ("meta", "device 'meta' holds no values and cannot train"),
    ],
)
def test_devices_this_machine_lacks_are_refused(name, match):
    with pytest.raises(InputError, match=match):
        resolve_device(name)
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="no CUDA device"):
            resolve_device("cuda")


def test_the_device_reaches_every_chunk_and_a_missing_one_writes_nothing(tmp_path, monkeypatch):
    from isotopy.sweep import chunk

    seen = []
    real_fit = chunk.fit

    def spy(*args, device=None, **kwargs):
        seen.append(device)
        return real_fit(*args, device=device, **kwargs)

    monkeypatch.setattr(chunk, "fit", spy)
    grid = SweepGrid(**TINY)
    run_sweep(grid, tmp_path / "cpu", plot=False, device="cpu")
    assert seen == ["cpu"] * len(grid_chunks(grid))
    with pytest.raises(InputError, match="cuda:99"):
        run_sweep(grid, tmp_path / "gpu", plot=False, device="cuda:99")
    assert not (tmp_path / "gpu").exists()


@pytest.mark.parametrize("device", ["cuda:99", "tpu9", "meta"])
def test_cli_sweep_refuses_a_device_in_one_sentence(cli_inproc, tmp_path, device):
    code, _, err = cli_inproc(
        "sweep", "--dataset", "disc_annulus", "--steps", "5", "--device", device, "--out", "res"
    )
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "error:" in lines[0] and device in lines[0], err
    assert not (tmp_path / "res").exists()


@needs_cuda
def test_a_sweep_on_cuda_gives_the_cpu_table(tmp_path):
    grid = SweepGrid(**TINY)
    cpu = run_sweep(grid, tmp_path / "cpu", plot=False)
    gpu = run_sweep(grid, tmp_path / "gpu", plot=False, device="cuda")
    cols = ["train_accuracy", "test_accuracy", "dense_accuracy", "final_loss"]
    pd.testing.assert_frame_equal(gpu.drop(columns=cols), cpu.drop(columns=cols))
    # float rounding differs between the devices: a point on the boundary may flip
    pd.testing.assert_frame_equal(gpu[cols[:3]], cpu[cols[:3]], atol=0.02, rtol=0)
    pd.testing.assert_series_equal(gpu["final_loss"], cpu["final_loss"], atol=1e-4, rtol=0)


@needs_cuda
def test_a_trainer_on_cuda_steps_as_on_the_cpu():
    X, y = make_dataset("disc_annulus", 100, seed=0)
    nets = {d: Network(2, (3,), n_networks=3, seed=1) for d in ("cpu", "cuda")}
    for d, net in nets.items():
        Trainer(net, X, y, device=d, batch_size=32, l2=0.01, contractive=0.05).step(20)
    for a, b in zip(nets["cpu"].parameters(), nets["cuda"].parameters(), strict=True):
        assert b.device.type == "cuda"
        torch.testing.assert_close(a, b.cpu(), atol=1e-4, rtol=1e-4)
