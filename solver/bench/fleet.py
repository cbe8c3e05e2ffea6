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
from collections.abc import Callable, Sequence
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
    "baseline", "gas-1/2", "gas-1/4", "gas-1/8", "late", "overfill", "unknown-order", "limit", "prices", "gas-1/3",
)  # fmt: skip
SMALLER = {name: int(name.rsplit("/", 1)[1]) for name in VARIANTS if name.startswith("gas-1/")}
LATE_S = 0.3  # how long after the deadline the `late` solver bids


def _emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


# ------------------------------------------------------------------------------------------ variants
def variant(name: str, auction: Auction, own: Solution, base: Solution) -> Solution | None:
    """The bid of solver `name` given its own solve and the baseline's (None: this solver does not bid)."""
    if not base.fulfillments or not own.fulfillments:
        return None
    if name in ("baseline", "late") or name in SMALLER:
        return own
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
    """The solves of each auction (counted in arrival order), shared by every connection: the baseline's
    first, so its bid goes out at once, then the smaller ones."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.solves: dict[int, dict[str, asyncio.Future[Solution]]] = {}
        self.auctions: dict[int, asyncio.Future[Auction]] = {}

    def solution(self, seq: int, raw: str, name: str) -> asyncio.Future[Solution]:
        if seq not in self.solves:
            self.auctions[seq] = asyncio.ensure_future(asyncio.to_thread(self._parse, raw))
            base = asyncio.ensure_future(self._baseline(self.auctions[seq]))
            futures: dict[str, asyncio.Future[Solution]] = {"baseline": base, "late": base}
            for variant_name, k in SMALLER.items():
                futures[variant_name] = asyncio.ensure_future(self._smaller(self.auctions[seq], base, k))
            self.solves[seq] = futures
        futures = self.solves[seq]
        return futures.get(name, futures["baseline"])

    def _parse(self, raw: str) -> Auction:
        started = time.time()
        auction = AuctionMsg.model_validate_json(raw).auction.to_domain()
        _emit("parse", auction_id=auction.auction_id, parse_s=time.time() - started)
        return auction

    async def _baseline(self, parsing: asyncio.Future[Auction]) -> Solution:
        auction = await parsing
        started = time.time()
        solution = await asyncio.to_thread(solve_auction, self.config, auction, "0x" + "00" * 20)
        _emit("solve", auction_id=auction.auction_id, solve_s=time.time() - started, orders=len(auction.orders),
              fulfilled=len(solution.fulfillments), interactions=len(solution.interactions))  # fmt: skip
        return solution

    async def _smaller(self, parsing: asyncio.Future[Auction], after: asyncio.Future[Solution], k: int) -> Solution:
        auction = await parsing
        await asyncio.wait({after})  # the baseline's bid first: these solvers are the slower ones
        encoder = encoder_for(self.config)
        return await asyncio.to_thread(
            baseline.solve, auction, encoder, solver="0x" + "00" * 20, settlement=encoder.settlement,
            intermediates=self.config.intermediates, max_gas=baseline.MAX_SETTLEMENT_GAS // k,
        )  # fmt: skip


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
            shared.solution(seq, raw, name)
            bid = asyncio.ensure_future(_bid(ws, name, me, shared, seq))
            bids.add(bid)
            bid.add_done_callback(bids.discard)


async def _bid(ws: ClientConnection, name: str, me: str, shared: _Shared, seq: int) -> None:
    own = await shared.solves[seq][name] if name in shared.solves[seq] else None
    base = await shared.solves[seq]["baseline"]
    auction = await shared.auctions[seq]
    solution = variant(name, auction, own or base, base)
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
    p.add_argument("--chain-id", type=int, required=True)
    a = p.parse_args(argv)
    config = ClientConfig(url=a.url, settlement=a.settlement, chain_id=a.chain_id, use_proxy=False)
    keys = [bytes.fromhex(k.removeprefix("0x")) for k in a.keys.split(",")]
    asyncio.run(run(a.url, keys, config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
