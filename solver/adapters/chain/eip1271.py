"""EIP-1271: ask the owner contract itself whether it accepts a signature, as the settlement will.

`isValidSignature(bytes32 hash, bytes signature)` by `eth_call` at the head block; only the magic value
0x1626ba7e means yes. A revert, an empty answer (no code at the address: an EOA) or any other value is a no.
A node that cannot be reached is not a no: RpcUnavailable propagates, so the intake answers 503-style
rather than refusing an intent that may be valid.
"""

from __future__ import annotations

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from .jsonrpc import AsyncRpc
from .rpc import RpcError

IS_VALID_SIGNATURE = keccak(text="isValidSignature(bytes32,bytes)")[:4]
MAGIC_VALUE = IS_VALID_SIGNATURE  # the standard's magic value is the function's own selector, 0x1626ba7e


class RpcEip1271Verifier:
    def __init__(self, rpc: AsyncRpc) -> None:
        self._rpc = rpc

    async def is_valid(self, wallet: str, digest: bytes, signature: bytes) -> bool:
        data = IS_VALID_SIGNATURE + encode(["bytes32", "bytes"], [digest, signature])
        try:
            result = await self._rpc.call("eth_call", {"to": wallet, "data": "0x" + data.hex()}, "latest")
        except RpcError:  # the node answered with an error: the wallet reverted (RpcUnavailable is not caught)
            return False
        answer = bytes.fromhex(str(result).removeprefix("0x"))
        return len(answer) == 32 and answer[:4] == MAGIC_VALUE and answer[4:] == bytes(28)
