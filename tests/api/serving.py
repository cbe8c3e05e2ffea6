"""A real uvicorn (httptools, as production serves) on a free loopback port, for tests that need the wire:
raw HTTP bytes, a server's own parsing, a fuzzer driving the live OpenAPI."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp

STARTUP_S = 10.0  # a failure guard: uvicorn starts in milliseconds


@asynccontextmanager
async def running_uvicorn(app: ASGIApp) -> AsyncIterator[str]:
    """Serve `app` in this event loop; yields its base URL (http://127.0.0.1:PORT)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # a free port, held from the start: no race with other tests
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, log_level="warning", lifespan="off", http="httptools")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(STARTUP_S):
            while not server.started:
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.005)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, STARTUP_S)
        sock.close()


async def raw_exchange(base_url: str, request: bytes, timeout_s: float = 5.0) -> bytes:
    """Send `request` bytes as they are and read the answer until the server closes the connection."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(timeout_s):
            return await reader.read()
    finally:
        writer.close()
