"""The JSON-RPC seam: a bare web3 v8 connection and raw calls that raise our own error types.

`connect` builds a `Web3` with no middleware (no ENS, no attrdicts, no client-side validation or gas
estimation; the node does what it does best). `call` sends one raw JSON-RPC request and translates
transport and node errors into `RpcUnavailable` / `RpcError`; `send_transaction` sends from an unlocked
node account and returns the mined receipt or raises `TransactionReverted`.
"""

from __future__ import annotations

import time
from typing import Any

import requests
from web3 import HTTPProvider, Web3
from web3.types import RPCEndpoint

from solver.ports import ChainUnavailable

DEFAULT_TIMEOUT_S = 10.0  # seconds per HTTP request
_RECEIPT_POLL_S = 0.002  # seconds between receipt polls when the node lacks eth_sendTransactionSync
_RECEIPT_TIMEOUT_S = 30.0  # seconds to wait for a receipt in that fallback
_METHOD_NOT_FOUND = -32601  # JSON-RPC error code
# Pools write time-dependent state (V2 price accumulators, V3 oracle slots) only when the block timestamp
# moved since their last swap: up to ~45k gas per pool more than an estimate made within the same second.
# Unused gas is not charged, so the headroom is generous.
_GAS_HEADROOM = 100_000


class ChainError(Exception):
    """Base of every error raised by the chain adapters."""


class RpcUnavailable(ChainError, ChainUnavailable):
    """The node did not answer (refused, reset, timed out, or HTTP error) or answered something unreadable."""


class RpcError(ChainError, ChainUnavailable):
    """The node answered with a JSON-RPC error object. Callers that read meaning into it (an EIP-1271 wallet
    that reverts says "no"; a keeper's estimate that reverts) catch it; uncaught, it is an outage."""

    def __init__(self, method: str, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{method}: {message} (code {code})" + (f" data={data}" if data else ""))
        self.method = method
        self.code = code
        self.message = message
        self.data = data


class TransactionReverted(ChainError):
    """A transaction was rejected at estimation or mined with status 0."""

    def __init__(self, what: str, detail: str, data: Any = None) -> None:
        super().__init__(f"{what} reverted: {detail}")
        self.what = what
        self.detail = detail
        self.data = data


def connect(rpc_url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> Web3:
    """A `Web3` on `rpc_url` over HTTP with no middleware and no automatic retries."""
    provider = HTTPProvider(rpc_url, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=None)
    return Web3(provider, middleware=[])


def call(w3: Web3, method: str, *params: Any) -> Any:
    """Send one raw JSON-RPC request and return its `result` (hex strings stay hex strings)."""
    try:
        response: dict[str, Any] = dict(w3.provider.make_request(RPCEndpoint(method), list(params)))
    except (requests.RequestException, OSError) as exc:
        raise RpcUnavailable(f"{method}: {exc}") from exc
    error = response.get("error")
    if error is not None:
        raise RpcError(method, int(error.get("code", 0)), str(error.get("message", "")), error.get("data"))
    return response.get("result")


def send_transaction(w3: Web3, tx: dict[str, Any], *, what: str = "transaction") -> dict[str, Any]:
    """Send `tx` from an unlocked node account, wait for it to be mined, return the raw receipt.

    Without a `gas` field the limit is the node's estimate plus headroom: an exact estimate can fall
    short when the block mined differs from the one estimated against (e.g. a Uniswap V3 oracle write
    that depends on the timestamp). Uses `eth_sendTransactionSync` (one round trip; anvil >= 1.4) and
    falls back to `eth_sendTransaction` plus receipt polling. Raises `TransactionReverted` when the
    transaction fails at estimation or is mined with status 0; `what` names it in the error.
    """
    if "gas" not in tx:
        tx = {**tx, "gas": hex(estimate_gas(w3, tx, what=what))}
    try:
        try:
            receipt: dict[str, Any] = call(w3, "eth_sendTransactionSync", tx)
        except RpcError as exc:
            if exc.code != _METHOD_NOT_FOUND:
                raise
            receipt = _wait_for_receipt(w3, call(w3, "eth_sendTransaction", tx))
    except RpcError as exc:
        _raise_if_reverted(what, exc)
        raise
    if int(receipt["status"], 16) != 1:
        raise _failure_of_mined(w3, tx, receipt, what)
    return receipt


def estimate_gas(w3: Web3, tx: dict[str, Any], *, what: str = "transaction") -> int:
    """The node's gas estimate for `tx` plus 25 % and 100k gas of headroom (see _GAS_HEADROOM)."""
    try:
        estimate = int(call(w3, "eth_estimateGas", tx), 16)
    except RpcError as exc:
        _raise_if_reverted(what, exc)
        raise
    return estimate * 5 // 4 + _GAS_HEADROOM


def _raise_if_reverted(what: str, exc: RpcError) -> None:
    """Re-raise a node error that reports an EVM revert as `TransactionReverted`."""
    if exc.code == 3 or "revert" in exc.message.lower():
        raise TransactionReverted(what, exc.message, exc.data) from exc


def _failure_of_mined(w3: Web3, tx: dict[str, Any], receipt: dict[str, Any], what: str) -> TransactionReverted:
    """Replay a status-0 transaction on its parent block to recover the revert reason (best effort)."""
    tx_hash, block = receipt["transactionHash"], int(receipt["blockNumber"], 16)
    detail = f"mined with status 0 in tx {tx_hash}, gas used {int(receipt['gasUsed'], 16)}"
    try:
        call(w3, "eth_call", tx, hex(block - 1))
    except RpcError as exc:
        return TransactionReverted(what, f"{detail}: {exc.message}", exc.data)
    except ChainError:
        pass
    return TransactionReverted(what, f"{detail} (the replay on block {block - 1} succeeds: out of gas?)")


def _wait_for_receipt(w3: Web3, tx_hash: str) -> dict[str, Any]:
    deadline = time.monotonic() + _RECEIPT_TIMEOUT_S
    while time.monotonic() < deadline:
        receipt: dict[str, Any] | None = call(w3, "eth_getTransactionReceipt", tx_hash)
        if receipt is not None:
            return receipt
        time.sleep(_RECEIPT_POLL_S)
    raise RpcUnavailable(f"no receipt for {tx_hash} after {_RECEIPT_TIMEOUT_S} s")
