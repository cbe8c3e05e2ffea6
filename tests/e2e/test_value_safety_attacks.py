"""An attacker with an allow-listed key bids over the venue's real WebSocket, on the devnet, to take value out of
the settlement or pay users at off-market prices. Every attack is discarded with the code that names it, no
settlement is queued, and the settlement's balances stay as they were.

The venue is the composition root's (`bootstrap.venue`: intake, auction house, the real bid simulator) served by
uvicorn; intents are POSTed over HTTP by the devnet's funded wallets; the attacker starts from the honest
baseline solution of the auction it receives and twists it.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import uvicorn
from eth_abi.abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from websockets.asyncio.client import ClientConnection, connect

from solver import bootstrap
from solver.adapters.chain.admin import set_solver
from solver.adapters.chain.devnet import Devnet
from solver.adapters.chain.encoder import UniswapEncoder
from solver.adapters.chain.signer import IntentSigner
from solver.api.protocol import AuctionDto, SolutionDto
from solver.demo import whole
from solver.domain import baseline
from solver.domain.auction import Auction, Fulfillment, Solution
from solver.domain.batch import Interaction
from solver.domain.intent import Eip712Domain, Intent, IntentKind
from solver.domain.solver_auth import Challenge
from solver.settings import Secret, Settings
from solver.venue_demo import body

from ..chain_helpers import balance

TRANSFER = keccak(text="transfer(address,uint256)")[:4]
APPROVE = keccak(text="approve(address,uint256)")[:4]
SKIM = keccak(text="skim(address)")[:4]
MAX_UINT256 = 2**256 - 1
TIMEOUT_S = 20.0


@dataclass
class Arena:
    net: Devnet
    venue: bootstrap.Venue
    base_url: str
    attacker: LocalAccount
    nonces: dict[str, int]

    @property
    def settlement(self) -> str:
        return self.net.manifest.contracts["settlement"]

    def token(self, symbol: str) -> str:
        return self.net.manifest.token(symbol).address

    def holdings(self) -> dict[str, int]:
        """The settlement's balance of every devnet token."""
        return {t.symbol: balance(self.net.w3, t.address, self.settlement) for t in self.net.manifest.tokens.values()}

    async def post(self, who: str, sell: str, buy: str, sell_amt: float, buy_amt: float, **kw: Any) -> bytes:
        """Sign an intent as the devnet wallet `who` and POST it; returns its id."""
        m = self.net.manifest
        owner = m.account(who)
        self.nonces[who] = self.nonces.get(who, 1_000) + 1
        s, b = m.token(sell), m.token(buy)
        valid_to = int(self.net.w3.eth.get_block("latest")["timestamp"]) + 600
        intent = Intent(owner.address, s.address, b.address, whole(s, sell_amt), whole(b, buy_amt), valid_to,
                        self.nonces[who], **kw)  # fmt: skip
        domain = Eip712Domain(m.chain_id, self.settlement)
        signature = IntentSigner.from_key(owner.private_key).sign(intent, domain)
        async with aiohttp.ClientSession() as http, http.post(
            f"{self.base_url}/v1/intents", json=body(intent, signature, domain)
        ) as response:
            reply = await response.json()
        assert response.status == 201, reply
        return bytes.fromhex(reply["id"][2:])

    def honest(self, auction: Auction) -> Solution:
        """The baseline's solution for the auction, bid under the attacker's name."""
        encoder = UniswapEncoder(self.settlement)
        return baseline.solve(auction, encoder, solver=self.attacker.address, settlement=self.settlement)


@asynccontextmanager
async def arena(net: Devnet, tmp_path: Path) -> AsyncIterator[Arena]:
    m = net.manifest
    attacker = Account.create()
    set_solver(net.w3, m, attacker.address)  # as any third-party solver is admitted (scripts/allow_solver.py)
    settings = Settings(
        rpc_url=net.rpc_url, database_url=f"sqlite+aiosqlite:///{tmp_path / 'venue.db'}",
        keeper_key=Secret(m.account("solver").private_key), bid_window_s=5.0, rate_limit_burst=1_000,
    )  # fmt: skip
    async with bootstrap.venue(settings, m) as venue:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(venue.app, log_config=None, log_level="warning", lifespan="off"))
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                await asyncio.sleep(0.01)
            yield Arena(net, venue, f"http://127.0.0.1:{sock.getsockname()[1]}", attacker, {})
        finally:
            server.should_exit = True
            await asyncio.wait_for(serving, TIMEOUT_S)
            sock.close()


