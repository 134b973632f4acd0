"""A real ``isotopy serve`` in a subprocess for browser and load tests.

It listens on 127.0.0.1 on a free port (``--port 0``; the address is read from its first
line), is wrapped in ``timeout`` so it cannot outlive a hung test run, and is stopped by
its process id when the fixture ends.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


class ServerProcess:
    def __init__(self, export_dir: Path, *, max_seconds: int = 600):
        env = dict(os.environ, PYTHONPATH=str(SRC), OMP_NUM_THREADS="1")
        cmd = [
            sys.executable,
            "-m",
            "isotopy",
            "serve",
            "--port",
            "0",
            "--host",
            "127.0.0.1",
            "--export-dir",
            str(export_dir),
        ]
        if shutil.which("timeout"):
            cmd = ["timeout", "-s", "TERM", str(max_seconds), *cmd]
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        line = ""
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            if m:
                self.url = m.group(1)
                break
            if self.proc.poll() is not None:
                break
        else:  # pragma: no cover
            self.stop()
            raise RuntimeError("the server did not start within 60 s")
        if not hasattr(self, "url"):
            self.stop()
            raise RuntimeError(f"the server did not start: {line}")
        self.ws_url = self.url.replace("http://", "ws://") + "ws"

    @property
    def server_pid(self) -> int:
        """The Python process (the child of ``timeout`` when that wraps it)."""
        try:
            kids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
            return int(kids.split()[0]) if kids.strip() else self.proc.pid
        except OSError:
            return self.proc.pid

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.server_pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()
