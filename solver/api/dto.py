"""JSON shapes of intents at the edge, and their conversion into domain objects.

Amounts and nonces travel as decimal strings (JSON numbers lose precision past 2**53); addresses,
hashes and signatures as 0x hex. `to_domain` raises `Rejected` with MALFORMED or INVALID_AMOUNT, so every
bad body maps to one machine-readable code.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from solver.domain.batch import SigningScheme
from solver.domain.errors import InvalidIntent
from solver.domain.intake import RejectCode, Rejected
from solver.domain.intent import Intent, IntentKind
from solver.domain.lifecycle import IntentRecord
from solver.domain.primitives import UINT256_MAX, ZERO_ADDRESS
from solver.domain.records import FillRecord

from .fill_dto import FillView

HEX = re.compile(r"^0x[0-9a-fA-F]*$")
DECIMAL = re.compile(r"^[0-9]{1,78}$")
SCHEMES = {"eip712": SigningScheme.EIP712, "eip1271": SigningScheme.EIP1271}


class IntentBody(BaseModel):
    """An intent as wallets POST it, with the domain it was signed for."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    chain_id: int = Field(alias="chainId")
    settlement: str
    owner: str
    sell_token: str = Field(alias="sellToken")
    buy_token: str = Field(alias="buyToken")
    receiver: str = ZERO_ADDRESS
    sell_amount: str = Field(alias="sellAmount", description="decimal string, sell-token base units")
    buy_amount: str = Field(alias="buyAmount", description="decimal string, buy-token base units")
    valid_to: int = Field(alias="validTo", description="unix seconds")
    nonce: str = Field(description="decimal string, unordered nonce")
    kind: Literal["sell", "buy"]
    partially_fillable: bool = Field(default=False, alias="partiallyFillable")
    app_data: str = Field(default="0x" + "00" * 32, alias="appData")
    signing_scheme: Literal["eip712", "eip1271"] = Field(default="eip712", alias="signingScheme")
    signature: str
    quote_id: str | None = Field(
        default=None,
        alias="quoteId",
        description="0x id of the quote the owner signed after (POST /v1/quote); not signed",
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
    try:
        intent = Intent(
            owner=owner,
            sell_token=sell_token,
            buy_token=buy_token,
            receiver=receiver,
            sell_amount=_amount(sell_amount, "sellAmount"),
            buy_amount=_amount(buy_amount, "buyAmount"),
            valid_to=valid_to,
            nonce=_amount(nonce, "nonce", allow_zero=True),
            kind=IntentKind.BUY if kind == "buy" else IntentKind.SELL,
            partially_fillable=partially_fillable,
            app_data=_hex(app_data, "appData", 32),
        )
    except InvalidIntent as exc:
        code = RejectCode.SAME_TOKEN if "must differ" in str(exc) else RejectCode.MALFORMED
        raise Rejected(code, str(exc)) from exc
    return intent, _hex(signature, "signature"), SCHEMES[signing_scheme]


def quote_id_of(text: str | None) -> bytes | None:
    return None if text is None else _hex(text, "quoteId")


class CancelBody(BaseModel):
    """The owner's EIP-712 `CancelIntent(bytes32 intentId)` signature, same domain as the intent."""

    model_config = ConfigDict(extra="forbid")

    signature: str

    def signature_bytes(self) -> bytes:
        return _hex(self.signature, "signature")


class IntentView(BaseModel):
    """An accepted intent with its status, as the read endpoints return it."""

    id: str
    status: str
    owner: str
    sell_token: str = Field(serialization_alias="sellToken")
    buy_token: str = Field(serialization_alias="buyToken")
    sell_amount: str = Field(serialization_alias="sellAmount")
    buy_amount: str = Field(serialization_alias="buyAmount")
    kind: str
    partially_fillable: bool = Field(serialization_alias="partiallyFillable")
    valid_to: int = Field(serialization_alias="validTo")
    nonce: str
    filled: str
    accepted_at: float = Field(serialization_alias="acceptedAt")
    fills: list[FillView] | None = Field(default=None, description="its settled fills (single-intent reads)")

    @classmethod
    def from_domain(cls, record: IntentRecord, fills: list[FillRecord] | None = None) -> IntentView:
        i = record.intent
        return cls(
            id="0x" + record.intent_id.hex(), status=record.status.value, owner=i.owner, sell_token=i.sell_token,
            buy_token=i.buy_token, sell_amount=str(i.sell_amount), buy_amount=str(i.buy_amount),
            kind=i.kind.name.lower(), partially_fillable=i.partially_fillable, valid_to=i.valid_to,
            nonce=str(i.nonce), filled=str(record.filled), accepted_at=record.accepted_at,
            fills=None if fills is None else [FillView.from_domain(f) for f in fills],
        )  # fmt: skip


def _amount(text: str, name: str, allow_zero: bool = False) -> int:
    if not DECIMAL.fullmatch(text):
        raise Rejected(RejectCode.INVALID_AMOUNT, f"{name} must be a non-negative decimal integer string")
    value = int(text)
    if value > UINT256_MAX:
        raise Rejected(RejectCode.INVALID_AMOUNT, f"{name} exceeds uint256")
    if value == 0 and not allow_zero:
        raise Rejected(RejectCode.INVALID_AMOUNT, f"{name} must be positive")
    return value


def _hex(text: str, name: str, length: int | None = None) -> bytes:
    if not HEX.fullmatch(text) or len(text) % 2:
        raise Rejected(RejectCode.MALFORMED, f"{name} must be 0x-prefixed hex")
    raw = bytes.fromhex(text[2:])
    if length is not None and len(raw) != length:
        raise Rejected(RejectCode.MALFORMED, f"{name} must be {length} bytes")
    return raw