async def login(ws: ClientConnection, key: LocalAccount) -> None:
    challenge = json.loads(await ws.recv())
    text = Challenge(bytes.fromhex(challenge["challenge"][2:]), challenge["chainId"], challenge["expiresAt"]).text()
    signature = key.sign_message(encode_defunct(text=text)).signature
    await ws.send(json.dumps({"type": "authenticate", "address": key.address, "signature": "0x" + signature.hex()}))
    assert json.loads(await ws.recv())["type"] == "authenticated"


async def next_message(ws: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await ws.recv())
        if message["type"] == kind:
            return message


Twist = Callable[[Arena, Auction], dict[str, Any]]  # the attacker's bid, as the `solution` JSON it sends


async def attack(a: Arena, twist: Twist) -> dict[str, Any]:
    """One round in which the attacker is the only bidder with `twist`'s bid; returns its `result`."""
    async with connect(a.base_url.replace("http", "ws") + "/solvers/v1") as ws:
        await login(ws, a.attacker)
        round_ = asyncio.create_task(a.venue.house.run_round())
        auction = AuctionDto.model_validate(
            (await asyncio.wait_for(next_message(ws, "auction"), TIMEOUT_S))["auction"]
        ).to_domain()
        await ws.send(json.dumps({"type": "bid", "auctionId": auction.auction_id, "solution": twist(a, auction)}))
        assert (await asyncio.wait_for(next_message(ws, "ack"), TIMEOUT_S))["auctionId"] == auction.auction_id
        result = await asyncio.wait_for(next_message(ws, "result"), TIMEOUT_S)
        report = await asyncio.wait_for(round_, TIMEOUT_S)
    assert report is not None and report.winner is None, "the attack won the round"
    assert await a.venue.jobs.get(auction.auction_id) is None, "a settlement was queued"
    return result


def wire(solution: Solution) -> dict[str, Any]:
    return SolutionDto.from_domain(solution).model_dump(by_alias=True, mode="json", exclude_none=True)


def call(target: str, selector: bytes, types: list[str], args: list[Any]) -> Interaction:
    return Interaction(target, selector + encode(types, args))


async def cow(a: Arena) -> None:
    """user0 sells 1 WETH for at least 2,950 USDC; user1 buys 1 WETH for at most 3,050 USDC."""
    await a.post("user0", "WETH", "USDC", 1, 2_950)
    await a.post("user1", "USDC", "WETH", 3_050, 1, kind=IntentKind.BUY)


def run(net: Devnet, tmp_path: Path, setup: Callable[[Arena], Any], twist: Twist) -> tuple[dict[str, Any], Arena]:
    async def scenario() -> tuple[dict[str, Any], Arena]:
        async with arena(net, tmp_path) as a:
            await setup(a)
            before = a.holdings()
            result = await attack(a, twist)
            assert a.holdings() == before
            return result, a

    return asyncio.run(scenario())


def discarded(result: dict[str, Any]) -> str:
    assert result["outcome"] == "discarded", result
    return str(result["code"])


def test_a_transfer_out_of_the_buffer_is_discarded(chain: Devnet, tmp_path: Path) -> None:
    def twist(a: Arena, auction: Auction) -> dict[str, Any]:
        honest = a.honest(auction)
        steal = call(a.token("USDC"), TRANSFER, ["address", "uint256"], [a.attacker.address, whole_usdc(a, 5)])
        return wire(replace(honest, post_interactions=(steal,)))

    result, _ = run(chain, tmp_path, cow, twist)
    assert discarded(result) == "buffer_drained"


