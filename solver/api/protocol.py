"""The solvers' WebSocket protocol, version 1 (docs/protocol.md): message DTOs and domain conversion.

Every message is a JSON object with a `type`. Amounts, prices and scores are decimal strings; addresses,
ids, calldata and signatures 0x hex. `docs/schemas/` holds the JSON Schemas generated from these models
(`scripts/export_schemas.py`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from solver.domain.auction import DEFAULT_MAX_PRICE_DEVIATION_BPS, Auction, Fulfillment, Order, Solution, TokenInfo
from solver.domain.batch import Interaction, SigningScheme, Trade
from solver.domain.intent import Intent, IntentKind
from solver.domain.liquidity import Pool
from solver.domain.liquidity.concentrated import ConcentratedLiquidityPool
from solver.domain.liquidity.constant_product import ConstantProductPool
from solver.domain.liquidity.v3_math import V3MathError
from solver.domain.primitives import ZERO_ADDRESS

from .dto import _amount, _hex

VERSION = 1
V2_FEE_PIPS = 3000  # the only fee ConstantProductPool quotes (0.3 %)
Uint = Annotated[str, Field(pattern=r"^[0-9]{1,78}$", description="decimal string of a uint256")]
Hex = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]*$")]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def wire(msg: Message) -> dict[str, Any]:
    """The message as it goes on the wire: JSON field names, absent fields left out. Everything the venue sends
    is built as one of these models and dumped here, so the published schema and the wire cannot drift."""
    return msg.model_dump(by_alias=True, exclude_none=True, mode="json")


# ---- venue -> solver -------------------------------------------------------------------------------


class ChallengeMsg(Message):
    type: Literal["challenge"] = "challenge"
    version: int = VERSION
    challenge: Hex
    chain_id: int = Field(alias="chainId")
    expires_at: float = Field(alias="expiresAt")


class AuthenticatedMsg(Message):
    type: Literal["authenticated"] = "authenticated"
    solver: str
    session: str


class RejectedMsg(Message):
    type: Literal["rejected"] = "rejected"
    code: str
    reason: str


class TokenDto(Message):
    symbol: str
    decimals: int
    reference_price: Uint = Field(alias="referencePrice")

    def to_domain(self, address: str) -> TokenInfo:
        return TokenInfo(address, self.symbol, self.decimals, int(self.reference_price))


class OrderDto(Message):
    id: Hex
    owner: str
    sell_token: str = Field(alias="sellToken")
    buy_token: str = Field(alias="buyToken")
    receiver: str
    sell_amount: Uint = Field(alias="sellAmount")
    buy_amount: Uint = Field(alias="buyAmount")
    valid_to: int = Field(alias="validTo")
    nonce: Uint
    kind: Literal["sell", "buy"]
    partially_fillable: bool = Field(alias="partiallyFillable")
    app_data: Hex = Field(alias="appData")
    remaining: Uint
    signing_scheme: Literal["eip712", "eip1271"] = Field(alias="signingScheme")
    signature: Hex

    @classmethod
    def from_domain(cls, order: Order) -> OrderDto:
        i = order.intent
        return cls(
            id="0x" + order.intent_id.hex(), remaining=str(order.remaining),
            **_intent_fields(i, order.scheme, order.signature),
        )

    def to_domain(self) -> Order:
        """The auction order; raises ValueError (DomainError) on values the venue would never send."""
        intent, scheme = _signed_intent(self)
        return Order(_hex(self.id, "id", 32), intent, _hex(self.signature, "signature"), scheme, int(self.remaining))


class ConstantProductDto(Message):
    kind: Literal["constantProduct"] = "constantProduct"
    address: str
    tokens: tuple[str, str]
    reserves: tuple[Uint, Uint]
    fee: int = V2_FEE_PIPS

    def to_domain(self) -> ConstantProductPool:
        if self.fee != V2_FEE_PIPS:
            raise ValueError(f"pair {self.address}: only the 0.3 % V2 fee is quoted, not {self.fee} pips")
        return ConstantProductPool(
            self.address, self.tokens[0], self.tokens[1], int(self.reserves[0]), int(self.reserves[1])
        )


class ConcentratedLiquidityDto(Message):
    kind: Literal["concentratedLiquidity"] = "concentratedLiquidity"
    address: str
    tokens: tuple[str, str]
    fee: int
    tick_spacing: int = Field(alias="tickSpacing")
    sqrt_price_x96: Uint = Field(alias="sqrtPriceX96")
    liquidity: Uint
    tick: int
    liquidity_net: dict[str, str] = Field(
        alias="liquidityNet", description="every initialized tick (in bitmapWords) -> signed decimal liquidityNet"
    )
    bitmap_words: tuple[int, int] | None = Field(
        default=None, alias="bitmapWords",
        description="inclusive tick-bitmap wordPos window the venue's snapshot read; null: the whole tick range. "
        "A swap that walks out of it cannot be quoted (the venue does not quote it either).",
    )  # fmt: skip

    def to_domain(self) -> ConcentratedLiquidityPool:
        """The pool as the venue snapshotted it: the same ticks, bitmap (rebuilt from the initialized ticks,
        zero liquidityNet included), slot0 tick and word window, so every quote equals the venue's."""
        ticks = {int(t): int(n) for t, n in self.liquidity_net.items()}
        try:
            pool = ConcentratedLiquidityPool.from_ticks(
                self.address, self.tokens[0], self.tokens[1], self.fee, self.tick_spacing, int(self.sqrt_price_x96),
                int(self.liquidity), ticks, tick=self.tick,
            )  # fmt: skip
        except V3MathError as exc:  # a tick off the spacing
            raise ValueError(f"pool {self.address}: {exc}") from exc
        return pool if self.bitmap_words is None else replace(pool, bitmap_words=self.bitmap_words)


