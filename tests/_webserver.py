"""A real ``isotopy serve`` in a subprocess for browser and load tests, and the same server
in a thread of the test (for settings the command line does not offer).

The subprocess listens on 127.0.0.1 (or ``host``) on a free port (``--port 0``; the address
is read from its first line), is wrapped in ``timeout`` so it cannot outlive a hung test run,
and is stopped by its process id when the fixture ends. The thread's server stops when
:meth:`ThreadServer.stop` is called (and is a daemon thread).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# The browser tests' harness evaluates strings in the page (Playwright's wait_for_function
# with an expression) and adds style elements (add_style_tag), both of which the explorer's
# policy forbids (script-src 'self', style-src 'self'): by default the test server runs the
# real command with 'unsafe-eval' and 'unsafe-inline' added to those two directives.
# ``strict_policy=True`` serves the policy users get (tests of the headers, and the browser
# test that drives the page under it).
_HARNESS = (
    "import sys, isotopy.web.guard as g; "
    "g.SCRIPT_SOURCES = (*g.SCRIPT_SOURCES, \"'unsafe-eval'\"); "
    "g.STYLE_SOURCES = (*g.STYLE_SOURCES, \"'unsafe-inline'\"); "
    "from isotopy.cli import main; sys.exit(main(sys.argv[1:]))"
)


class ServerProcess:
    def __init__(
        self,
        export_dir: Path,
        *,
        max_seconds: int = 600,
        host: str = "127.0.0.1",
        strict_policy: bool = False,
        extra: tuple = (),
    ):
        env = dict(os.environ, PYTHONPATH=str(SRC), OMP_NUM_THREADS="1")
        how = ["-m", "isotopy"] if strict_policy else ["-c", _HARNESS]
        cmd = [
            sys.executable,
            *how,
            "serve",
            "--port",
            "0",
            "--host",
            host,
            "--export-dir",
            str(export_dir),
            *extra,
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
            m = re.search(r"(http://[^\s/]+:\d+/)", line)
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


class ThreadServer:
    """``isotopy.web.make_server`` on 127.0.0.1, a free port, run in a daemon thread;
    ``options`` go to :func:`isotopy.web.create_app` (e.g. ``stall_s=2``)."""

    def __init__(self, **options):
        from isotopy.web import make_server

        self.server, self.url = make_server("127.0.0.1", 0, **options)
        self.ws_url = self.url.replace("http://", "ws://") + "ws"
        self.app = self.server.config.app
        self.thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": self.server.isotopy_sockets},
            daemon=True,
        )
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started and time.time() < deadline:
            time.sleep(0.05)
        if not self.server.started:  # pragma: no cover
            raise RuntimeError("the server did not start within 30 s")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)
