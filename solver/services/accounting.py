"""Accounting: what a settlement outcome means for the books, the intents and the winning solver.

The keeper calls `on_outcome(job, receipt)` once per finished job (receipt None: simulation failed or the
transaction was never mined). A mined transaction is recorded in the auction log; a successful one's logs
are decoded into fills and pool flows, valued and stored as one FillRecord per user fill. Then every
intent moves on: a filled one WON -> SETTLING -> SETTLED when nothing remains, or -> OPEN when a partially
fillable intent has some left; one that was not filled goes WON -> OPEN. Either way EXPIRED instead of
OPEN once valid_to has passed. Last, the winning solver hears the outcome (docs/protocol.md section 5).

Records name two accounts: the winning solver (the job carries it; the chain cannot tell, since the keeper
sends every settle call and the Settled event names the sender) and, as `submitter`, the keeper that sent
the transaction.

A step that fails is reported as an `accounting_failed` event and the others still run: the keeper loop
that calls this must never die of bookkeeping. Writes that lose a race (StaleVersion) re-read and retry.
Logs that cannot be decoded stop it early: nothing is known about what was filled, so the intents stay WON
for an operator rather than being guessed back into auctions.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any

from solver import observe
from solver.api.protocol import SettlementMsg, wire
from solver.domain.accounting import MinedSettlement, exact_units, fill_records, user_fills
from solver.domain.fills import Fill, PoolFlow
from solver.domain.intent import Intent
from solver.domain.lifecycle import IntentRecord, IntentStatus, InvalidTransition
from solver.domain.records import BidStatus, SettlementOutcome, SettlementRecord, StoredIntent
from solver.domain.settlement_job import JobStatus, SettlementJob
from solver.keeper.ports import Receipt
from solver.ports import AuctionLog, FillLog, IntentStore, QuoteBook, StaleVersion, StorageError, UnknownRecord

Decoded = tuple[list[Fill], list[PoolFlow], str]  # fills, pool flows, the account that sent the settle call
Decode = Callable[[Receipt], Decoded]
BlockTime = Callable[[int], Awaitable[float]]  # block number -> its timestamp, unix seconds
Notify = Callable[[str, dict[str, Any]], None]  # solver address, protocol message

_HELD = (IntentStatus.WON, IntentStatus.SETTLING)  # the statuses of an intent a job is carrying


class Accounting:
    def __init__(
        self, intents: IntentStore, auctions: AuctionLog, fills: FillLog, decode: Decode, block_time: BlockTime,
        notify: Notify, *, inventory_accounts: frozenset[str] = frozenset(), quotes: QuoteBook | None = None,
        clock: Callable[[], float] = time.time, retries: int = 5,
    ) -> None:  # fmt: skip
        self._intents, self._auctions, self._fills = intents, auctions, fills
        self._decode, self._block_time, self._notify = decode, block_time, notify
        self._inventory, self._quotes, self._clock, self._retries = inventory_accounts, quotes, clock, retries

    async def on_outcome(self, job: SettlementJob, receipt: Receipt | None) -> None:
        """The keeper's callback: book the outcome, move the job's intents on, tell the winning solver."""
        success = receipt is not None and receipt.status == 1
        try:
            fills, flows, sender = self._decode(receipt) if receipt is not None and success else ([], [], "")
        except Exception as exc:  # unreadable logs: what was filled is unknown, so the intents stay WON
            observe.accounting_failed(job.auction_id, "decode", f"{type(exc).__name__}: {exc}")
            return
        submitter = sender or job.keeper or ""  # who sent the settle call: the Settled event's `solver`
        solver = job.solver or await self._winner(job.auction_id)
        if not solver and submitter:  # a job queued before jobs carried their winner, and no WON bid on record
            observe.accounting_failed(job.auction_id, "winner", "winning solver unknown: recorded as the submitter")
            solver = submitter
        if receipt is not None and solver:
            await self._attempt(job, "settlement", self._record_settlement(job, receipt, solver, submitter))
        if receipt is not None and success and solver:
            await self._attempt(job, "fills", self._record_fills(job, receipt, solver, submitter, fills, flows))
        filled = {f.intent_id: f for f in user_fills(fills, self._inventory)}
        for intent_id in dict.fromkeys((*job.intent_ids, *filled)):
            await self._attempt(job, "intent", self._advance(intent_id, filled.get(intent_id)))
        try:
            message = settlement_message(job, receipt)
        except ValueError as exc:  # a receipt field the protocol cannot carry (pydantic's ValidationError)
            observe.accounting_failed(job.auction_id, "notify", f"{type(exc).__name__}: {exc}")
            return
        observe.settlement_finished(job.auction_id, message.outcome, message.tx_hash, message.gas_used)
        if solver:
            self._notify(solver, wire(message))

    async def _attempt(self, job: SettlementJob, step: str, work: Awaitable[None]) -> None:
        try:
            await work
        except Exception as exc:  # reported, not raised: the caller is the keeper loop
            observe.accounting_failed(job.auction_id, step, f"{type(exc).__name__}: {exc}")

    async def _winner(self, auction_id: int) -> str | None:
        """The solver whose bid won the auction, if the log has it (for jobs that do not carry it)."""
        try:
            bids = await self._auctions.bids(auction_id)
        except StorageError:
            return None
        return next((b.solver for b in bids if b.status is BidStatus.WON), None)

    async def _record_settlement(self, job: SettlementJob, receipt: Receipt, solver: str, submitter: str) -> None:
        outcome = SettlementOutcome.SUCCESS if receipt.status == 1 else SettlementOutcome.REVERTED
        await self._auctions.record_settlement(SettlementRecord(
            _tx_hash(receipt), job.auction_id, solver, receipt.block_number, receipt.gas_used,
            receipt.effective_gas_price, outcome, submitter or None,
        ))  # fmt: skip

    async def _record_fills(
        self, job: SettlementJob, receipt: Receipt, solver: str, submitter: str, fills: Sequence[Fill],
        flows: Sequence[PoolFlow],
    ) -> None:  # fmt: skip
        intents = await self._known_intents(job, user_fills(fills, self._inventory))
        auction = await self._auctions.auction(job.auction_id)
        settlement = MinedSettlement(
            job.auction_id, solver, submitter, _tx_hash(receipt), receipt.block_number,
            await self._block_time(receipt.block_number), receipt.gas_used, receipt.effective_gas_price,
            tuple(fills), tuple(flows),
        )  # fmt: skip
        prices = auction.reference_prices if auction is not None else {}
        for record in fill_records(settlement, intents, prices, await self._quoted(intents), self._inventory):
            await self._fills.add(record)
            observe.fill_recorded(record.intent_id, record.auction_id, record.executed_sell, record.executed_buy,
                                  record.surplus_value)  # fmt: skip

    async def _known_intents(self, job: SettlementJob, fills: Sequence[Fill]) -> dict[bytes, Intent]:
        known = {}
        for fill in fills:
            stored = await self._intents.get(fill.intent_id)
            if stored is None:
                observe.accounting_failed(job.auction_id, "fills", f"fill of unknown intent 0x{fill.intent_id.hex()}")
            else:
                known[fill.intent_id] = stored.record.intent
        return known

    async def _quoted(self, intent_ids: Iterable[bytes]) -> dict[bytes, Fraction]:
        if self._quotes is None:
            return {}
        prices = {i: await self._quotes.quoted_price(i) for i in intent_ids}
        return {i: p for i, p in prices.items() if p is not None}

    async def _advance(self, intent_id: bytes, fill: Fill | None) -> None:
        """Move one intent of the job on. Each write is atomic and `pending` remembers whether the fill
        progress was written, so a retry after StaleVersion never counts it twice."""
        pending = fill  # fill progress still to write
        for _ in range(self._retries):
            stored = await self._intents.get(intent_id)
            if stored is None:
                raise UnknownRecord(f"no intent 0x{intent_id.hex()}")
            try:
                if fill is None:
                    return await self._release(stored)
                if pending is not None and stored.record.status not in _HELD:
                    raise InvalidTransition(f"the intent is {stored.record.status.value}: its fill is not applied")
                if stored.record.status is IntentStatus.WON:
                    stored = await self._intents.set_status(intent_id, IntentStatus.SETTLING, stored.version)
                if pending is not None:
                    executed = exact_units(stored.record.intent, pending)
                    stored = await self._intents.record_fill(intent_id, executed, stored.version)
                    pending = None
                if stored.record.status is IntentStatus.SETTLING:
                    await self._intents.set_status(intent_id, self._after_fill(stored.record), stored.version)
                return None
            except StaleVersion:
                continue
        raise StaleVersion(f"intent 0x{intent_id.hex()} kept changing; gave up after {self._retries} tries")

    async def _release(self, stored: StoredIntent) -> None:
        """Give an intent the job did not fill back to the auctions (or retire it if it expired)."""
        if stored.record.status in _HELD:
            await self._intents.set_status(stored.record.intent_id, self._unfilled(stored.record), stored.version)

    def _after_fill(self, record: IntentRecord) -> IntentStatus:
        return IntentStatus.SETTLED if record.remaining == 0 else self._unfilled(record)

    def _unfilled(self, record: IntentRecord) -> IntentStatus:
        """OPEN while the intent can still settle; EXPIRED once the chain would refuse it (now > valid_to)."""
        return IntentStatus.EXPIRED if self._clock() > record.intent.valid_to else IntentStatus.OPEN


def settlement_message(job: SettlementJob, receipt: Receipt | None) -> SettlementMsg:
    """The protocol's `settlement` message: settled or reverted when mined; without a receipt, reverted
    when the simulation failed, failed when the transaction was dropped or never mined."""
    if receipt is not None:
        settled = receipt.status == 1
        return SettlementMsg(
            auction_id=job.auction_id, outcome="settled" if settled else "reverted", tx_hash=receipt.tx_hash,
            block=receipt.block_number, gas_used=receipt.gas_used, reason=None if settled else job.reason or "reverted",
        )  # fmt: skip
    outcome = "reverted" if job.status is JobStatus.REVERTED else "failed"
    return SettlementMsg(auction_id=job.auction_id, outcome=outcome, reason=job.reason or job.status.value)


def _tx_hash(receipt: Receipt) -> bytes:
    return bytes.fromhex(receipt.tx_hash.removeprefix("0x"))
