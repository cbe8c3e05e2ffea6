"""A bid simulated as the node would execute it, with what it would do to the settlement's own balances.

One `eth_simulateV1` request runs, in one simulated block on top of the head block: `balanceOf(settlement)`
of every watched token, the settle call, the same reads again. The balances are the tokens' own answers
(the node's state, not the solver's word, not events); ETH movements come from the node's transfer tracing
(`traceTransfers`) applied to `eth_getBalance` at the head, read in the same HTTP request. When the settle
call emits an `Approval` by the settlement (the contract never approves; an owner-listed adapter might), a
second request replays the block and reads each such allowance after the call: what is left outlives the
batch. The settle call's gas is the node's, as a receipt would report it (one execution, like
`eth_createAccessList`, whose figure also counts the access list).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from solver.domain.value_safety import ETH, Allowance, Holding, SimulatedSettle
from solver.keeper.ports import SimulationFailed

from .jsonrpc import AsyncRpc
from .settlement import ErrorDecoder

BALANCE_OF = keccak(text="balanceOf(address)")[:4]
ALLOWANCE = keccak(text="allowance(address,address)")[:4]
APPROVAL_TOPIC = keccak(text="Approval(address,address,uint256)")
TRANSFER_TOPIC = keccak(text="Transfer(address,address,uint256)")
# traceTransfers reports native transfers as ERC-20 Transfer logs of this pseudo address (ERC-7528).
NATIVE = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"


class RpcBidSimulator:
    """The auction house's `Simulator` over JSON-RPC."""

    def __init__(self, rpc: AsyncRpc, settlement: str, errors: ErrorDecoder) -> None:
        self._rpc, self._settlement, self._errors = rpc, to_checksum_address(settlement), errors
        self._word = encode(["address"], [self._settlement])

    async def simulate(self, sender: str, calldata: bytes, watch: Sequence[str]) -> SimulatedSettle:
        """Gas and the settlement's balances before/after; raises SimulationFailed (with the custom error's
        name) if the call reverts. `watch`: the tokens whose balances to measure."""
        tokens = [to_checksum_address(t) for t in dict.fromkeys(watch)]
        reads = [self._call(sender, t, BALANCE_OF + self._word) for t in tokens]
        settle = self._call(sender, self._settlement, calldata)
        eth_before, blocks = await self._rpc.batch([
            ("eth_getBalance", [self._settlement, "latest"]),
            ("eth_simulateV1", [_request([*reads, settle, *reads]), "latest"]),
        ])  # fmt: skip
        results = blocks[0]["calls"]
        outcome = results[len(tokens)]
        if int(outcome["status"], 16) != 1:
            error = self._errors.decode(_bytes(outcome.get("returnData")))
            raise SimulationFailed(str(error), error.name if error.name != "UnknownRevert" else None)
        before, after = results[: len(tokens)], results[len(tokens) + 1 :]
        holdings = [Holding(t, _uint(b), _uint(a)) for t, b, a in zip(tokens, before, after, strict=True)]
        start = int(eth_before, 16)
        holdings.append(Holding(ETH, start, start + self._native_delta(outcome["logs"])))
        approvals = self._approvals(outcome["logs"])
        allowances = await self._allowances(sender, settle, approvals) if approvals else ()
        return SimulatedSettle(int(outcome["gasUsed"], 16), tuple(holdings), allowances)

    def _call(self, sender: str, to: str, data: bytes) -> dict[str, str]:
        return {"from": sender, "to": to, "data": "0x" + data.hex()}

    def _native_delta(self, logs: Sequence[dict[str, Any]]) -> int:
        """Wei into the settlement minus wei out of it, from the traced native transfers."""
        delta = 0
        for log in logs:
            topics = log["topics"]
            if log["address"].lower() != NATIVE or len(topics) != 3 or _bytes(topics[0]) != TRANSFER_TOPIC:
                continue
            amount = int(log["data"], 16)
            delta += amount if _topic_address(topics[2]) == self._settlement else 0
            delta -= amount if _topic_address(topics[1]) == self._settlement else 0
        return delta

    def _approvals(self, logs: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
        """(token, spender) of every Approval the settlement emitted as owner, in log order, once each."""
        found: dict[tuple[str, str], None] = {}
        for log in logs:
            topics = log["topics"]
            if (
                len(topics) == 3
                and _bytes(topics[0]) == APPROVAL_TOPIC
                and _topic_address(topics[1]) == self._settlement
            ):
                found[(to_checksum_address(log["address"]), _topic_address(topics[2]))] = None
        return list(found)

    async def _allowances(
        self, sender: str, settle: dict[str, str], approvals: list[tuple[str, str]]
    ) -> tuple[Allowance, ...]:
        reads = [
            self._call(sender, token, ALLOWANCE + encode(["address", "address"], [self._settlement, spender]))
            for token, spender in approvals
        ]
        blocks = await self._rpc.call("eth_simulateV1", _request([settle, *reads]), "latest")
        left = blocks[0]["calls"][1:]
        return tuple(Allowance(t, s, _uint(r)) for (t, s), r in zip(approvals, left, strict=True))


def _request(calls: list[dict[str, str]]) -> dict[str, Any]:
    return {"blockStateCalls": [{"calls": calls}], "traceTransfers": True, "validation": False}


def _uint(result: dict[str, Any]) -> int:
    """A uint256 a read returned; 0 if the read failed (a token without balanceOf holds nothing we can see)."""
    data = _bytes(result.get("returnData"))
    if int(result["status"], 16) != 1 or len(data) < 32:
        return 0
    (value,) = decode(["uint256"], data[:32])
    return int(value)


def _bytes(value: Any) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) and value.startswith("0x") else b""


def _topic_address(topic: str) -> str:
    return to_checksum_address(_bytes(topic)[12:])
