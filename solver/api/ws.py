"""The solvers' WebSocket endpoint: challenge login, then auctions out and bids in (docs/protocol.md).

Each connection runs three tasks: a reader (parses, limits and forwards bids), a writer (drains the
connection's bounded queue) and a pinger. Nothing a solver sends or fails to send can block another
solver or the round: bad messages (binary frames included) get `bid_rejected`, repeated junk closes the
socket with the policy code 4008, silence closes it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from solver.domain.auction import BidRefused, Solution
from solver.domain.solver_auth import CHALLENGE_BYTES, CHALLENGE_TTL_S, AuthFailed, Challenge, authenticate
from solver.services.notices import AttachRefused
from solver.services.solver_hub import Connection, Outgoing

from .protocol import (
    AckMsg,
    AuthenticatedMsg,
    AuthenticateMsg,
    BidMsg,
    BidRejectedMsg,
    ChallengeMsg,
    Message,
    PingMsg,
    PongMsg,
    RejectedMsg,
    SolverMessage,
)

CLOSE_POLICY = 4008  # WebSocket close code for authentication and abuse (application range 4000-4999)
BINARY = "binary frames are not part of the protocol: send each message as one JSON text frame"


class BidSink(Protocol):
    async def receive_bid(self, solution: Solution) -> str:
        """The bid id if the bid was taken for scoring; raises BidRefused otherwise."""
        ...


class Solvers(Protocol):
    """Where connections register: the SolverHub, or the Redis relay in front of it."""

    async def attach(self, solver: str, resume: str | None) -> tuple[Connection, list[Outgoing]]:
        """The connection and what to send first (missed notices, the open auction); AttachRefused otherwise."""
        ...

    def delivered(self, conn: Connection, seq: int) -> None:
        """Notice `seq` was written to the connection's socket (what a resumption starts after)."""
        ...

    def detach(self, conn: Connection) -> None: ...


@dataclass(frozen=True, slots=True)
class WsLimits:
    max_message_bytes: int = 1 << 20
    max_malformed_per_minute: int = 10
    login_timeout_s: float = CHALLENGE_TTL_S
    ping_interval_s: float = 10.0
    missed_pongs: int = 3


async def serve_solver(
    ws: WebSocket,
    hub: Solvers,
    bids: BidSink,
    chain_id: int,
    is_allowed: Callable[[str], Awaitable[bool]],
    limits: WsLimits = WsLimits(),
    clock: Callable[[], float] = time.time,
) -> None:
    await ws.accept()
    solver_and_resume = await _login(ws, chain_id, is_allowed, limits.login_timeout_s, clock)
    if solver_and_resume is None:
        return
    solver, resume = solver_and_resume
    try:
        conn, replay = await hub.attach(solver, resume)
    except AttachRefused as exc:  # e.g. unknown_session: refused rather than silently started afresh
        await _refuse(ws, exc.code, exc.reason)
        return
    tasks: list[asyncio.Task[Any]] = []
    ending: _Ending | None = None
    try:
        await ws.send_json(_dump(AuthenticatedMsg(solver=solver, session=conn.session)))
        for message in replay:  # written here, before the queue: a replay may be longer than the queue
            await _send(ws, hub, conn, message)
        pongs = _Pongs()
        reader = asyncio.create_task(_read(ws, conn, bids, pongs, limits, clock))
        tasks = [asyncio.create_task(_write(ws, hub, conn)), asyncio.create_task(_ping(conn, pongs, limits, clock)),
                 reader]  # fmt: skip
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if reader.done() and not reader.cancelled() and reader.exception() is None:
            ending = reader.result()
    except WebSocketDisconnect:
        pass  # gone while its replay was written
    finally:
        for task in tasks:
            task.cancel()
        hub.detach(conn)
        await _close(ws, *(ending or (1000, "")))


async def _login(
    ws: WebSocket, chain_id: int, is_allowed: Callable[[str], Awaitable[bool]], timeout_s: float,
    clock: Callable[[], float],
) -> tuple[str, str | None] | None:  # fmt: skip
    challenge = Challenge(os.urandom(CHALLENGE_BYTES), chain_id, clock() + timeout_s)
    await ws.send_json(_dump(ChallengeMsg(challenge="0x" + challenge.nonce.hex(), chain_id=chain_id,
                                          expires_at=challenge.expires_at)))  # fmt: skip
    try:
        raw = await asyncio.wait_for(_receive(ws), timeout_s)
        if isinstance(raw, bytes):
            await _refuse(ws, "malformed", BINARY)
            return None
        msg = SolverMessage.validate_json(raw)
        if not isinstance(msg, AuthenticateMsg):
            raise AuthFailed("bad_signature", "the first message must be `authenticate`")
        allowed = frozenset({msg.address}) if await is_allowed(msg.address) else frozenset()
        signer = authenticate(challenge, msg.address, bytes.fromhex(msg.signature[2:]), clock(), allowed)
        return signer, msg.resume
    except AuthFailed as exc:
        await _refuse(ws, exc.code, exc.reason)
    except (TimeoutError, ValidationError, ValueError) as exc:
        await _refuse(ws, "challenge_expired" if isinstance(exc, TimeoutError) else "malformed", str(exc)[:200])
    except WebSocketDisconnect:
        pass
    return None


