"""The bundled baseline solver as a venue client: log in, solve each auction, bid, and stay connected.

One connection at a time (docs/protocol.md):

1. connect to `ws://host:port/solvers/v1`, answer the challenge with an EIP-191 personal_sign by the
   solver's key, sending `resume` with the last session id after a reconnection (the venue then replays
   the results and settlements missed, each once, and the auction if it still takes bids); a session the
   venue no longer knows is refused (`unknown_session`): the client forgets it and logs in afresh;
2. each `auction` is rebuilt as a domain Auction and solved by `baseline.solve` in a worker thread; a
   solution that fulfils nothing is not bid; a bid that cannot be sent before the deadline is dropped;
3. `ping` is answered with `pong` at once, whatever a solve is doing (the reader never waits for it);
4. acks, rejections, results and settlements are logged as named events (JSON lines with an `event`);
5. when the connection drops or cannot be opened, reconnect after an exponential backoff with jitter
   (reset once logged in). A login refused for `not_allowed` or `bad_signature` stops the client: a retry
   would be refused the same way.

The private key stays in the signer: no log line, repr or exception carries it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Annotated, Any

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from pydantic import Field, TypeAdapter, ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from solver.adapters.chain.encoder import UniswapEncoder
from solver.api.protocol import (
    VERSION,
    AckMsg,
    AuctionDto,
    AuctionMsg,
    AuthenticatedMsg,
    AuthenticateMsg,
    BidMsg,
    BidRejectedMsg,
    ChallengeMsg,
    Message,
    PingMsg,
    PongMsg,
    RejectedMsg,
    ResultMsg,
    SettlementMsg,
    SolutionDto,
    VenueMessage,
)
from solver.domain import baseline
from solver.domain.auction import Auction, Solution
from solver.domain.solver_auth import Challenge

log = logging.getLogger("solver.baseline")

PATH = "/solvers/v1"
FATAL_LOGIN_CODES = frozenset({"not_allowed", "bad_signature"})
_VENUE_MESSAGE: TypeAdapter[VenueMessage] = TypeAdapter(Annotated[VenueMessage, Field(discriminator="type")])


def _event(event: str, **fields: Any) -> None:
    if log.isEnabledFor(logging.INFO):
        log.info(json.dumps({"event": event, "ts": round(time.time(), 3), **fields}, default=str))


class LoginRefused(Exception):
    """The venue will not admit this solver (`not_allowed`, `bad_signature`) or speaks another protocol."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class _Dropped(Exception):
    """The connection ended or misbehaved at login in a way a reconnection may fix."""


@dataclass(frozen=True, slots=True)
class ClientConfig:
    url: str  # ws://host:port/solvers/v1
    settlement: str  # the Settlement contract: it swaps with the pools directly and receives their output
    chain_id: int | None = None  # if set, a challenge for another chain is refused (never signed)
    intermediates: Collection[str] | None = None  # 2-hop route tokens; keep equal to the venue's EBBO setting
    send_margin_s: float = 0.05  # a bid must be sent at least this long before the deadline
    login_timeout_s: float = 10.0
    open_timeout_s: float = 10.0
    reconnect_initial_s: float = 0.5
    reconnect_max_s: float = 30.0
    max_message_bytes: int = 64 << 20  # auctions with wide V3 tick maps are large
    use_proxy: bool = True  # honour HTTP(S)_PROXY / NO_PROXY from the environment


def encoder_for(config: ClientConfig) -> UniswapEncoder:
    """The encoder of the client's swaps (the settlement calls V2 pairs and V3 pools directly)."""
    return UniswapEncoder(config.settlement)


def solve_auction(config: ClientConfig, auction: Auction, solver: str) -> Solution:
    """What the client bids for `auction` (pure and deterministic: tests compare against it)."""
    encoder = encoder_for(config)
    return baseline.solve(
        auction, encoder, solver=solver, settlement=encoder.settlement, intermediates=config.intermediates
    )


@dataclass(slots=True)
class ClientStats:
    connections: int = 0  # successful logins
    sessions: deque[str] = field(default_factory=lambda: deque(maxlen=16))  # session ids, oldest first
    auctions: int = 0
    bids_sent: int = 0
    acks: int = 0
    pongs: int = 0


