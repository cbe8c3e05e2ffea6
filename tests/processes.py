"""A process a test starts (keeper, venue, solver), with its output in a log file: read its JSON events,
SIGKILL it as a crash, or stop it as a supervisor does."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WAIT_S = 30.0  # a failure guard: a stopped or killed process is gone well within this


@dataclass
class Process:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    ended_by_test: bool = False

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def events(self, name: str) -> list[dict[str, Any]]:
        """The JSON event lines called `name` this process wrote so far."""
        found = []
        for line in self.output().splitlines():
            with contextlib.suppress(ValueError):
                event = json.loads(line) if line.startswith("{") else None
                if isinstance(event, dict) and event.get("event") == name:
                    found.append(event)
        return found

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye."""
        self.ended_by_test = True
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=WAIT_S)

    def stop(self) -> int:
        """SIGTERM, as a supervisor stops it (SIGKILL if it does not exit in time); the exit code."""
        self.ended_by_test = True
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=WAIT_S / 2)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode
