"""JSON shapes of a quote request and its answer. Amounts are decimal strings of base units."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from solver.domain.intent import IntentKind
from solver.domain.primitives import address
from solver.domain.quoting import BPS, IssuedQuote, Quote, QuoteRequest

from .dto import _amount
from .formats import ADDRESS, DECIMAL, address_of, documented


class QuoteBody(BaseModel):
    """What a wallet asks before signing: `amount` is the exact side (sell amount or buy amount)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    sell_token: str = Field(alias="sellToken", description="0x address", json_schema_extra=documented(ADDRESS))
    buy_token: str = Field(alias="buyToken", description="0x address", json_schema_extra=documented(ADDRESS))
    kind: Literal["sell", "buy"]
    amount: str = Field(
        description="decimal string (1 to 2**256-1), base units of the exact side",
        json_schema_extra=documented(DECIMAL),
    )
    slippage_bps: int = Field(
        default=50, alias="slippageBps", description="room for the suggested limit, in basis points",
        json_schema_extra={"minimum": 0, "maximum": BPS - 1},
    )  # fmt: skip

    def to_domain(self) -> QuoteRequest:
        sell, buy = address_of(self.sell_token, "sellToken"), address_of(self.buy_token, "buyToken")
        kind = IntentKind.BUY if self.kind == "buy" else IntentKind.SELL
        return QuoteRequest(sell, buy, kind, _amount(self.amount, "amount"), self.slippage_bps)


class HopView(BaseModel):
    pool: str
    token_in: str = Field(serialization_alias="tokenIn")
    token_out: str = Field(serialization_alias="tokenOut")
    amount_in: str = Field(serialization_alias="amountIn")
    amount_out: str = Field(serialization_alias="amountOut")


class LimitView(BaseModel):
    """The amounts to sign: the expected amounts with the requested slippage, rounded against the user."""

    sell_amount: str = Field(serialization_alias="sellAmount")
    buy_amount: str = Field(serialization_alias="buyAmount")


class QuoteView(BaseModel):
    quote_id: str = Field(serialization_alias="quoteId", description="cite it as the intent's quoteId")
    expires_at: float = Field(serialization_alias="expiresAt", description="unix seconds: citable until then")
    sell_amount: str = Field(serialization_alias="sellAmount", description="expected")
    buy_amount: str = Field(serialization_alias="buyAmount", description="expected")
    route: list[HopView]
    suggested_limit: LimitView = Field(serialization_alias="suggestedLimit")
    block: int = Field(description="the block whose pool state the quote is priced on")

    @classmethod
    def from_domain(cls, q: Quote, issued: IssuedQuote) -> QuoteView:
        r = q.route
        hops = [
            HopView(pool=address(pool.address), token_in=address(r.tokens[i]), token_out=address(r.tokens[i + 1]),
                    amount_in=str(r.amounts[i]), amount_out=str(r.amounts[i + 1]))
            for i, pool in enumerate(r.pools)
        ]  # fmt: skip
        return cls(
            quote_id="0x" + issued.quote_id.hex(), expires_at=issued.expires_at, sell_amount=str(q.sell_amount),
            buy_amount=str(q.buy_amount), route=hops,
            suggested_limit=LimitView(sell_amount=str(q.limit_sell), buy_amount=str(q.limit_buy)), block=q.block,
        )  # fmt: skip
