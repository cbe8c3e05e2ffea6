"""The keeper process's loop (solver.keeper.main): restarts after storage or chain errors, stops on a
signal even with a job stuck in flight, and refuses configurations it cannot run with."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from solver.adapters.chain.rpc import RpcUnavailable
from solver.keeper import main as keeper_main
from solver.ports import StorageUnavailable
from solver.settings import Secret, Settings, SettingsError

KEY = "0x" + "11" * 32


class FakeKeeper:
    """Fails its first runs with the given errors, then works until stopped (or forever, if `stuck`)."""

    def __init__(self, errors: list[Exception], runs: list[FakeKeeper], stuck: bool = False) -> None:
        self._errors, self._runs, self._stuck = errors, runs, stuck
        self.address = "0x000000000000000000000000000000000000bEEF"

    async def run(self, stop: asyncio.Event) -> None:
        self._runs.append(self)
        if self._errors:
            raise self._errors.pop(0)
        if self._stuck:  # watching a transaction that is never mined: ignores `stop`
            await asyncio.Event().wait()
        await stop.wait()


def events(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, Any]]:
    found = [json.loads(r.getMessage()) for r in caplog.records if r.name == "venue"]
    return [e for e in found if e["event"] == name]


async def _until(condition: Any) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.005)


async def test_storage_and_chain_errors_restart_the_loop_with_a_fresh_keeper(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="venue")
    runs: list[FakeKeeper] = []
    errors: list[Exception] = [StorageUnavailable("database restarting"), RpcUnavailable("node down")]
    stop = asyncio.Event()
    loop = asyncio.create_task(keeper_main._loop(lambda: FakeKeeper(errors, runs), stop, 0.01))  # type: ignore[arg-type, return-value]
    await _until(lambda: len(runs) == 3)
    stop.set()
    await loop
    assert len({id(k) for k in runs}) == 3  # a new Keeper each time: nonces reserved in memory are forgotten
    assert [e["error"] for e in events(caplog, "keeper_error")] == ["StorageUnavailable", "RpcUnavailable"]


async def test_a_stop_abandons_a_stuck_job_after_the_grace_period(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keeper_main, "SHUTDOWN_GRACE_S", 0.05)
    runs: list[FakeKeeper] = []
    stop = asyncio.Event()
    loop = asyncio.create_task(keeper_main._loop(lambda: FakeKeeper([], runs, stuck=True), stop, 0.01))  # type: ignore[arg-type, return-value]
    await _until(lambda: runs)
    stop.set()
    async with asyncio.timeout(2):
        await loop  # returns: the write-ahead makes abandoning the job as safe as a crash
    assert len(runs) == 1


async def test_other_errors_end_the_process() -> None:
    runs: list[FakeKeeper] = []
    loop = keeper_main._loop(lambda: FakeKeeper([KeyError("bug")], runs), asyncio.Event(), 0.01)  # type: ignore[arg-type, return-value]
    with pytest.raises(KeyError):
        await loop


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (Settings(database_url="sqlite+aiosqlite:///x.db"), "VENUE_KEEPER_KEY is required"),
        (Settings(keeper_key=Secret(KEY), database_url="memory://"), "must be a SQL database"),
    ],
)
async def test_a_configuration_the_keeper_cannot_run_with_is_refused(settings: Settings, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        await keeper_main.run_keeper(settings, asyncio.Event())


async def test_a_malformed_key_is_refused_without_showing_it() -> None:
    secret = "0x" + "ab" * 31  # one byte short
    settings = Settings(keeper_key=Secret(secret), database_url="sqlite+aiosqlite:///unused.db")
    with pytest.raises(SettingsError) as raised:
        await keeper_main.run_keeper(settings, asyncio.Event())
    assert "ab" * 31 not in str(raised.value) and raised.value.__cause__ is None
    assert raised.value.__suppress_context__
