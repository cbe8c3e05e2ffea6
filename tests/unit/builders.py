"""Builders for test data: intents and trades with sensible defaults, overridable by keyword."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from solver.domain.intent import Intent, IntentKind

WETH = "0x00000000000000000000000000000000000000e1"
USDC = "0x00000000000000000000000000000000000000a1"
ALICE = "0x000000000000000000000000000000000000A11c"
BOB = "0x0000000000000000000000000000000000000B0b"


def an_intent(**overrides: Any) -> Intent:
    """A fill-or-kill sell of 1 WETH (18 decimals) for at least 3,000 USDC (6 decimals)."""
    base = Intent(
        owner=ALICE,
        sell_token=WETH,
        buy_token=USDC,
        sell_amount=10**18,
        buy_amount=3_000 * 10**6,
        valid_to=2_000_000_000,
        nonce=1,
        kind=IntentKind.SELL,
    )
    return replace(base, **overrides)
