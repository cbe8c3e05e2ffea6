"""Benchmark populations on the devnet: funded owners, allow-listed solvers, and a realistic mix of signed
intents (several tokens, both directions of each pair so some can match, AMM-bound ones, buy orders,
partially fillable ones, tight and loose limits).

Owners' keys come from `solver.bench.intake.owner_keys` (deterministic, distinct from anvil's accounts);
intents are signed with coincurve as there. Amounts are exact integers; the limit of an intent is its
size at the devnet's reference prices less a slippage tolerance, rounded in the owner's disfavour (the
owner never asks for more than the tolerance allows).
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import aiohttp
import coincurve
from eth_abi.abi import encode

from solver.adapters.chain.admin import set_solver
from solver.adapters.chain.jsonrpc import AsyncRpc
from solver.adapters.chain.manifest import Manifest
from solver.adapters.chain.rpc import connect
from solver.bench.intake import APPROVE, MAX_UINT256, MINT, owner_address, owner_keys
from solver.demo import REFERENCE_USD
from solver.domain.intent import Eip712Domain, Intent, IntentKind
from solver.domain.primitives import address

__all__ = [
    "Owner",
    "Signed",
    "allow_solvers",
    "body",
    "fund",
    "make_owners",
    "mix",
    "percentile",
    "solver_keys",
]

# Whole tokens minted to every owner: far more than its intents sell, so no intent fails for funds.
FUNDS: dict[str, int] = {"WETH": 1_000, "USDC": 3_000_000, "WBTC": 50, "DAI": 3_000_000}
# Token pairs and their share of the flow: the main pair, the other pools' pairs, two 2-hop pairs.
PAIRS: tuple[tuple[str, str, int], ...] = (
    ("WETH", "USDC", 35), ("WETH", "DAI", 15), ("WBTC", "WETH", 15), ("USDC", "DAI", 15),
    ("WBTC", "USDC", 10), ("WBTC", "DAI", 10),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Owner:
    key: bytes = b""
    address: str = ""


@dataclass(frozen=True, slots=True)
class Signed:
    intent: Intent
    signature: bytes  # 65 bytes, v in {27, 28}
    label: str  # what kind of intent this is, for reports ("cow", "tight", "buy", ...)


def make_owners(count: int, seed: int) -> list[Owner]:
    return [Owner(key, owner_address(key)) for key in owner_keys(count, seed)]


def solver_keys(count: int, seed: int) -> list[Owner]:
    """Deterministic solver keys (not owners': another namespace)."""
    return make_owners(count, seed + 1_000_003)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile of `values` (nearest rank), 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


# ---------------------------------------------------------------------------------------------- chain
async def _send_all(rpc: AsyncRpc, calls: list[tuple[str, list[Any]]], chunk: int = 500) -> None:
    for start in range(0, len(calls), chunk):
        await rpc.batch(calls[start : start + chunk])


async def _mine_pending(rpc: AsyncRpc, limit: int) -> None:
    for _ in range(limit):
        status = await rpc.call("txpool_status")
        if int(status["pending"], 16) + int(status["queued"], 16) == 0:
            return
        await rpc.call("evm_mine")
    raise RuntimeError("transactions still pending after mining")


async def fund(rpc_url: str, manifest: Manifest, owners: Sequence[Owner], symbols: Iterable[str] = FUNDS) -> None:
    """ETH for gas, `FUNDS` of every symbol minted by the deployer, and max approval of the spender.

    Sent as JSON-RPC batches with explicit nonces while automine is off, then mined until the pool drains."""
    deployer, spender = manifest.account("deployer").address, manifest.contracts["spender"]
    symbols, gas = list(symbols), hex(100_000)
    async with aiohttp.ClientSession() as session:
        rpc = AsyncRpc(rpc_url, session)
        first = int(await rpc.call("eth_getTransactionCount", deployer, "latest"), 16)
        await rpc.call("anvil_autoImpersonateAccount", True)
        await rpc.call("evm_setAutomine", False)
        try:
            await _send_all(rpc, [("anvil_setBalance", [o.address, hex(10**18)]) for o in owners])
            calls: list[tuple[str, list[Any]]] = []
            sent = 0
            for owner in owners:
                for n, symbol in enumerate(symbols):
                    token = manifest.token(symbol)
                    amount = FUNDS[symbol] * 10**token.decimals
                    mint = MINT + encode(["address", "uint256"], [owner.address, amount])
                    approve = APPROVE + encode(["address", "uint256"], [spender, MAX_UINT256])
                    calls += [
                        ("eth_sendTransaction", [{"from": deployer, "to": token.address, "data": "0x" + mint.hex(),
                                                  "gas": gas, "nonce": hex(first + sent)}]),
                        ("eth_sendTransaction", [{"from": owner.address, "to": token.address,
                                                  "data": "0x" + approve.hex(), "gas": gas, "nonce": hex(n)}]),
                    ]  # fmt: skip
                    sent += 1
            await _send_all(rpc, calls)
            await _mine_pending(rpc, 10 * len(calls) + 10)
        finally:
            await rpc.call("evm_setAutomine", True)
            await rpc.call("anvil_autoImpersonateAccount", False)
        minted = int(await rpc.call("eth_getTransactionCount", deployer, "latest"), 16) - first
        if minted != sent:
            raise RuntimeError(f"funding failed: {minted} of {sent} mints mined")


async def allow_solvers(rpc_url: str, manifest: Manifest, solvers: Sequence[str]) -> None:
    """Settlement.setSolver(s, true) for each, sent by the settlement's owner (the deployer)."""
    w3 = connect(rpc_url)
    for solver in solvers:
        await asyncio.to_thread(set_solver, w3, manifest, solver)


# -------------------------------------------------------------------------------------------- intents
def _units(manifest: Manifest, symbol: str, usd: Fraction) -> int:
    """Base units of `symbol` worth `usd` at the reference price (rounded down)."""
    decimals = manifest.token(symbol).decimals
    return int(usd * 10**decimals / REFERENCE_USD[symbol])


def _intent(manifest: Manifest, owner: str, rng: random.Random, nonce: int, valid_to: int) -> tuple[Intent, str]:
    """One intent of the mix: pair by weight, either direction, $50-$20k (log-uniform), 80 % sells,
    15 % partially fillable, slippage tolerance 0.3-2 % (10 % "tight": 0.02 %, only a match fills them)."""
    a, b, _ = rng.choices(PAIRS, weights=[w for *_, w in PAIRS])[0]
    sell, buy = (a, b) if rng.random() < 0.5 else (b, a)
    usd = Fraction(round(math.exp(rng.uniform(math.log(50), math.log(20_000))) * 100), 100)
    tight = rng.random() < 0.10
    tolerance = Fraction(2, 10_000) if tight else Fraction(rng.randint(30, 200), 10_000)
    kind = IntentKind.SELL if rng.random() < 0.8 else IntentKind.BUY
    if kind is IntentKind.SELL:  # sells usd worth, asks for (1 - tolerance) of it
        sell_amount = _units(manifest, sell, usd)
        buy_amount = _units(manifest, buy, usd * (1 - tolerance))
    else:  # buys usd worth, pays at most (1 + tolerance) of it
        buy_amount = _units(manifest, buy, usd)
        sell_amount = _units(manifest, sell, usd * (1 + tolerance))
    label = "tight" if tight else ("buy" if kind is IntentKind.BUY else "sell")
    intent = Intent(
        owner, manifest.token(sell).address, manifest.token(buy).address, max(sell_amount, 1), max(buy_amount, 1),
        valid_to, nonce, kind, partially_fillable=rng.random() < 0.15,
    )  # fmt: skip
    return intent, label


def mix(
    manifest: Manifest, owners: Sequence[Owner], count: int, *, seed: int, valid_to: int, first: int = 0
) -> list[Signed]:
    """`count` signed intents of the mix; intent i (from `first`) belongs to owner i mod len(owners) and
    has nonce i << 24 | random 24 bits: every (owner, nonce) is unique and in its own bitmap word."""
    domain = Eip712Domain(manifest.chain_id, manifest.contracts["settlement"])
    signers = {o.address: coincurve.PrivateKey(o.key) for o in owners}
    rng = random.Random(f"mix/{seed}/{first}")
    result = []
    for i in range(first, first + count):
        owner = owners[i % len(owners)].address
        intent, label = _intent(manifest, owner, rng, i << 24 | rng.getrandbits(24), valid_to)
        raw = signers[owner].sign_recoverable(intent.digest(domain), hasher=None)
        result.append(Signed(intent, raw[:64] + bytes([raw[64] + 27]), label))
    return result


def body(signed: Signed, chain_id: int, settlement: str) -> dict[str, Any]:
    """The JSON a wallet POSTs to /v1/intents for `signed`."""
    i = signed.intent
    return {
        "chainId": chain_id, "settlement": address(settlement), "owner": i.owner, "sellToken": i.sell_token,
        "buyToken": i.buy_token, "receiver": i.receiver, "sellAmount": str(i.sell_amount),
        "buyAmount": str(i.buy_amount), "validTo": i.valid_to, "nonce": str(i.nonce),
        "kind": "sell" if i.kind is IntentKind.SELL else "buy", "partiallyFillable": i.partially_fillable,
        "appData": "0x" + i.app_data.hex(), "signingScheme": "eip712", "signature": "0x" + signed.signature.hex(),
    }  # fmt: skip


def labels(signed: Iterable[Signed]) -> Mapping[str, int]:
    counts: dict[str, int] = {}
    for s in signed:
        counts[s.label] = counts.get(s.label, 0) + 1
    return counts
