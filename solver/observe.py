"""Observability as named events: each function writes one structured log line and updates the metrics.

Log lines are JSON objects with an `event` name (`intent_accepted`, `bid_scored`, ...); metrics live in one
Prometheus registry that /metrics serves. Nothing here logs secrets: events take ids and codes, never keys
or signatures.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

log = logging.getLogger("venue")
REGISTRY = CollectorRegistry()

INTENTS_ACCEPTED = Counter("venue_intents_accepted_total", "Intents accepted", registry=REGISTRY)
INTENTS_REJECTED = Counter("venue_intents_rejected_total", "Intents refused, by code", ["code"], registry=REGISTRY)
ACCEPT_SECONDS = Histogram(
    "venue_intent_accept_seconds", "Time from request to durable accept", registry=REGISTRY,
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0),
)  # fmt: skip
OUTAGES = Counter("venue_outages_total", "Requests answered 503, by code", ["code"], registry=REGISTRY)
RATE_LIMIT_FALLBACKS = Counter(
    "venue_rate_limit_fallbacks_total",
    "Rate-limit decisions made locally because Redis failed",
    ["bucket", "error"],
    registry=REGISTRY,
)
AUCTIONS = Counter("venue_auctions_total", "Auctions broadcast", registry=REGISTRY)
BIDS = Counter("venue_bids_total", "Bids by outcome", ["outcome"], registry=REGISTRY)
SETTLEMENTS = Counter("venue_settlements_total", "Settlements by outcome", ["outcome"], registry=REGISTRY)
FILLS = Counter("venue_fills_total", "User fills recorded by accounting", registry=REGISTRY)
ACCOUNTING_FAILURES = Counter(
    "venue_accounting_failures_total", "Accounting steps that failed, by step", ["step"], registry=REGISTRY
)


def _emit(event: str, **fields: Any) -> None:
    if log.isEnabledFor(logging.INFO):
        log.info(json.dumps({"event": event, "ts": round(time.time(), 3), **fields}, default=str))


def intent_accepted(intent_id: bytes, owner: str, seconds: float) -> None:
    INTENTS_ACCEPTED.inc()
    ACCEPT_SECONDS.observe(seconds)
    _emit("intent_accepted", intent_id="0x" + intent_id.hex(), owner=owner, ms=round(seconds * 1e3, 2))


def outage(code: str, detail: str) -> None:
    """A request answered 503: the database, the chain node or Redis failed it."""
    OUTAGES.labels(code).inc()
    _emit("outage", code=code, detail=detail[:300])


def rate_limit_fallback(bucket: str, error: str) -> None:
    """The shared rate limiter (Redis) failed; this process's own bucket decided. Counted, not logged: it
    happens on every request while Redis is down."""
    RATE_LIMIT_FALLBACKS.labels(bucket, error).inc()


def intent_rejected(code: str, reason: str) -> None:
    INTENTS_REJECTED.labels(code).inc()
    _emit("intent_rejected", code=code, reason=reason)


def auction_broadcast(auction_id: int, block: int, orders: int, solvers: int) -> None:
    AUCTIONS.inc()
    _emit("auction_broadcast", auction_id=auction_id, block=block, orders=orders, solvers=solvers)


def round_abandoned(auction_id: int) -> None:
    """The process lost the lease mid-round: the new leader reopens the round's intents."""
    _emit("round_abandoned", auction_id=auction_id)


def round_failed(error: str, detail: str) -> None:
    _emit("round_failed", error=error, detail=detail[:500])


def relay_error(stage: str, error: str) -> None:
    _emit("relay_error", stage=stage, error=error[:300])


def relay_dropped() -> None:
    _emit("relay_dropped")


def leadership(acquired: bool) -> None:
    _emit("leadership_acquired" if acquired else "leadership_lost")


def bid_scored(auction_id: int, solver: str, outcome: str, score: int | None, reason: str | None) -> None:
    BIDS.labels(outcome).inc()
    _emit("bid_scored", auction_id=auction_id, solver=solver, outcome=outcome, score=score, reason=reason)


def settlement_finished(auction_id: int, outcome: str, tx_hash: str | None, gas_used: int | None) -> None:
    SETTLEMENTS.labels(outcome).inc()
    _emit("settlement_finished", auction_id=auction_id, outcome=outcome, tx_hash=tx_hash, gas_used=gas_used)


def fill_recorded(intent_id: bytes, auction_id: int, executed_sell: int, executed_buy: int, surplus_value: int) -> None:
    FILLS.inc()
    _emit("fill_recorded", intent_id="0x" + intent_id.hex(), auction_id=auction_id, executed_sell=executed_sell,
          executed_buy=executed_buy, surplus_value=surplus_value)  # fmt: skip


def accounting_failed(auction_id: int, step: str, detail: str) -> None:
    """A bookkeeping step after a settlement outcome that could not be done (the keeper carries on)."""
    ACCOUNTING_FAILURES.labels(step).inc()
    _emit("accounting_failed", auction_id=auction_id, step=step, detail=detail)


KEEPER_ERRORS = Counter("venue_keeper_errors_total", "Keeper loop restarts after an error", registry=REGISTRY)


def keeper_started(keeper: str, chain_id: int, in_flight: int) -> None:
    """A keeper process is up; `in_flight` jobs of its account are resumed before new ones are claimed."""
    _emit("keeper_started", keeper=keeper, chain_id=chain_id, in_flight=in_flight)


def keeper_error(keeper: str, error: str, detail: str, retry_s: float) -> None:
    """The keeper loop stopped on a storage or chain error; it resumes (recovering first) after `retry_s`."""
    KEEPER_ERRORS.inc()
    _emit("keeper_error", keeper=keeper, error=error, detail=detail, retry_s=retry_s)


def keeper_stopped(keeper: str) -> None:
    _emit("keeper_stopped", keeper=keeper)
