"""The settlement contract's wire format: encode a Batch as a settle call, submit it, decode its receipt.

Encoding uses eth-abi directly (no web3 contract object on the hot path). Reverts are decoded into the
contract's custom errors (`SettlementReverted.name`, `.args`) where the library error enters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode, encode
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError

from solver.domain.batch import Batch, Interaction, SigningScheme, Trade
from solver.domain.fills import Fill, PoolFlow
from solver.domain.intent import IntentKind
from solver.keeper.ports import Receipt

from .artifacts import forge_artifact
from .manifest import Manifest, PoolInfo

TRADE_TUPLE = "(uint256,uint256,address,address,uint256,uint256,uint256,uint256,bytes32,uint256,uint256,address,bytes)"
INTERACTION_TUPLE = "(address,uint256,bytes)"
SETTLE_ARGS = ["address[]", "uint256[]", f"{TRADE_TUPLE}[]", f"{INTERACTION_TUPLE}[][3]", "uint256"]
SETTLE_SELECTOR = keccak(text=f"settle({','.join(SETTLE_ARGS)})")[:4]

FILL_TOPIC = keccak(text="Fill(address,bytes32,address,address,uint256,uint256)")
SETTLED_TOPIC = keccak(text="Settled(address,uint256)")
V2_SWAP_TOPIC = keccak(text="Swap(address,uint256,uint256,uint256,uint256,address)")
V3_SWAP_TOPIC = keccak(text="Swap(address,address,int256,int256,uint160,uint128,int24)")

FLAG_BUY, FLAG_PARTIAL, FLAG_EIP1271 = 1, 2, 4


class SettlementReverted(Exception):
    """The settle call reverted; `name` and `args` are the decoded custom error when known."""

    def __init__(self, name: str, args: tuple[Any, ...] = (), raw: bytes = b"") -> None:
        super().__init__(f"{name}{args}")
        self.name = name
        self.args_ = args
        self.raw = raw


@dataclass(frozen=True, slots=True)
class SettlementReceipt:
    tx_hash: str
    block_number: int
    gas_used: int
    effective_gas_price: int  # wei per gas
    solver: str
    auction_id: int
    fills: tuple[Fill, ...]
    pool_flows: tuple[PoolFlow, ...]


def trade_flags(trade: Trade) -> int:
    intent = trade.intent
    flags = FLAG_BUY if intent.kind is IntentKind.BUY else 0
    flags |= FLAG_PARTIAL if intent.partially_fillable else 0
    return flags | (FLAG_EIP1271 if trade.scheme is SigningScheme.EIP1271 else 0)


def _trade_tuple(batch: Batch, trade: Trade) -> tuple[Any, ...]:
    i = trade.intent
    return (
        batch.index(i.sell_token),
        batch.index(i.buy_token),
        i.owner,
        i.receiver,
        i.sell_amount,
        i.buy_amount,
        i.valid_to,
        i.nonce,
        i.app_data,
        trade_flags(trade),
        trade.executed_amount,
        trade.sell_to,
        trade.signature,
    )


def _interactions(calls: Sequence[Interaction]) -> list[tuple[str, int, bytes]]:
    return [(c.target, c.value, c.call_data) for c in calls]


def encode_settle(batch: Batch) -> bytes:
    """Calldata of `settle(tokens, clearingPrices, trades, interactions, auctionId)` for `batch`."""
    args = [
        list(batch.tokens),
        list(batch.prices),
        [_trade_tuple(batch, t) for t in batch.trades],
        [
            _interactions(batch.pre_interactions),
            _interactions(batch.interactions),
            _interactions(batch.post_interactions),
        ],
        batch.auction_id,
    ]
    return SETTLE_SELECTOR + encode(SETTLE_ARGS, args)


class ErrorDecoder:
    """Maps 4-byte selectors of the contracts' custom errors to names and decoded arguments."""

    def __init__(self, abis: Sequence[Sequence[Mapping[str, Any]]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str]]] = {}
        for abi in abis:
            for item in abi:
                if item.get("type") == "error":
                    types = [_abi_type(i) for i in item["inputs"]]
                    selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
                    self._errors[selector] = (item["name"], types)

    def decode(self, data: bytes) -> SettlementReverted:
        known = self._errors.get(data[:4])
        if known is None:
            return SettlementReverted("UnknownRevert", (data.hex(),), data)
        name, types = known
        return SettlementReverted(name, tuple(decode(types, data[4:])), data)


def _abi_type(param: Mapping[str, Any]) -> str:
    t = str(param["type"])
    if t.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in param["components"]) + ")" + t[len("tuple") :]
    return t


def _revert_data(exc: Exception) -> bytes:
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    return b""


def contract_errors() -> ErrorDecoder:
    """Decoder for every custom error the settlement stack can revert with."""
    return ErrorDecoder([forge_artifact(name).abi for name in ("Settlement", "IntentSpender")])


