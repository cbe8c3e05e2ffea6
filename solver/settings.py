"""Configuration, parsed once from an environment mapping into typed Settings (unknown keys fail).

Every key is `VENUE_<FIELD>` in upper case. Defaults are the embedded ones: local anvil, SQLite, in-process
stores. Secrets are wrapped so that no repr, log line or exception shows them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PREFIX = "VENUE_"


@dataclass(frozen=True, slots=True)
class Secret:
    """A private key or password: usable through `.reveal()`, never printed."""

    value: str = field(repr=False)

    def reveal(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__


class SettingsError(ValueError):
    """A configuration key that does not exist or does not parse."""


@dataclass(frozen=True, slots=True)
class Settings:
    rpc_url: str = "http://127.0.0.1:8545"
    manifest_path: Path = Path(".devnet/manifest.json")
    database_url: str = "sqlite+aiosqlite:///.venue/venue.db"
    redis_url: str | None = None  # None: the intent pool, rounds and pub/sub live in-process
    redis_prefix: str = "venue"  # every Redis key of this venue starts with it
    api_host: str = "127.0.0.1"
    api_port: int = 8080
    round_interval_s: float = 1.0  # one auction per (devnet) block
    bid_window_s: float = 0.7  # seconds from a round's start to its bid deadline (the auction carries it)
    bid_early_close: bool = True  # end bidding once every connected solver has bid (false: at the deadline)
    max_price_deviation_bps: int = 1_000  # bids whose clearing rates stray further from the reference are discarded
    max_body_bytes: int = 16_384  # a signed intent is ~1 KB of JSON
    rate_limit_per_s: float = 50.0  # per client address, token bucket refill
    rate_limit_burst: int = 100
    read_rate_limit_per_s: float = 100.0  # GETs per client address: a bucket of their own (probes exempt)
    read_rate_limit_burst: int = 200
    rate_limit_clients: int = 100_000  # client buckets a process keeps at most (idle ones are pruned anyway)
    max_live_intents: int = 1_000  # live (non-terminal) intents per owner, all tokens together
    rpc_timeout_s: float = 10.0  # seconds per JSON-RPC request from the API before it answers 503
    keeper_key: Secret | None = None
    keeper_address: str | None = None  # without the key (API role): whose settle calls are simulated
    solver_key: Secret | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Settings from `VENUE_*` keys of `env`; other keys are ignored, unknown VENUE_ keys fail."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in env.items():
            if not key.startswith(PREFIX):
                continue
            name = key[len(PREFIX) :].lower()
            if name not in fields:
                raise SettingsError(f"unknown setting {key}")
            values[name] = _parse(name, str(fields[name].type), raw)
        return cls(**values)


_BOOLS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _parse(name: str, type_name: str, raw: str) -> Any:
    try:
        if "Secret" in type_name:
            return Secret(raw)
        if "Path" in type_name:
            return Path(raw)
        if type_name.startswith("bool"):
            if raw.strip().lower() not in _BOOLS:
                raise ValueError(f"expected one of {sorted(_BOOLS)}")
            return _BOOLS[raw.strip().lower()]
        if type_name.startswith("int"):
            return int(raw)
        if type_name.startswith("float"):
            return float(raw)
        return raw or None if "None" in type_name else raw
    except ValueError as exc:
        raise SettingsError(f"VENUE_{name.upper()}: cannot parse {raw!r} as {type_name}") from exc