class BaselineClient:
    """Runs the baseline solver against one venue until cancelled (or refused at login)."""

    def __init__(
        self,
        config: ClientConfig,
        account: LocalAccount,
        *,
        clock: Callable[[], float] = time.time,
        solve: Callable[[ClientConfig, Auction, str], Solution] = solve_auction,
    ) -> None:
        self.config = config
        self._account = account
        self._clock = clock
        self._solve = solve
        self.address: str = str(account.address)
        self.session: str | None = None  # the last session id the venue gave: sent as `resume`
        self.stats = ClientStats()
        self._acked: OrderedDict[int, str] = OrderedDict()  # auction id -> bid id, the last few auctions
        self._solutions: OrderedDict[int, Solution | None] = OrderedDict()  # solved auctions (None: no bid)

    @classmethod
    def from_key(cls, config: ClientConfig, private_key: str, **kwargs: Any) -> BaselineClient:
        return cls(config, Account.from_key(private_key), **kwargs)

    def __repr__(self) -> str:
        return f"BaselineClient({self.address} -> {self.config.url})"

    # ---- connection lifecycle ------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, serve, reconnect with backoff; returns only by raising (LoginRefused, cancellation)."""
        delay = self.config.reconnect_initial_s
        while True:
            logged_in = False
            try:
                async with connect(
                    self.config.url, open_timeout=self.config.open_timeout_s, max_size=self.config.max_message_bytes,
                    proxy=True if self.config.use_proxy else None,
                ) as ws:  # fmt: skip
                    await self._login(ws)
                    logged_in = True
                    await self._serve(ws)
                reason = "closed by the venue"
            except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake, _Dropped) as exc:
                reason = f"{type(exc).__name__}: {exc}"[:300]
            except InvalidURI as exc:
                raise LoginRefused("invalid_url", str(exc)) from exc
            if logged_in:
                delay = self.config.reconnect_initial_s
            wait = delay * random.uniform(0.5, 1.0)
            _event("solver_disconnected", solver=self.address, reason=reason, retry_in_s=round(wait, 3))
            await asyncio.sleep(wait)
            delay = min(delay * 2, self.config.reconnect_max_s)

    async def _login(self, ws: ClientConnection) -> None:
        raw = await asyncio.wait_for(ws.recv(), self.config.login_timeout_s)
        try:
            challenge = ChallengeMsg.model_validate_json(raw)
        except ValidationError as exc:
            raise _Dropped(f"expected a challenge: {str(exc)[:200]}") from exc
        if challenge.version != VERSION:
            raise LoginRefused("version", f"the venue speaks protocol version {challenge.version}, not {VERSION}")
        if self.config.chain_id is not None and challenge.chain_id != self.config.chain_id:
            raise LoginRefused("wrong_chain", f"challenge for chain {challenge.chain_id}, not {self.config.chain_id}")
        try:
            nonce = bytes.fromhex(challenge.challenge[2:])
        except ValueError as exc:
            raise _Dropped("the challenge is not whole bytes") from exc
        text = Challenge(nonce, challenge.chain_id, challenge.expires_at).text()
        signature = bytes(self._account.sign_message(encode_defunct(text=text)).signature)
        await self._send(
            ws, AuthenticateMsg(type="authenticate", address=self.address, signature="0x" + signature.hex(),
                                resume=self.session),
        )  # fmt: skip
        raw = await asyncio.wait_for(ws.recv(), self.config.login_timeout_s)
        try:
            reply = _VENUE_MESSAGE.validate_json(raw)
        except ValidationError as exc:
            raise _Dropped(f"unreadable login reply: {str(exc)[:200]}") from exc
        if isinstance(reply, RejectedMsg):
            _event("solver_login_rejected", solver=self.address, code=reply.code, reason=reply.reason)
            if reply.code in FATAL_LOGIN_CODES:
                raise LoginRefused(reply.code, reply.reason)
            if reply.code == "unknown_session":  # expired or resumed elsewhere: what it missed is gone
                self.session = None
            raise _Dropped(f"login rejected: {reply.code}")
        if not isinstance(reply, AuthenticatedMsg):
            raise _Dropped(f"expected `authenticated`, got `{reply.type}`")
        resumed = self.session
        self.session = reply.session
        self.stats.connections += 1
        self.stats.sessions.append(reply.session)
        _event("solver_authenticated", solver=reply.solver, session=reply.session, resumed=resumed)

    async def _serve(self, ws: ClientConnection) -> None:
        """Read until the connection ends; auctions are solved in tasks so pings are answered at once."""
        tasks: set[asyncio.Task[None]] = set()
        solving: asyncio.Task[None] | None = None
        try:
            async for raw in ws:
                try:
                    msg = _VENUE_MESSAGE.validate_json(raw)
                except ValidationError as exc:
                    _event("venue_message_unreadable", error=str(exc)[:300])
                    continue
                if isinstance(msg, PingMsg):
                    await self._send(ws, PongMsg(type="pong", t=msg.t))
                    self.stats.pongs += 1
                elif isinstance(msg, AuctionMsg):
                    if solving is not None and not solving.done():
                        solving.cancel()  # a newer auction: the older one's bid would be late anyway
                    solving = asyncio.create_task(self._on_auction(ws, msg.auction))
                    tasks.add(solving)
                    solving.add_done_callback(tasks.discard)
                else:
                    self._on_notice(msg)
        finally:
            for task in tasks:
                task.cancel()

    # ---- messages ------------------------------------------------------------------------------------

    async def _on_auction(self, ws: ClientConnection, dto: AuctionDto) -> None:
        self.stats.auctions += 1
        _event("auction_received", auction_id=dto.id, block=dto.block, orders=len(dto.orders),
               pools=len(dto.liquidity), deadline=dto.deadline)  # fmt: skip
        if dto.id in self._acked:
            _event("bid_skipped", auction_id=dto.id, reason="already acknowledged", bid_id=self._acked[dto.id])
            return
        started = time.perf_counter()
        if dto.id in self._solutions:  # resumed mid-round: the venue re-sent the auction
            solution = self._solutions[dto.id]
        else:
            budget = dto.deadline - self.config.send_margin_s - self._clock()
            if budget <= 0:
                _event("bid_skipped", auction_id=dto.id, reason="deadline passed before solving")
                return
            try:
                solution = await asyncio.wait_for(asyncio.to_thread(self._solve_dto, dto), budget)
            except TimeoutError:
                _event("bid_skipped", auction_id=dto.id, reason="no solution before the deadline")
                return
            except (ValueError, ArithmeticError) as exc:
                _event("auction_unreadable", auction_id=dto.id, error=str(exc)[:300])
                return
            except Exception as exc:  # a solver bug must not take the connection down
                log.exception("solve failed")
                _event("solve_failed", auction_id=dto.id, error=f"{type(exc).__name__}: {exc}"[:300])
                return
            self._remember(self._solutions, dto.id, solution)
        seconds = round(time.perf_counter() - started, 4)
        if solution is None:
            _event("bid_skipped", auction_id=dto.id, reason="nothing to settle", solve_s=seconds)
            return
        if self._clock() > dto.deadline - self.config.send_margin_s:
            _event("bid_skipped", auction_id=dto.id, reason="solved after the deadline", solve_s=seconds)
            return
        bid = BidMsg(type="bid", auction_id=dto.id, solution=SolutionDto.from_domain(solution))
        try:
            await self._send(ws, bid)
        except ConnectionClosed:
            _event("bid_unsent", auction_id=dto.id, reason="connection closed")
            return
        self.stats.bids_sent += 1
        _event("bid_sent", auction_id=dto.id, fulfillments=len(solution.fulfillments),
               interactions=len(solution.interactions), solve_s=seconds)  # fmt: skip

    def _solve_dto(self, dto: AuctionDto) -> Solution | None:
        solution = self._solve(self.config, dto.to_domain(), self.address)
        return solution if solution.fulfillments else None

    def _on_notice(self, msg: Message) -> None:
        if isinstance(msg, AckMsg):
            self.stats.acks += 1
            self._remember(self._acked, msg.auction_id, msg.bid_id)
            _event("bid_acknowledged", auction_id=msg.auction_id, bid_id=msg.bid_id)
        elif isinstance(msg, BidRejectedMsg):
            _event("bid_rejected", auction_id=msg.auction_id, code=msg.code, reason=msg.reason)
        elif isinstance(msg, ResultMsg):
            _event("bid_result", auction_id=msg.auction_id, outcome=msg.outcome, score=msg.score,
                   winning_score=msg.winning_score, code=msg.code, reason=msg.reason, seq=msg.seq)  # fmt: skip
        elif isinstance(msg, SettlementMsg):
            _event("settlement_outcome", auction_id=msg.auction_id, outcome=msg.outcome, tx_hash=msg.tx_hash,
                   block=msg.block, gas_used=msg.gas_used, reason=msg.reason, seq=msg.seq)  # fmt: skip
        else:
            _event("venue_message_unexpected", type=getattr(msg, "type", "?"))

    @staticmethod
    def _remember(cache: OrderedDict[int, Any], key: int, value: Any, keep: int = 8) -> None:
        cache[key] = value
        while len(cache) > keep:
            cache.popitem(last=False)

    @staticmethod
    async def _send(ws: ClientConnection, msg: Message) -> None:
        await ws.send(msg.model_dump_json(by_alias=True, exclude_none=True))


async def run_forever(config: ClientConfig, private_key: str) -> None:
    """The script's entry: run the client until cancelled or refused."""
    client = BaselineClient.from_key(config, private_key)
    _event("solver_starting", solver=client.address, url=config.url)
    await client.run()