async def _refuse(ws: WebSocket, code: str, reason: str) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):  # the peer may be gone already
        await ws.send_json(_dump(RejectedMsg(code=code, reason=reason)))
        await ws.close(code=CLOSE_POLICY)


async def _write(ws: WebSocket, hub: Solvers, conn: Connection) -> None:
    while (message := await conn.queue.get()) is not None:
        await _send(ws, hub, conn, message)


async def _send(ws: WebSocket, hub: Solvers, conn: Connection, message: Outgoing) -> None:
    """Write one message; a numbered notice, once written, moves the session's mark (resumption starts after)."""
    if isinstance(message, str):
        await ws.send_text(message)
        return
    await ws.send_json(message)
    if isinstance(seq := message.get("seq"), int):
        hub.delivered(conn, seq)


async def _receive(ws: WebSocket) -> str | bytes:
    """The next frame's payload: text, or the bytes of a binary frame (which the protocol refuses: Starlette's
    `receive_text` would fail on one with a KeyError). Raises WebSocketDisconnect when the peer goes away."""
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text: str | None = message.get("text")
    return text if text is not None else bytes(message.get("bytes") or b"")


_Ending = tuple[int, str]  # the close code and reason a connection ends with


@dataclass
class _Pongs:
    outstanding: int = 0


async def _ping(conn: Connection, pongs: _Pongs, limits: WsLimits, clock: Callable[[], float]) -> None:
    while True:
        await asyncio.sleep(limits.ping_interval_s)
        if pongs.outstanding >= limits.missed_pongs:
            return  # silent solver: close
        pongs.outstanding += 1
        _offer(conn, PingMsg(t=clock()))


async def _read(
    ws: WebSocket, conn: Connection, bids: BidSink, pongs: _Pongs, limits: WsLimits, clock: Callable[[], float]
) -> _Ending | None:
    """Read until the peer leaves (None) or keeps sending junk (the close code and reason)."""
    strikes: list[float] = []
    try:
        while not conn.closed:
            raw = await _receive(ws)
            reply = await _handle(raw, conn.solver, bids, pongs, limits)
            if isinstance(reply, BidRejectedMsg) and reply.code in ("malformed", "too_large"):
                now = clock()
                strikes = [t for t in strikes if now - t < 60] + [now]
                if len(strikes) > limits.max_malformed_per_minute:  # a solver that keeps sending junk is dropped
                    return CLOSE_POLICY, f"more than {limits.max_malformed_per_minute} malformed messages in a minute"
            if reply is not None:
                _offer(conn, reply)
    except WebSocketDisconnect:
        return None
    return None


async def _handle(raw: str | bytes, solver: str, bids: BidSink, pongs: _Pongs, limits: WsLimits) -> Message | None:
    if isinstance(raw, bytes):
        return BidRejectedMsg(code="malformed", reason=BINARY)
    if len(raw.encode()) > limits.max_message_bytes:
        return BidRejectedMsg(code="too_large", reason=f"messages are limited to {limits.max_message_bytes} bytes")
    try:
        msg = SolverMessage.validate_json(raw)
        if isinstance(msg, PongMsg):
            pongs.outstanding = 0
            return None
        if not isinstance(msg, BidMsg):
            return BidRejectedMsg(code="malformed", reason="already authenticated")
        solution = msg.solution.to_domain(msg.auction_id, solver)
    except (ValidationError, ValueError) as exc:
        return BidRejectedMsg(code="malformed", reason=_first_error(exc))
    try:
        bid_id = await bids.receive_bid(solution)
    except BidRefused as exc:
        return BidRejectedMsg(auction_id=msg.auction_id, code=exc.code, reason=exc.reason)
    return AckMsg(auction_id=msg.auction_id, bid_id=bid_id)


def _offer(conn: Connection, msg: Message) -> None:
    """Queue a reply unless the solver's queue is full (it is then being disconnected anyway)."""
    if not conn.queue.full():
        conn.queue.put_nowait(_dump(msg))


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        e = exc.errors()[0]
        return f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"[:300]
    return str(exc)[:300]


def _dump(msg: Message) -> dict[str, object]:
    return json.loads(msg.model_dump_json(by_alias=True, exclude_none=True))  # type: ignore[no-any-return]


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    # Already closed, or the peer went away (a real server raises WebSocketDisconnect on the close frame).
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await ws.close(code=code, reason=reason)
