"""Test setup: import the package from this checkout's src/, run the CLI as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))
torch.set_num_threads(1)  # tiny networks: threads only add overhead, and results stay exact


@pytest.fixture
def cli(tmp_path):
    """Run ``isotopy ARGS...`` in a subprocess; returns CompletedProcess (text)."""

    def run(*args, timeout=300, check=None):
        env = dict(os.environ, PYTHONPATH=str(SRC), OMP_NUM_THREADS="1")
        proc = subprocess.run(
            [sys.executable, "-m", "isotopy", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
        )
        if check is not None:
            assert proc.returncode == check, proc.stderr[-2000:]
        return proc

    return run


@pytest.fixture
def cli_inproc(tmp_path, capsys, monkeypatch):
    """Run ``isotopy ARGS...`` in this process (fast); returns (exit status, stdout, stderr)."""
    from isotopy.cli import main

    monkeypatch.chdir(tmp_path)

    def run(*args):
        try:
            code = main([str(a) for a in args])
        except SystemExit as e:  # --help and argparse usage errors exit through SystemExit
            code = e.code
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
