"""Settings parse typed values from an injected environment, refuse unknown keys and hide secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from solver.settings import Settings, SettingsError


def test_defaults_are_the_embedded_ones() -> None:
    s = Settings.from_env({})
    assert s.database_url.startswith("sqlite") and s.redis_url is None and s.rpc_url.startswith("http://127.0.0.1")


def test_values_are_parsed_into_their_types() -> None:
    s = Settings.from_env({"VENUE_API_PORT": "9000", "VENUE_BID_WINDOW_S": "1.5", "VENUE_MANIFEST_PATH": "/m.json",
                           "VENUE_REDIS_URL": "redis://127.0.0.1:6380/0", "HOME": "/root"})  # fmt: skip
    assert (s.api_port, s.bid_window_s, s.manifest_path) == (9000, 1.5, Path("/m.json"))
    assert s.redis_url == "redis://127.0.0.1:6380/0"
    assert Settings().bid_early_close and not Settings.from_env({"VENUE_BID_EARLY_CLOSE": "false"}).bid_early_close


def test_unknown_or_unparsable_keys_fail_loudly() -> None:
    with pytest.raises(SettingsError, match="unknown setting VENUE_PORT"):
        Settings.from_env({"VENUE_PORT": "1"})
    with pytest.raises(SettingsError, match="VENUE_API_PORT"):
        Settings.from_env({"VENUE_API_PORT": "eighty"})
    with pytest.raises(SettingsError, match="VENUE_BID_EARLY_CLOSE"):
        Settings.from_env({"VENUE_BID_EARLY_CLOSE": "maybe"})


def test_secrets_never_show_in_reprs() -> None:
    key = "0x" + "ab" * 32
    s = Settings.from_env({"VENUE_KEEPER_KEY": key})
    assert s.keeper_key is not None and s.keeper_key.reveal() == key
    assert key not in repr(s) and key not in str(s.keeper_key)