def test_a_lasting_approval_over_the_settlements_tokens_is_discarded(chain: Devnet, tmp_path: Path) -> None:
    def twist(a: Arena, auction: Auction) -> dict[str, Any]:
        honest = a.honest(auction)
        approve = call(a.token("USDC"), APPROVE, ["address", "uint256"], [a.attacker.address, MAX_UINT256])
        return wire(replace(honest, post_interactions=(approve,)))

    result, _ = run(chain, tmp_path, cow, twist)
    assert discarded(result) == "forbidden_interaction"  # the contract allows only `transfer` on a batch token
    assert "ForbiddenInteraction" in result["reason"]


def test_a_skim_of_a_users_sell_amount_through_sell_to_is_discarded(chain: Devnet, tmp_path: Path) -> None:
    """The user's DAI goes straight into the pair (sellTo), the attacker skims it, the buffer pays the user."""

    async def setup(a: Arena) -> None:
        await a.post("user2", "DAI", "WETH", 20, 0.006)

    def twist(a: Arena, auction: Auction) -> dict[str, Any]:
        (order,) = auction.orders
        pair = a.net.manifest.pool("uniswap_v2", a.token("DAI"), a.token("WETH")).address
        prices = {a.token("DAI"): 10**18, a.token("WETH"): 3_000 * 10**18}  # the reference rate
        fill = Fulfillment(order.intent_id, order.remaining, sell_to=pair)
        skim = call(pair, SKIM, ["address"], [a.attacker.address])
        return wire(Solution(auction.auction_id, a.attacker.address, prices, (fill,), post_interactions=(skim,)))

    result, _ = run(chain, tmp_path, setup, twist)
    assert discarded(result) == "forbidden_interaction"  # a pair may only be called to `swap`


def test_a_token_listed_twice_with_two_prices_is_discarded(chain: Devnet, tmp_path: Path) -> None:
    def twist(a: Arena, auction: Auction) -> dict[str, Any]:
        solution = wire(a.honest(auction))
        weth = a.token("WETH")
        solution["prices"][weth.lower()] = str(int(solution["prices"][weth]) * 2)  # the same token, another price
        return solution

    result, _ = run(chain, tmp_path, cow, twist)
    assert discarded(result) == "invalid_clearing_prices"
    assert "two prices" in result["reason"]


def test_inflated_prices_paying_a_colluding_user_are_discarded(chain: Devnet, tmp_path: Path) -> None:
    """The colluder sells 1 WETH for at least 1,000 USDC; an honest user buys 1 WETH for at most 4,000 USDC.
    Matched at 3,900 USDC the colluder pockets what the honest user's slippage tolerance allows."""

    async def setup(a: Arena) -> None:
        await a.post("user3", "WETH", "USDC", 1, 1_000)  # the colluder
        await a.post("user4", "USDC", "WETH", 4_000, 1, kind=IntentKind.BUY)

    def twist(a: Arena, auction: Auction) -> dict[str, Any]:
        fills = tuple(Fulfillment(o.intent_id, o.remaining) for o in auction.orders)
        prices = {a.token("WETH"): 3_900 * 10**6, a.token("USDC"): 10**18}
        return wire(Solution(auction.auction_id, a.attacker.address, prices, fills))

    result, _ = run(chain, tmp_path, setup, twist)
    assert discarded(result) == "price_out_of_bounds"


def test_uneven_amounts_paid_by_the_buffer_are_discarded(chain: Devnet, tmp_path: Path) -> None:
    """A user's sell filled at the reference price with nothing routed: the buffer would pay the WETH."""

    async def setup(a: Arena) -> None:
        await a.post("user5", "DAI", "WETH", 10, 0.003)

    def twist(a: Arena, auction: Auction) -> dict[str, Any]:
        (order,) = auction.orders
        prices = {a.token("DAI"): 10**18, a.token("WETH"): 3_000 * 10**18}
        fill = Fulfillment(order.intent_id, order.remaining)
        return wire(Solution(auction.auction_id, a.attacker.address, prices, (fill,)))

    result, _ = run(chain, tmp_path, setup, twist)
    assert discarded(result) == "buffer_drained"


def whole_usdc(a: Arena, amount: int) -> int:
    return whole(a.net.manifest.token("USDC"), amount)
