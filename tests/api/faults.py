"""Fault injection for outage tests: a JSON-RPC endpoint in front of the devnet that passes requests
through until told to refuse connections, hang (answer nothing: the client times out) or answer every
`eth_call` with a JSON-RPC error (what a node does when it lost the state asked for)."""

from __future__ import annotations

import asyncio
import enum
import json
from typing import Any

import aiohttp
from aiohttp import web


class Mode(enum.Enum):
    PASS = "pass"
    REFUSE = "refuse"  # the port is closed: connect() fails at once
    HANG = "hang"  # requests are read and never answered
    CALL_ERRORS = "call_errors"  # eth_call answered with an error object, everything else passed through


class RpcProxy:
    """`url` is the endpoint to give the venue; `mode` is switched by the test."""

    def __init__(self, upstream: str) -> None:
        self.upstream, self.mode = upstream, Mode.PASS
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._hung = asyncio.Event()  # set: the requests held by HANG may end
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        await self._listen()

    async def switch(self, mode: Mode) -> None:
        self._hung.set()
        self._hung = asyncio.Event()
        if mode is Mode.REFUSE and self._site is not None:
            await self._site.stop()  # closes the listening socket and the open connections
            self._site = None
        elif mode is not Mode.REFUSE and self._site is None:
            await self._listen()
        self.mode = mode

    async def stop(self) -> None:
        self._hung.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()
        if not self.port:
            self.port = self._site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _handle(self, request: web.Request) -> web.Response:
        if self.mode is Mode.REFUSE:  # a connection kept alive from before: cut it, as a dead node would
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable()  # never delivered: the connection is gone
        body = await request.read()
        if self.mode is Mode.HANG:
            await self._hung.wait()  # no answer until the test moves on; the client times out first
            raise web.HTTPServiceUnavailable()
        if self.mode is Mode.CALL_ERRORS:
            calls = json.loads(body)
            if any(c.get("method") == "eth_call" for c in (calls if isinstance(calls, list) else [calls])):
                return web.json_response(_errors(calls))
        assert self._session is not None
        async with self._session.post(self.upstream, data=body, headers={"content-type": "application/json"}) as up:
            return web.Response(body=await up.read(), content_type="application/json")


def _errors(calls: Any) -> Any:
    def one(call: dict[str, Any]) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": call.get("id"), "error": {"code": -32000, "message": "missing trie node"}}

    return [one(c) for c in calls] if isinstance(calls, list) else one(calls)
