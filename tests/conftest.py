"""Session-wide devnet: one anvil on a free port with everything deployed, reverted after each test.

`devnet` starts anvil and deploys once per session (about half a second) and stops the native anvil
process at the end. `chain` hands the same devnet to one test inside an `evm_snapshot` /
`evm_revert` pair, so tests that send transactions stay independent. Tests using either fixture are
marked `chain` automatically (`pytest -m "not chain"` skips them).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings

from solver.adapters.chain.devnet import Devnet, revert, running_devnet, snapshot
from tests.postgres import PostgresServer, bindir, running_postgres
from tests.redis_server import RedisServer, binary, running_redis

# Property tests explore the same examples on every run: a red CI is reproducible, never a roll of dice.
# (Run `pytest --hypothesis-seed=random`-style exploration locally when hunting for new counterexamples.)
settings.register_profile("deterministic", derandomize=True)
settings.load_profile("deterministic")


@pytest.fixture(scope="session")
def devnet() -> Iterator[Devnet]:
    with running_devnet() as net:
        yield net


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server for the session; skipped only if the binary is missing (.ci/run installs it)."""
    executable = binary()
    if executable is None:
        pytest.skip("redis-server not found (Debian package redis-server)")
    with running_redis(executable) as server:
        yield server


@pytest.fixture
def chain(devnet: Devnet) -> Iterator[Devnet]:
    snapshot_id = snapshot(devnet.w3)
    yield devnet
    revert(devnet.w3, snapshot_id)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "devnet" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.chain)


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may stop and start (outage tests)."""
    executable = binary()
    if executable is None:
        pytest.skip("redis-server not found (Debian package redis-server)")
    with running_redis(executable) as server:
        yield server


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own, which it may stop and start (outage tests)."""
    binaries = bindir()
    if binaries is None:
        pytest.skip("PostgreSQL binaries not found")
    with running_postgres(binaries) as server:
        yield server