LiquidityDto = Annotated[ConstantProductDto | ConcentratedLiquidityDto, Field(discriminator="kind")]


def liquidity_dto(pool: Pool) -> ConstantProductDto | ConcentratedLiquidityDto:
    if isinstance(pool, ConstantProductPool):
        return ConstantProductDto(
            address=pool.address, tokens=(pool.token0, pool.token1), reserves=(str(pool.reserve0), str(pool.reserve1))
        )
    if isinstance(pool, ConcentratedLiquidityPool):
        return ConcentratedLiquidityDto(
            address=pool.address, tokens=(pool.token0, pool.token1), fee=pool.fee, tick_spacing=pool.tick_spacing,
            sqrt_price_x96=str(pool.sqrt_price_x96), liquidity=str(pool.liquidity), tick=pool.tick,
            liquidity_net={str(t): str(n) for t, n in sorted(pool.ticks.items())}, bitmap_words=pool.bitmap_words,
        )  # fmt: skip
    raise TypeError(f"no wire format for {type(pool).__name__}")


class AuctionDto(Message):
    id: int
    block: int
    deadline: float
    numeraire: str = "1e-36 USD"
    tokens: dict[str, TokenDto]
    orders: list[OrderDto]
    liquidity: list[LiquidityDto]
    max_price_deviation_bps: int = Field(
        default=DEFAULT_MAX_PRICE_DEVIATION_BPS, alias="maxPriceDeviationBps", ge=0,
        description="a bid is discarded (price_out_of_bounds) if any trade's clearing rate p_sell / p_buy differs "
        "from the reference rate referencePrice(sell) / referencePrice(buy) by more than this many basis points",
    )  # fmt: skip

    @classmethod
    def from_domain(cls, auction: Auction) -> AuctionDto:
        return cls(
            id=auction.auction_id, block=auction.block_number, deadline=auction.deadline,
            max_price_deviation_bps=auction.max_price_deviation_bps,
            tokens={a: TokenDto(symbol=t.symbol, decimals=t.decimals, reference_price=str(t.reference_price))
                    for a, t in auction.tokens.items()},
            orders=[OrderDto.from_domain(o) for o in auction.orders],
            liquidity=[liquidity_dto(p) for p in auction.pools],
        )  # fmt: skip

    def to_domain(self) -> Auction:
        """The auction as the venue built it (raises ValueError on content no venue sends)."""
        return Auction(
            auction_id=self.id, block_number=self.block, deadline=self.deadline,
            orders=tuple(o.to_domain() for o in self.orders),
            tokens={a: t.to_domain(a) for a, t in self.tokens.items()},
            pools=tuple(p.to_domain() for p in self.liquidity), max_price_deviation_bps=self.max_price_deviation_bps,
        )  # fmt: skip


class AuctionMsg(Message):
    type: Literal["auction"] = "auction"
    auction: AuctionDto


class AckMsg(Message):
    type: Literal["ack"] = "ack"
    auction_id: int = Field(alias="auctionId")
    bid_id: str = Field(alias="bidId")


class BidRejectedMsg(Message):
    type: Literal["bid_rejected"] = "bid_rejected"
    auction_id: int | None = Field(default=None, alias="auctionId")
    code: str
    reason: str


SEQ = (
    "the solver's notice number (1, 2, ... on every result and settlement sent to it): a resumed session "
    "replays, in order and once each, the notices numbered above the last one written to it"
)


