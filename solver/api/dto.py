"""JSON shapes of intents at the edge, and their conversion into domain objects.

Amounts and nonces travel as decimal strings (JSON numbers lose precision past 2**53); addresses,
hashes and signatures as 0x hex. `to_domain` raises `Rejected` with MALFORMED or INVALID_AMOUNT, so every
bad body maps to one machine-readable code.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from solver.domain.batch import SigningScheme
from solver.domain.errors import InvalidIntent
from solver.domain.intake import RejectCode, Rejected
from solver.domain.intent import Intent, IntentKind
from solver.domain.lifecycle import IntentRecord, ReportedStatus
from solver.domain.primitives import UINT256_MAX, ZERO_ADDRESS
from solver.domain.records import FillRecord

from .fill_dto import FillView
from .formats import ADDRESS, BYTES32, DECIMAL, HEX_BYTES, address_of, documented, matches

SCHEMES = {"eip712": SigningScheme.EIP712, "eip1271": SigningScheme.EIP1271}


class IntentBody(BaseModel):
    """An intent as wallets POST it, with the domain it was signed for. Every field but `chainId`,
    `settlement`, `signingScheme`, `signature` and `quoteId` is part of the signed EIP-712 `Intent`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    chain_id: int = Field(alias="chainId", description="the EIP-712 domain's chain id")
    settlement: str = Field(
        description="0x address: the EIP-712 domain's verifying contract", json_schema_extra=documented(ADDRESS)
    )
    owner: str = Field(
        description="0x address: the signer (EOA) or the EIP-1271 wallet; pays the sell token",
        json_schema_extra=documented(ADDRESS),
    )
    sell_token: str = Field(
        alias="sellToken", description="0x address of the token the owner gives", json_schema_extra=documented(ADDRESS)
    )
    buy_token: str = Field(
        alias="buyToken", description="0x address of the token the owner receives",
        json_schema_extra=documented(ADDRESS),
    )  # fmt: skip
    receiver: str = Field(
        default=ZERO_ADDRESS, description="0x address paid the buy token; zero: the owner",
        json_schema_extra=documented(ADDRESS),
    )  # fmt: skip
    sell_amount: str = Field(
        alias="sellAmount",
        description="decimal string, sell-token base units (1 to 2**256-1): exact for kind=sell, the most paid for "
        "kind=buy",
        json_schema_extra=documented(DECIMAL),
    )
    buy_amount: str = Field(
        alias="buyAmount",
        description="decimal string, buy-token base units (1 to 2**256-1): the least received for kind=sell, exact "
        "for kind=buy",
        json_schema_extra=documented(DECIMAL),
    )
    valid_to: int = Field(alias="validTo", description="unix seconds: the last second the intent may settle in")
    nonce: str = Field(
        description="decimal string (0 to 2**256-1), unordered nonce (bit nonce & 255 of word nonce >> 8)",
        json_schema_extra=documented(DECIMAL),
    )
    kind: Literal["sell", "buy"] = Field(
        description="sell: sellAmount is exact and buyAmount the minimum to receive; buy: buyAmount is exact and "
        "sellAmount the maximum to pay. The limit price is buyAmount / sellAmount either way."
    )
    partially_fillable: bool = Field(
        default=False,
        alias="partiallyFillable",
        description="false: fill-or-kill, the exact amount at once or nothing; true: may fill in parts, each at "
        "or above the limit price, up to the exact amount in total",
    )
    app_data: str = Field(
        default="0x" + "00" * 32, alias="appData", description="0x, 32 bytes: off-chain metadata",
        json_schema_extra=documented(BYTES32),
    )  # fmt: skip
    signing_scheme: Literal["eip712", "eip1271"] = Field(
        default="eip712", alias="signingScheme", description="eip712: a 65-byte ECDSA signature of the owner (EOA, "
        "low s); eip1271: bytes the owner contract's isValidSignature accepts"
    )  # fmt: skip
    signature: str = Field(description="0x hex", json_schema_extra=documented(HEX_BYTES))
    quote_id: str | None = Field(
        default=None,
        alias="quoteId",
        description="0x id of the quote the owner signed after (POST /v1/quote); not signed",
        json_schema_extra=documented(HEX_BYTES),
    )

    def to_domain(self) -> tuple[Intent, bytes, SigningScheme]:
        return intent_of(
            self.owner, self.sell_token, self.buy_token, self.receiver, self.sell_amount, self.buy_amount,
            self.valid_to, self.nonce, self.kind, self.partially_fillable, self.app_data, self.signing_scheme,
            self.signature,
        )  # fmt: skip

    def quote_id_bytes(self) -> bytes | None:
        return quote_id_of(self.quote_id)


