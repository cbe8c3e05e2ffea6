"""The keeper's view of the chain over async JSON-RPC: nonces, fees, simulation, broadcast, receipts."""

from __future__ import annotations

from typing import Any

from solver.keeper.ports import Receipt, SimulationFailed

from .jsonrpc import AsyncRpc
from .rpc import RpcError
from .settlement import ErrorDecoder

ALREADY_KNOWN = ("already known", "already imported", "known transaction", "nonce too low")
METHOD_NOT_FOUND = -32601


class RpcKeeperChain:
    def __init__(self, rpc: AsyncRpc, settlement: str, errors: ErrorDecoder) -> None:
        self._rpc, self._settlement, self._errors = rpc, settlement, errors
        self._access_lists = True  # eth_createAccessList until the node says it has no such method

    async def block_number(self) -> int:
        return int(await self._rpc.call("eth_blockNumber"), 16)

    async def block_timestamp(self, block: int) -> float:
        """The block's timestamp, unix seconds (accounting's `block_time`)."""
        header = await self._rpc.call("eth_getBlockByNumber", hex(block), False)
        return float(int(header["timestamp"], 16))

    async def base_fee(self) -> int:
        block = await self._rpc.call("eth_getBlockByNumber", "latest", False)
        return int(block["baseFeePerGas"], 16)

    async def mined_nonce(self, account: str) -> int:
        return int(await self._rpc.call("eth_getTransactionCount", account, "latest"), 16)

    async def simulate(self, sender: str, calldata: bytes) -> int:
        """Gas the settle call uses at the head block, from one execution (`eth_createAccessList`); a revert
        raises SimulationFailed with the decoded custom error. eth_estimateGas would give the same verdict
        but binary-searches the gas limit, re-running a large settlement a dozen times (~5x slower on anvil);
        the keeper's gas limit adds headroom on top of this figure anyway. Nodes without the method fall
        back to eth_estimateGas."""
        tx = {"from": sender, "to": self._settlement, "data": "0x" + calldata.hex()}
        try:
            if self._access_lists:
                result = await self._rpc.call("eth_createAccessList", tx, "latest")
                if result.get("error"):  # geth reports a revert inside the result, without the revert data
                    raise SimulationFailed(str(result["error"])[:300])
                return int(result["gasUsed"], 16)
            return int(await self._rpc.call("eth_estimateGas", tx), 16)
        except RpcError as exc:
            if exc.code == METHOD_NOT_FOUND and self._access_lists:
                self._access_lists = False
                return await self.simulate(sender, calldata)
            raise SimulationFailed(str(self._errors.decode(_revert_bytes(exc.data)))) from exc

    async def send_raw(self, raw: bytes) -> None:
        try:
            await self._rpc.call("eth_sendRawTransaction", "0x" + raw.hex())
        except RpcError as exc:
            if not any(text in exc.message.lower() for text in ALREADY_KNOWN):
                raise

    async def receipt(self, tx_hash: str) -> Receipt | None:
        raw: dict[str, Any] | None = await self._rpc.call("eth_getTransactionReceipt", tx_hash)
        if raw is None:
            return None
        return Receipt(
            tx_hash=raw["transactionHash"], block_number=int(raw["blockNumber"], 16), status=int(raw["status"], 16),
            gas_used=int(raw["gasUsed"], 16), effective_gas_price=int(raw["effectiveGasPrice"], 16),
            logs=tuple(raw["logs"]),
        )  # fmt: skip


def _revert_bytes(data: object) -> bytes:
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    return b""