class ResultMsg(Message):
    type: Literal["result"] = "result"
    auction_id: int = Field(alias="auctionId")
    outcome: Literal["won", "lost", "discarded"]
    score: Uint | None = None
    winning_score: Uint | None = Field(default=None, alias="winningScore")
    code: str | None = None
    reason: str | None = None
    seq: int | None = Field(default=None, ge=1, description=SEQ)  # set by the hub as it sends the notice


class SettlementMsg(Message):
    type: Literal["settlement"] = "settlement"
    auction_id: int = Field(alias="auctionId")
    outcome: Literal["settled", "reverted", "failed"]
    tx_hash: Hex | None = Field(default=None, alias="txHash")
    block: int | None = None
    gas_used: int | None = Field(default=None, alias="gasUsed")
    reason: str | None = None
    seq: int | None = Field(default=None, ge=1, description=SEQ)  # set by the hub as it sends the notice


class PingMsg(Message):
    type: Literal["ping"] = "ping"
    t: float


# ---- solver -> venue -------------------------------------------------------------------------------


class AuthenticateMsg(Message):
    type: Literal["authenticate"]
    address: str
    signature: Hex
    resume: str | None = None


class FulfillmentDto(Message):
    id: Hex
    executed_amount: Uint = Field(alias="executedAmount")
    sell_to: str = Field(
        default=ZERO_ADDRESS, alias="sellTo",
        description="where the owner's sell amount goes: the zero address (the settlement) or a pool of the auction",
    )  # fmt: skip

    def to_domain(self) -> Fulfillment:
        return Fulfillment(_hex(self.id, "id", 32), int(self.executed_amount), self.sell_to)


class InteractionDto(Message):
    target: str
    value: Uint = "0"
    call_data: Hex = Field(alias="callData")

    @classmethod
    def from_domain(cls, interaction: Interaction) -> InteractionDto:
        return cls(
            target=interaction.target, value=str(interaction.value), call_data="0x" + interaction.call_data.hex()
        )

    def to_domain(self) -> Interaction:
        return Interaction(self.target, _hex(self.call_data, "callData"), int(self.value))


class InteractionsDto(Message):
    pre: list[InteractionDto] = []
    intra: list[InteractionDto] = []
    post: list[InteractionDto] = []


class InventoryTradeDto(Message):
    owner: str
    sell_token: str = Field(alias="sellToken")
    buy_token: str = Field(alias="buyToken")
    receiver: str = ZERO_ADDRESS
    sell_amount: Uint = Field(alias="sellAmount")
    buy_amount: Uint = Field(alias="buyAmount")
    valid_to: int = Field(alias="validTo")
    nonce: Uint
    kind: Literal["sell", "buy"]
    partially_fillable: bool = Field(default=False, alias="partiallyFillable")
    app_data: Hex = Field(default="0x" + "00" * 32, alias="appData")
    signing_scheme: Literal["eip712", "eip1271"] = Field(default="eip712", alias="signingScheme")
    signature: Hex
    executed_amount: Uint = Field(alias="executedAmount")
    sell_to: str = Field(default=ZERO_ADDRESS, alias="sellTo")

    @classmethod
    def from_domain(cls, trade: Trade) -> InventoryTradeDto:
        i = trade.intent
        return cls(
            executed_amount=str(trade.executed_amount), sell_to=trade.sell_to,
            **_intent_fields(i, trade.scheme, trade.signature),
        )

    def to_domain(self) -> Trade:
        intent, scheme = _signed_intent(self)
        return Trade(intent, _hex(self.signature, "signature"), int(self.executed_amount), scheme, self.sell_to)