def intent_of(
    owner: str, sell_token: str, buy_token: str, receiver: str, sell_amount: str, buy_amount: str, valid_to: int,
    nonce: str, kind: str, partially_fillable: bool, app_data: str, signing_scheme: str, signature: str,
) -> tuple[Intent, bytes, SigningScheme]:  # fmt: skip
    """The domain intent, signature and scheme of an intent body's fields (schema-checked already: the types
    are right, `kind` and `signing_scheme` are among their literals). Raises Rejected."""
    sell, buy = _amount(sell_amount, "sellAmount"), _amount(buy_amount, "buyAmount")
    unordered, data = _amount(nonce, "nonce", allow_zero=True), _hex(app_data, "appData", 32)
    owner, sell_token, buy_token, receiver = (
        address_of(text, name)
        for text, name in ((owner, "owner"), (sell_token, "sellToken"), (buy_token, "buyToken"), (receiver, "receiver"))
    )
    try:
        intent = Intent(
            owner=owner,
            sell_token=sell_token,
            buy_token=buy_token,
            receiver=receiver,
            sell_amount=sell,
            buy_amount=buy,
            valid_to=valid_to,
            nonce=unordered,
            kind=IntentKind.BUY if kind == "buy" else IntentKind.SELL,
            partially_fillable=partially_fillable,
            app_data=data,
        )
    except InvalidIntent as exc:
        code = RejectCode.SAME_TOKEN if "must differ" in str(exc) else RejectCode.MALFORMED
        raise Rejected(code, str(exc)) from exc
    return intent, _hex(signature, "signature"), SCHEMES[signing_scheme]


def quote_id_of(text: str | None) -> bytes | None:
    return None if text is None else _hex(text, "quoteId")


class CancelBody(BaseModel):
    """The owner's EIP-712 `CancelIntent(bytes32 intentId)` signature, same domain as the intent."""

    model_config = ConfigDict(extra="forbid", strict=True)

    signature: str = Field(
        description="0x hex: ECDSA of the owner, or what its EIP-1271 wallet accepts",
        json_schema_extra=documented(HEX_BYTES),
    )

    def signature_bytes(self) -> bytes:
        return _hex(self.signature, "signature")


STATUS_DESCRIPTION = (
    "open: waiting for an auction; partially_filled: open again for its remainder after one or more fills "
    "(a fill-or-kill intent never is); in_auction: offered in the current round; won: in a winning solution, "
    "waiting for the keeper; settling: its settlement transaction was sent; settled: fully executed; expired: "
    "validTo passed before it was fully executed; cancelled: cancelled by its owner (off-chain signature or "
    "on-chain nonce); failed: can never settle"
)


class IntentAccepted(BaseModel):
    """The answer to a POSTed intent: its id (the EIP-712 digest) and its status now."""

    id: str = Field(description="0x, 32 bytes: the intent's EIP-712 digest, as the settlement emits it")
    status: ReportedStatus = Field(
        description="open when just accepted, else a repeat's status now. " + STATUS_DESCRIPTION
    )


class IntentView(BaseModel):
    """An accepted intent with its status, fill progress and fills, as every read returns it."""

    id: str = Field(description="0x, 32 bytes: the intent's EIP-712 digest")
    status: ReportedStatus = Field(description=STATUS_DESCRIPTION)
    owner: str
    sell_token: str = Field(serialization_alias="sellToken")
    buy_token: str = Field(serialization_alias="buyToken")
    sell_amount: str = Field(serialization_alias="sellAmount", description="decimal string, sell-token base units")
    buy_amount: str = Field(serialization_alias="buyAmount", description="decimal string, buy-token base units")
    kind: Literal["sell", "buy"] = Field(description="sell: sellAmount exact; buy: buyAmount exact")
    partially_fillable: bool = Field(serialization_alias="partiallyFillable")
    valid_to: int = Field(serialization_alias="validTo", description="unix seconds")
    nonce: str = Field(description="decimal string")
    filled: str = Field(description="decimal string: units of the exact side (sellAmount for sell, buyAmount for buy) "
                        "executed so far")  # fmt: skip
    remaining: str = Field(description="decimal string: units of the exact side still to execute (exact amount "
                           "minus filled)")  # fmt: skip
    accepted_at: float = Field(serialization_alias="acceptedAt", description="unix seconds")
    fills: list[FillView] = Field(description="its settled fills, oldest first")

    @classmethod
    def from_domain(cls, record: IntentRecord, fills: list[FillRecord]) -> IntentView:
        i = record.intent
        return cls(
            id="0x" + record.intent_id.hex(), status=record.reported_status, owner=i.owner, sell_token=i.sell_token,
            buy_token=i.buy_token, sell_amount=str(i.sell_amount), buy_amount=str(i.buy_amount),
            kind="buy" if i.kind is IntentKind.BUY else "sell", partially_fillable=i.partially_fillable,
            valid_to=i.valid_to, nonce=str(i.nonce), filled=str(record.filled), remaining=str(record.remaining),
            accepted_at=record.accepted_at, fills=[FillView.from_domain(f) for f in fills],
        )  # fmt: skip


def _amount(text: str, name: str, allow_zero: bool = False) -> int:
    if not matches(DECIMAL, text):
        raise Rejected(RejectCode.INVALID_AMOUNT, f"{name} must be a non-negative decimal integer string")
    value = int(text)
    if value > UINT256_MAX:
        raise Rejected(RejectCode.INVALID_AMOUNT, f"{name} exceeds uint256")
    if value == 0 and not allow_zero:
        raise Rejected(RejectCode.INVALID_AMOUNT, f"{name} must be positive")
    return value


def _hex(text: str, name: str, length: int | None = None) -> bytes:
    if not matches(HEX_BYTES, text):
        raise Rejected(RejectCode.MALFORMED, f"{name} must be 0x-prefixed hex")
    raw = bytes.fromhex(text[2:])
    if length is not None and len(raw) != length:
        raise Rejected(RejectCode.MALFORMED, f"{name} must be {length} bytes")
    return raw
