"""Intake: check an intent completely, store it durably, then answer. Reads and cancels.

Order of work for a new intent: stateless checks (chain, domain, tokens, deadline, EOA signature), then the
quote it cites if any (it exists, has not expired, same tokens and kind), then the owner's balance,
allowance and nonce at the head block (coalesced batches), then the durable insert, which admits the
intent only if the owner can pay it together with all its live intents in that sell token and has room
for one more live intent (`solver.domain.commitments`: checked by the store atomically with the insert),
and answers the stored intent if it is a repeat. The same intent again answers its id and current status
(if a check fails, a lookup decides whether it is a repeat, which also answers so whatever the chain or
its quote says now), except a cancelled one, which is refused (INTENT_CANCELLED: its nonce stays taken,
so the wallet must sign a new intent with another nonce). Last, the cited quote's price goes into the
QuoteBook. Nothing is stored unless every check passed. The quoted price is written after the intent: a
crash between the two leaves an accepted intent without a quoted price (its fills report no slippage),
never a quoted price for an intent that was refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from solver import observe
from solver.domain.batch import SigningScheme
from solver.domain.commitments import Budget
from solver.domain.intake import (
    IntakePolicy,
    OwnerState,
    RejectCode,
    Rejected,
    check_funding,
    check_intent,
)
from solver.domain.intent import Intent, cancel_digest
from solver.domain.lifecycle import TRANSITIONS, IntentRecord, IntentStatus, InvalidTransition, ReportedStatus
from solver.domain.records import StoredIntent
from solver.domain.signature import InvalidSignature, recover_signer
from solver.ports import Conflict, IntentStore, StaleVersion

MAX_LIVE_INTENTS = 1_000  # live intents per owner, all tokens (Settings.max_live_intents)
CANCEL_TRIES = 5  # a cancel re-reads and retries when a round moved the intent meanwhile


class OwnerStates(Protocol):
    async def state(self, owner: str, token: str, nonce: int) -> OwnerState: ...


class Eip1271Verifier(Protocol):
    async def is_valid(self, wallet: str, digest: bytes, signature: bytes) -> bool: ...


class QuoteCitation(Protocol):
    """The quote an intent cites (`quoteId`, not part of the signed intent)."""

    async def check(self, intent: Intent, now: float) -> None:
        """Rejected unless the intent may cite the quote."""
        ...

    async def record(self, intent_id: bytes) -> None:
        """Remember the quote's price as the stored intent's quoted price."""
        ...


@dataclass(frozen=True, slots=True)
class Accepted:
    intent_id: bytes
    created: bool  # False: the same intent was already accepted (idempotent repeat)
    status: ReportedStatus  # as reads report it now (OPEN when just created)

    @classmethod
    def repeat(cls, stored: StoredIntent) -> Accepted:
        """The answer to the same intent again: its id and status, unless it was cancelled."""
        record = stored.record
        if record.status is IntentStatus.CANCELLED:
            raise Rejected(
                RejectCode.INTENT_CANCELLED,
                f"intent 0x{record.intent_id.hex()} was cancelled and stays so; to trade again, sign a new intent "
                f"with another nonce (nonce {record.intent.nonce} stays taken)",
            )
        return cls(record.intent_id, False, record.reported_status)


class IntakeService:
    def __init__(
        self,
        store: IntentStore,
        owner_states: OwnerStates,
        policy: IntakePolicy,
        eip1271: Eip1271Verifier | None = None,
        clock: Callable[[], float] = time.time,
        max_live: int = MAX_LIVE_INTENTS,
    ) -> None:
        self._store, self._states, self._policy, self._eip1271, self._clock = (
            store, owner_states, policy, eip1271, clock,
        )  # fmt: skip
        self._max_live = max_live

    async def submit(
        self, intent: Intent, signature: bytes, scheme: SigningScheme, chain_id: int, settlement: str,
        quote: QuoteCitation | None = None,
    ) -> Accepted:  # fmt: skip
        started = time.perf_counter()
        try:
            accepted = await self._submit(intent, signature, scheme, chain_id, settlement, quote)
        except Rejected as exc:
            observe.intent_rejected(exc.code.value, exc.reason)
            raise
        if accepted.created:
            observe.intent_accepted(accepted.intent_id, intent.owner, time.perf_counter() - started)
        return accepted

    async def _submit(
        self, intent: Intent, signature: bytes, scheme: SigningScheme, chain_id: int, settlement: str,
        quote: QuoteCitation | None,
    ) -> Accepted:  # fmt: skip
        now = self._clock()
        intent_id = check_intent(intent, signature, scheme, chain_id, settlement, int(now), self._policy)
        try:
            return await self._check_and_store(intent, intent_id, signature, scheme, quote, now)
        except Rejected:
            # The same intent again answers its id whatever the chain or its quote says now. Looked up only
            # when a check fails: on the usual path the insert itself finds a repeat, which saves a
            # database round trip per intent.
            stored = await self._store.get(intent_id)
            if stored is not None:
                return Accepted.repeat(stored)
            raise

    async def _check_and_store(
        self, intent: Intent, intent_id: bytes, signature: bytes, scheme: SigningScheme, quote: QuoteCitation | None,
        now: float,
    ) -> Accepted:  # fmt: skip
        if quote is not None:
            await quote.check(intent, now)
        if scheme is SigningScheme.EIP1271:
            await self._check_eip1271(intent, intent_id, signature)
        state = await self._states.state(intent.owner, intent.sell_token, intent.nonce)
        check_funding(intent, state)
        record = IntentRecord(intent_id, intent, signature, scheme, IntentStatus.OPEN, filled=0, accepted_at=now)
        budget = Budget(state.balance, state.allowance, self._max_live, int(now))
        try:
            stored = await self._store.add(record, budget)
        except Conflict as exc:
            raise Rejected(RejectCode.CONFLICT, f"another intent of {intent.owner} uses nonce {intent.nonce}") from exc
        if stored.record is not record:  # the store answered the intent it already held (IntentStore.add)
            return Accepted.repeat(stored)
        if quote is not None:
            await quote.record(intent_id)
        return Accepted(intent_id, True, ReportedStatus.OPEN)

    async def get(self, intent_id: bytes) -> StoredIntent:
        stored = await self._store.get(intent_id)
        if stored is None:
            raise Rejected(RejectCode.NOT_FOUND, f"no intent 0x{intent_id.hex()}")
        return stored

    async def by_owner(self, owner: str) -> list[StoredIntent]:
        return await self._store.by_owner(owner)

    async def cancel(self, intent_id: bytes, signature: bytes) -> StoredIntent:
        """Cancel off-chain: the owner's EIP-712 CancelIntent signature stops further auctions of the intent.
        A round that moves the intent between the read and the write (StaleVersion) makes it read again."""
        stored = await self.get(intent_id)
        intent = stored.record.intent
        digest = cancel_digest(self._policy.domain, intent_id)
        if stored.record.scheme is SigningScheme.EIP1271:
            await self._check_eip1271(intent, digest, signature)
        else:
            try:
                signer = recover_signer(digest, signature)
            except InvalidSignature as exc:
                raise Rejected(RejectCode.INVALID_SIGNATURE, str(exc)) from exc
            if signer != intent.owner:
                raise Rejected(RejectCode.INVALID_SIGNATURE, "only the intent's owner can cancel it")
        for _ in range(CANCEL_TRIES - 1):
            try:
                return await self._cancel(stored)
            except StaleVersion:
                stored = await self.get(intent_id)
        return await self._cancel(stored)

    async def _cancel(self, stored: StoredIntent) -> StoredIntent:
        status = stored.record.status
        if IntentStatus.CANCELLED not in TRANSITIONS[status]:
            raise Rejected(RejectCode.NOT_CANCELLABLE, f"the intent is {stored.record.reported_status.value}")
        try:
            return await self._store.set_status(stored.record.intent_id, IntentStatus.CANCELLED, stored.version)
        except InvalidTransition as exc:  # cannot happen at a current version; kept as a refusal, not a 500
            raise Rejected(RejectCode.NOT_CANCELLABLE, f"the intent is {status.value}") from exc

    async def _check_eip1271(self, intent: Intent, intent_id: bytes, signature: bytes) -> None:
        if self._eip1271 is None or not await self._eip1271.is_valid(intent.owner, intent_id, signature):
            raise Rejected(RejectCode.INVALID_SIGNATURE, "the owner contract does not accept this signature (EIP-1271)")