class SolutionDto(Message):
    prices: dict[str, Uint]
    fulfillments: list[FulfillmentDto]
    inventory_trades: list[InventoryTradeDto] = Field(default=[], alias="inventoryTrades")
    interactions: InteractionsDto = InteractionsDto()
    claimed_score: Uint | None = Field(
        default=None, alias="claimedScore",
        description="what the solver says its solution scores (numeraire units): recorded with the bid and shown "
        "in the auction's record, never used to rank it",
    )  # fmt: skip

    @classmethod
    def from_domain(cls, solution: Solution) -> SolutionDto:
        """The bid of `solution` (its auction id and solver travel outside: BidMsg and the login)."""
        return cls(
            prices={t: str(p) for t, p in solution.prices.items()},
            fulfillments=[
                FulfillmentDto(id="0x" + f.intent_id.hex(), executed_amount=str(f.executed_amount), sell_to=f.sell_to)
                for f in solution.fulfillments
            ],
            inventory_trades=[InventoryTradeDto.from_domain(t) for t in solution.inventory_trades],
            interactions=InteractionsDto(
                pre=[InteractionDto.from_domain(i) for i in solution.pre_interactions],
                intra=[InteractionDto.from_domain(i) for i in solution.interactions],
                post=[InteractionDto.from_domain(i) for i in solution.post_interactions],
            ),
            claimed_score=None if solution.claimed_score is None else str(solution.claimed_score),
        )

    def to_domain(self, auction_id: int, solver: str) -> Solution:
        """The domain bid; raises ValueError (DomainError) on a claimed score beyond uint256."""
        claimed = None if self.claimed_score is None else _amount(self.claimed_score, "claimedScore", allow_zero=True)
        return Solution(
            auction_id=auction_id, solver=solver, prices={t: int(p) for t, p in self.prices.items()},
            fulfillments=tuple(f.to_domain() for f in self.fulfillments),
            inventory_trades=tuple(t.to_domain() for t in self.inventory_trades),
            pre_interactions=tuple(i.to_domain() for i in self.interactions.pre),
            interactions=tuple(i.to_domain() for i in self.interactions.intra),
            post_interactions=tuple(i.to_domain() for i in self.interactions.post), claimed_score=claimed,
        )  # fmt: skip


def bid_to_json(solution: Solution) -> bytes:
    """A taken bid as the shared bid book stores it: the wire solution with its auction id and solver."""
    body = SolutionDto.from_domain(solution).model_dump(by_alias=True, mode="json", exclude_none=True)
    return json.dumps({"auctionId": solution.auction_id, "solver": solution.solver, "solution": body}).encode()


def bid_from_json(raw: bytes) -> Solution:
    stored = json.loads(raw)
    return SolutionDto.model_validate(stored["solution"]).to_domain(stored["auctionId"], stored["solver"])


class BidMsg(Message):
    type: Literal["bid"]
    auction_id: int = Field(alias="auctionId")
    solution: SolutionDto


class PongMsg(Message):
    type: Literal["pong"]
    t: float


SolverMessage = TypeAdapter(Annotated[AuthenticateMsg | BidMsg | PongMsg, Field(discriminator="type")])
VenueMessage = (
    ChallengeMsg | AuthenticatedMsg | RejectedMsg | AuctionMsg | AckMsg | BidRejectedMsg | ResultMsg | SettlementMsg
    | PingMsg
)  # fmt: skip


class _SignedIntentDto(Protocol):
    owner: str
    sell_token: str
    buy_token: str
    receiver: str
    sell_amount: str
    buy_amount: str
    valid_to: int
    nonce: str
    kind: Literal["sell", "buy"]
    partially_fillable: bool
    app_data: str
    signing_scheme: Literal["eip712", "eip1271"]
    signature: str


def _signed_intent(dto: _SignedIntentDto) -> tuple[Intent, SigningScheme]:
    """The intent and signing scheme an order or inventory-trade DTO carries (same fields in both)."""
    intent = Intent(
        owner=dto.owner, sell_token=dto.sell_token, buy_token=dto.buy_token, receiver=dto.receiver,
        sell_amount=_amount(dto.sell_amount, "sellAmount"), buy_amount=_amount(dto.buy_amount, "buyAmount"),
        valid_to=dto.valid_to, nonce=int(dto.nonce), kind=IntentKind.BUY if dto.kind == "buy" else IntentKind.SELL,
        partially_fillable=dto.partially_fillable, app_data=_hex(dto.app_data, "appData", 32),
    )  # fmt: skip
    return intent, SigningScheme.EIP1271 if dto.signing_scheme == "eip1271" else SigningScheme.EIP712


def _intent_fields(i: Intent, scheme: SigningScheme, signature: bytes) -> dict[str, Any]:
    """The wire fields of a signed intent, by field name (the inverse of `_signed_intent`)."""
    return {
        "owner": i.owner, "sell_token": i.sell_token, "buy_token": i.buy_token, "receiver": i.receiver,
        "sell_amount": str(i.sell_amount), "buy_amount": str(i.buy_amount), "valid_to": i.valid_to,
        "nonce": str(i.nonce), "kind": "buy" if i.kind is IntentKind.BUY else "sell",
        "partially_fillable": i.partially_fillable, "app_data": "0x" + i.app_data.hex(),
        "signing_scheme": "eip1271" if scheme is SigningScheme.EIP1271 else "eip712",
        "signature": "0x" + signature.hex(),
    }  # fmt: skip