class SettlementClient:
    """Simulates and submits settle transactions from an allow-listed solver account."""

    @classmethod
    def for_manifest(cls, w3: Web3, manifest: Manifest) -> SettlementClient:
        return cls(w3, manifest.contracts["settlement"], manifest.pools, contract_errors())

    def __init__(self, w3: Web3, settlement: str, pools: Sequence[PoolInfo], errors: ErrorDecoder) -> None:
        self._w3 = w3
        self.settlement = to_checksum_address(settlement)
        self._logs = LogDecoder(settlement, pools)
        self._errors = errors

    def simulate(self, batch: Batch, sender: str, block: str | int = "latest") -> int:
        """Gas the settle call would use now; raises SettlementReverted with the decoded error."""
        tx = {"from": sender, "to": self.settlement, "data": encode_settle(batch)}
        try:
            return int(self._w3.eth.estimate_gas(tx, block))  # type: ignore[arg-type]
        except (ContractCustomError, ContractLogicError, Web3RPCError) as exc:
            raise self._errors.decode(_revert_data(exc)) from exc

    def submit(self, batch: Batch, solver: LocalAccount, tip_wei: int = 10**9) -> SettlementReceipt:
        """Simulate, sign (EIP-1559), send, wait for the receipt and decode it."""
        gas = self.simulate(batch, solver.address)
        base_fee = int(self._w3.eth.get_block("latest")["baseFeePerGas"])
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": self._w3.eth.chain_id,
            "from": solver.address,
            "to": self.settlement,
            "data": encode_settle(batch),
            "nonce": self._w3.eth.get_transaction_count(solver.address, "pending"),
            # Headroom: pools write time-dependent state (V2 price accumulators, V3 oracle slots) only when
            # the block timestamp moved, so the mined block can cost tens of thousands more than the
            # estimate. Unused gas is not charged.
            "gas": gas * 3 // 2 + 100_000,
            "maxPriorityFeePerGas": tip_wei,
            "maxFeePerGas": 2 * base_fee + tip_wei,
        }
        signed = solver.sign_transaction(tx)
        tx_hash = self._w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self._w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.05)
        if receipt["status"] != 1:
            raise SettlementReverted("TransactionReverted", (tx_hash.hex(),))
        return self.decode_receipt(receipt)

    def decode_receipt(self, receipt: Mapping[str, Any]) -> SettlementReceipt:
        logs = self._logs.decode(receipt["logs"])
        return SettlementReceipt(
            tx_hash="0x" + _raw(receipt["transactionHash"]).hex(),
            block_number=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            effective_gas_price=int(receipt["effectiveGasPrice"]),
            solver=logs.solver,
            auction_id=logs.auction_id,
            fills=tuple(logs.fills),
            pool_flows=tuple(logs.pool_flows),
        )


@dataclass(frozen=True, slots=True)
class DecodedLogs:
    fills: list[Fill]  # every Fill event, in log order
    pool_flows: list[PoolFlow]  # net flows of every Swap of a known pool
    solver: str  # the Settled event's solver: the account that sent the settle call ("" if none)
    auction_id: int  # the Settled event's auction id (-1 if none)


class LogDecoder:
    """Decodes a settle transaction's logs: the settlement's Fill and Settled events and known pools' Swaps.

    Takes logs as web3 returns them (HexBytes) or as JSON-RPC does (0x hex strings).
    """

    @classmethod
    def for_manifest(cls, manifest: Manifest) -> LogDecoder:
        return cls(manifest.contracts["settlement"], manifest.pools)

    def __init__(self, settlement: str, pools: Sequence[PoolInfo]) -> None:
        self.settlement = to_checksum_address(settlement)
        self._pools = {to_checksum_address(p.address): p for p in pools}

    def decode(self, logs: Iterable[Mapping[str, Any]]) -> DecodedLogs:
        decoded = DecodedLogs([], [], "", -1)
        for log in logs:
            emitter = to_checksum_address(log["address"])
            topics = [_raw(t) for t in log["topics"]]
            data = _raw(log["data"])
            if emitter == self.settlement and topics:
                if topics[0] == FILL_TOPIC:
                    decoded.fills.append(_decode_fill(topics, data))
                elif topics[0] == SETTLED_TOPIC:
                    solver, auction_id = to_checksum_address(topics[1][12:]), int.from_bytes(topics[2], "big")
                    decoded = DecodedLogs(decoded.fills, decoded.pool_flows, solver, auction_id)
            elif emitter in self._pools and topics:
                decoded.pool_flows.extend(_decode_pool_swap(self._pools[emitter], topics[0], data))
        return decoded

    def __call__(self, receipt: Receipt) -> tuple[list[Fill], list[PoolFlow], str]:
        """A keeper receipt's fills, pool flows and settle-call sender: the `decode` Accounting takes."""
        logs = self.decode(receipt.logs)
        return logs.fills, logs.pool_flows, logs.solver


def _raw(value: Any) -> bytes:
    """Bytes of a log field, from web3's HexBytes or a JSON-RPC 0x hex string."""
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return bytes(value)


def _decode_fill(topics: list[bytes], data: bytes) -> Fill:
    sell_token, buy_token, sell_amount, buy_amount = decode(["address", "address", "uint256", "uint256"], data)
    return Fill(
        intent_id=topics[2],
        owner=to_checksum_address(topics[1][12:]),
        sell_token=to_checksum_address(sell_token),
        buy_token=to_checksum_address(buy_token),
        sell_amount=sell_amount,
        buy_amount=buy_amount,
    )


def _decode_pool_swap(pool: PoolInfo, topic: bytes, data: bytes) -> list[PoolFlow]:
    """Net flows of a pool's Swap event, positive into the pool."""
    if topic == V2_SWAP_TOPIC:
        in0, in1, out0, out1 = decode(["uint256"] * 4, data)
        delta0, delta1 = in0 - out0, in1 - out1
    elif topic == V3_SWAP_TOPIC:
        delta0, delta1 = decode(["int256", "int256"], data[:64])
    else:
        return []
    address = to_checksum_address(pool.address)
    return [
        PoolFlow(address, to_checksum_address(pool.token0), delta0),
        PoolFlow(address, to_checksum_address(pool.token1), delta1),
    ]
