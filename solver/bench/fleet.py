"""A fleet of benchmark solvers in one process: N WebSocket connections, each logged in with its own
allow-listed key, each bidding its own solution of every auction (docs/protocol.md).

One baseline solve per auction (`solver.solvers.baseline_client.solve_auction`, the bundled solver's
exact code) is shared, plus small ones; the other solvers' bids are derived from them:
- `baseline`: the baseline's solution;
- `gas-1/k`: the baseline solved with 1/k of its gas budget (`baseline.solve(max_gas=...)`): fewer, the most
  valuable orders, a valid but worse bid (cheap: the solve is over fewer orders);
- `late`: the baseline, sent after the deadline (refused with `late`);
- invalid bids the venue must discard: `overfill` (one order executed beyond its amount), `unknown-order`
  (a fulfilment of an order not in the auction), `limit` (one token's price doubled: limits broken),
  `prices` (one token's price moved by 0.1 %: limits or EBBO broken).

Every event is a JSON line on stdout (`auction`, `bid`, `reply`) with unix timestamps, for the round bench.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import coincurve
from eth_utils.crypto import keccak
from websockets.asyncio.client import ClientConnection, connect

from solver.api.protocol import AuctionMsg, BidMsg, SolutionDto
from solver.bench.intake import owner_address
from solver.domain import baseline
from solver.domain.auction import Auction, Fulfillment, Solution
from solver.domain.solver_auth import Challenge
from solver.solvers.baseline_client import ClientConfig, encoder_for, solve_auction

VARIANTS: tuple[str, ...] = (
    "baseline", "gas-1/2", "gas-1/4", "gas-1/8", "late", "overfill", "unknown-order", "limit", "prices", "gas-1/16",
)  # fmt: skip
SMALLER = {name: int(name.rsplit("/", 1)[1]) for name in VARIANTS if name.startswith("gas-1/")}
LATE_S = 0.3  # how long after the deadline the `late` solver bids


def _emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


# ------------------------------------------------------------------------------------------ variants
def variant(name: str, solutions: Mapping[str, Solution]) -> Solution | None:
    """The bid of solver `name` given the shared solves (None: this solver does not bid)."""
    base = solutions["baseline"]
    if not base.fulfillments:
        return None
    if name in ("baseline", "late"):
        return base
    if name in SMALLER:
        smaller = solutions[name]
        return smaller if smaller.fulfillments else None
    first = base.fulfillments[0]
    if name == "overfill":
        return replace(base, fulfillments=(replace(first, executed_amount=first.executed_amount * 2 + 1),
                                           *base.fulfillments[1:]))  # fmt: skip
    if name == "unknown-order":
        return replace(base, fulfillments=(*base.fulfillments, Fulfillment(keccak(text="no such order"), 1)))
    token = sorted(base.prices)[0]
    factor = (2, 1) if name == "limit" else (1001, 1000)
    return replace(base, prices={**base.prices, token: base.prices[token] * factor[0] // factor[1]})


# -------------------------------------------------------------------------------------------- clients
class _Shared:
    """One solve per auction, awaited by every connection (auctions counted in arrival order)."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.solves: dict[int, asyncio.Future[tuple[Auction, dict[str, Solution]]]] = {}

    def solve(self, seq: int, raw: str) -> asyncio.Future[tuple[Auction, dict[str, Solution]]]:
        if seq not in self.solves:
            self.solves[seq] = asyncio.ensure_future(asyncio.to_thread(self._solve, raw))
        return self.solves[seq]

    def _solve(self, raw: str) -> tuple[Auction, dict[str, Solution]]:
        started = time.time()
        auction = AuctionMsg.model_validate_json(raw).auction.to_domain()
        parsed = time.time()
        solution = solve_auction(self.config, auction, "0x" + "00" * 20)
        solved = time.time()
        solutions = {"baseline": solution}
        encoder = encoder_for(self.config, auction)
        for name, k in SMALLER.items():
            solutions[name] = baseline.solve(auction, encoder, solver="0x" + "00" * 20, settlement=encoder.settlement,
                                             intermediates=self.config.intermediates,
                                             max_gas=baseline.MAX_SETTLEMENT_GAS // k)  # fmt: skip
        _emit("solve", auction_id=auction.auction_id, parse_s=parsed - started, solve_s=solved - parsed,
              smaller_s=time.time() - solved, orders=len(auction.orders), fulfilled=len(solution.fulfillments),
              interactions=len(solution.interactions))  # fmt: skip
        return auction, solutions


async def _login(ws: ClientConnection, key: bytes, me: str) -> None:
    challenge = json.loads(await ws.recv())
    text = Challenge(bytes.fromhex(challenge["challenge"][2:]), challenge["chainId"], challenge["expiresAt"]).text()
    message = text.encode()
    digest = keccak(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)
    raw = coincurve.PrivateKey(key).sign_recoverable(digest, hasher=None)
    signature = raw[:64] + bytes([raw[64] + 27])
    await ws.send(json.dumps({"type": "authenticate", "address": me, "signature": "0x" + signature.hex()}))
    reply = json.loads(await ws.recv())
    if reply.get("type") != "authenticated":
        raise RuntimeError(f"{me} was not admitted: {reply}")


async def _serve(url: str, key: bytes, name: str, shared: _Shared, ready: Callable[[], None]) -> None:
    me = owner_address(key)
    async with connect(url, max_size=256 << 20, proxy=None) as ws:
        await _login(ws, key, me)
        ready()
        seq = 0
        bids: set[asyncio.Future[None]] = set()
        async for raw in ws:
            assert isinstance(raw, str)
            if '"auction"' not in raw[:40]:
                message = json.loads(raw)
                if message.get("type") == "ping":
                    await ws.send(json.dumps({"type": "pong", "t": message["t"]}))
                else:
                    _emit("reply", solver=name, at=time.time(), **message)
                continue
            seq += 1
            _emit("auction", solver=name, seq=seq, at=time.time(), bytes=len(raw))
            bid = asyncio.ensure_future(_bid(ws, name, me, shared.solve(seq, raw)))
            bids.add(bid)
            bid.add_done_callback(bids.discard)


async def _bid(
    ws: ClientConnection, name: str, me: str, solving: asyncio.Future[tuple[Auction, dict[str, Solution]]]
) -> None:
    auction, solutions = await solving
    solution = variant(name, solutions)
    if solution is None:
        _emit("bid", solver=name, auction_id=auction.auction_id, sent=None)
        return
    if name == "late":
        await asyncio.sleep(max(0.0, auction.deadline + LATE_S - time.time()))
    dto = SolutionDto.from_domain(replace(solution, solver=me))
    bid = BidMsg(type="bid", auction_id=auction.auction_id, solution=dto)
    await ws.send(bid.model_dump_json(by_alias=True, exclude_none=True))
    _emit("bid", solver=name, auction_id=auction.auction_id, sent=time.time(), fulfillments=len(solution.fulfillments))


async def run(url: str, keys: Sequence[bytes], config: ClientConfig) -> None:
    shared = _Shared(config)
    admitted = 0

    def ready() -> None:
        nonlocal admitted
        admitted += 1
        if admitted == len(keys):
            _emit("ready", solvers=admitted)

    names = [VARIANTS[i % len(VARIANTS)] for i in range(len(keys))]
    await asyncio.gather(*(_serve(url, key, name, shared, ready) for key, name in zip(keys, names, strict=True)))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="benchmark solver fleet (one process, one connection per key)")
    p.add_argument("--url", required=True)
    p.add_argument("--keys", required=True, help="comma-separated hex private keys")
    p.add_argument("--settlement", required=True)
    p.add_argument("--v3-router", required=True)
    p.add_argument("--chain-id", type=int, required=True)
    a = p.parse_args(argv)
    config = ClientConfig(url=a.url, settlement=a.settlement, v3_router=a.v3_router, chain_id=a.chain_id,
                          use_proxy=False)  # fmt: skip
    keys = [bytes.fromhex(k.removeprefix("0x")) for k in a.keys.split(",")]
    asyncio.run(run(a.url, keys, config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
