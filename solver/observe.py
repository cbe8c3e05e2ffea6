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
AUCTIONS = Counter("venue_auctions_total", "Auctions broadcast", registry=REGISTRY)
BIDS = Counter("venue_bids_total", "Bids by outcome", ["outcome"], registry=REGISTRY)
SETTLEMENTS = Counter("venue_settlements_total", "Settlements by outcome", ["outcome"], registry=REGISTRY)


def _emit(event: str, **fields: Any) -> None:
    if log.isEnabledFor(logging.INFO):
        log.info(json.dumps({"event": event, "ts": round(time.time(), 3), **fields}, default=str))


def intent_accepted(intent_id: bytes, owner: str, seconds: float) -> None:
    INTENTS_ACCEPTED.inc()
    ACCEPT_SECONDS.observe(seconds)
    _emit("intent_accepted", intent_id="0x" + intent_id.hex(), owner=owner, ms=round(seconds * 1e3, 2))


def intent_rejected(code: str, reason: str) -> None:
    INTENTS_REJECTED.labels(code).inc()
    _emit("intent_rejected", code=code, reason=reason)


def auction_broadcast(auction_id: int, block: int, orders: int, solvers: int) -> None:
    AUCTIONS.inc()
    _emit("auction_broadcast", auction_id=auction_id, block=block, orders=orders, solvers=solvers)


def bid_scored(auction_id: int, solver: str, outcome: str, score: int | None, reason: str | None) -> None:
    BIDS.labels(outcome).inc()
    _emit("bid_scored", auction_id=auction_id, solver=solver, outcome=outcome, score=score, reason=reason)


def settlement_finished(auction_id: int, outcome: str, tx_hash: str | None, gas_used: int | None) -> None:
    SETTLEMENTS.labels(outcome).inc()
    _emit("settlement_finished", auction_id=auction_id, outcome=outcome, tx_hash=tx_hash, gas_used=gas_used)
