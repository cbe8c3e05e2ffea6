"""Mapping between domain records and table rows (column name -> value dicts); no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from sqlalchemy import RowMapping

from solver.domain.batch import SigningScheme
from solver.domain.fills import Attribution
from solver.domain.intent import Intent, IntentKind
from solver.domain.lifecycle import IntentRecord, IntentStatus
from solver.domain.records import (
    AuctionRecord,
    BidRecord,
    BidStatus,
    FillRecord,
    SettlementOutcome,
    SettlementRecord,
    StoredIntent,
)
from solver.domain.settlement_job import JobStatus, SentTransaction, SettlementJob

Row = RowMapping

_INTENT_FIELDS = (
    "owner", "sell_token", "buy_token", "receiver", "sell_amount", "buy_amount", "valid_to", "nonce",
    "partially_fillable", "app_data",
)  # fmt: skip


def intent_row(stored: StoredIntent) -> dict[str, Any]:
    record, intent = stored.record, stored.record.intent
    return {
        "intent_id": record.intent_id,
        **{name: getattr(intent, name) for name in _INTENT_FIELDS},
        "kind": int(intent.kind),
        "signature": record.signature,
        "scheme": int(record.scheme),
        "status": record.status.value,
        "filled": record.filled,
        "accepted_at": record.accepted_at,
        "version": stored.version,
    }


def stored_intent(row: Row) -> StoredIntent:
    intent = Intent(**{name: row[name] for name in _INTENT_FIELDS}, kind=IntentKind(row["kind"]))
    record = IntentRecord(
        intent_id=row["intent_id"],
        intent=intent,
        signature=row["signature"],
        scheme=SigningScheme(row["scheme"]),
        status=IntentStatus(row["status"]),
        filled=row["filled"],
        accepted_at=row["accepted_at"],
    )
    return StoredIntent(record, row["version"])


_FILL_FIELDS = (
    "tx_hash", "intent_id", "auction_id", "solver", "block_number", "owner", "sell_token", "buy_token",
    "executed_sell", "executed_buy", "surplus", "surplus_value", "volume_value", "gas_used", "gas_cost",
    "settled_at", "submitter",
)  # fmt: skip
_PRICES = ("clearing_price", "limit_price", "reference_price")
_RATIOS = (*_PRICES, "slippage_bps")


def fill_row(fill: FillRecord) -> dict[str, Any]:
    row = {name: getattr(fill, name) for name in _FILL_FIELDS}
    for name in _RATIOS:
        ratio: Fraction | None = getattr(fill, name)
        row[f"{name}_num"] = None if ratio is None else ratio.numerator
        row[f"{name}_den"] = None if ratio is None else ratio.denominator
    row |= {"kind": int(fill.kind), "cow_volume": fill.attribution.cow}
    row["inventory_volume"] = fill.attribution.inventory
    return row


def pool_rows(fill: FillRecord) -> list[dict[str, Any]]:
    key = {"tx_hash": fill.tx_hash, "intent_id": fill.intent_id}
    return [{**key, "pool": pool, "amount": units} for pool, units in fill.attribution.amm.items()]


def fill_record(row: Row, pools: Mapping[str, int]) -> FillRecord:
    prices = {name: Fraction(row[f"{name}_num"], row[f"{name}_den"]) for name in _PRICES}
    slippage = None if row["slippage_bps_num"] is None else Fraction(row["slippage_bps_num"], row["slippage_bps_den"])
    attribution = Attribution(cow=row["cow_volume"], inventory=row["inventory_volume"], amm=dict(pools))
    fields: dict[str, Any] = {name: row[name] for name in _FILL_FIELDS} | prices
    return FillRecord(**fields, slippage_bps=slippage, kind=IntentKind(row["kind"]), attribution=attribution)


def auction_row(auction: AuctionRecord) -> dict[str, Any]:
    return {"auction_id": auction.auction_id, "block_number": auction.block_number, "deadline": auction.deadline}


def order_rows(auction: AuctionRecord) -> list[dict[str, Any]]:
    return [
        {"auction_id": auction.auction_id, "position": i, "intent_id": intent_id}
        for i, intent_id in enumerate(auction.intent_ids)
    ]


def price_rows(auction: AuctionRecord) -> list[dict[str, Any]]:
    return [
        {"auction_id": auction.auction_id, "token": token, "price": price}
        for token, price in auction.reference_prices.items()
    ]


def auction_record(row: Row, intent_ids: list[bytes], prices: Mapping[str, int]) -> AuctionRecord:
    return AuctionRecord(row["auction_id"], row["block_number"], row["deadline"], tuple(intent_ids), dict(prices))


_BID_FIELDS = ("auction_id", "solver", "score", "claimed_score", "reason_code", "reason")


def bid_row(bid: BidRecord) -> dict[str, Any]:
    return {**{name: getattr(bid, name) for name in _BID_FIELDS}, "status": bid.status.value}


def bid_record(row: Row) -> BidRecord:
    return BidRecord(**{name: row[name] for name in _BID_FIELDS}, status=BidStatus(row["status"]))


_SETTLEMENT_FIELDS = (
    "tx_hash", "auction_id", "solver", "block_number", "gas_used", "effective_gas_price", "submitter",
)  # fmt: skip


def settlement_row(settlement: SettlementRecord) -> dict[str, Any]:
    return {**{name: getattr(settlement, name) for name in _SETTLEMENT_FIELDS}, "outcome": settlement.outcome.value}


def settlement_record(row: Row) -> SettlementRecord:
    fields = {name: row[name] for name in _SETTLEMENT_FIELDS}
    return SettlementRecord(**fields, outcome=SettlementOutcome(row["outcome"]))


_JOB_FIELDS = (
    "auction_id", "calldata", "intent_ids", "deadline_block", "keeper", "nonce", "reason", "version", "solver",
)  # fmt: skip
_TX_FIELDS = ("raw", "gas_limit", "max_fee_per_gas", "max_priority_fee_per_gas")


def job_row(job: SettlementJob) -> dict[str, Any]:
    return {**{name: getattr(job, name) for name in _JOB_FIELDS}, "status": job.status.value}


def sent_rows(job: SettlementJob, start: int = 0) -> list[dict[str, Any]]:
    """Rows of `job.sent[start:]`, at their positions in the job."""
    return [
        {
            "auction_id": job.auction_id,
            "position": position,
            "tx_hash": bytes.fromhex(tx.tx_hash.removeprefix("0x")),
            **{name: getattr(tx, name) for name in _TX_FIELDS},
        }
        for position, tx in enumerate(job.sent[start:], start)
    ]


def sent_transaction(row: Row) -> SentTransaction:
    return SentTransaction(tx_hash="0x" + row["tx_hash"].hex(), **{name: row[name] for name in _TX_FIELDS})


def settlement_job(row: Row, sent: list[Row]) -> SettlementJob:
    """The job in `row` with its sent transactions `sent`, ordered by position."""
    fields: dict[str, Any] = {name: row[name] for name in _JOB_FIELDS}
    return SettlementJob(**fields, status=JobStatus(row["status"]), sent=tuple(sent_transaction(r) for r in sent))
