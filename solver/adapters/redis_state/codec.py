"""StoredIntent <-> bytes for the Redis pool: compact JSON arrays, exact integers as decimal strings."""

from __future__ import annotations

import json

from solver.domain.batch import SigningScheme
from solver.domain.intent import Intent, IntentKind
from solver.domain.lifecycle import IntentRecord, IntentStatus
from solver.domain.records import StoredIntent


def encode_intent(stored: StoredIntent) -> bytes:
    r, i = stored.record, stored.record.intent
    return json.dumps([
        r.intent_id.hex(), i.owner, i.sell_token, i.buy_token, i.receiver, str(i.sell_amount), str(i.buy_amount),
        i.valid_to, str(i.nonce), int(i.kind), i.partially_fillable, i.app_data.hex(), r.signature.hex(),
        int(r.scheme), r.status.value, str(r.filled), r.accepted_at, stored.version,
    ], separators=(",", ":")).encode()  # fmt: skip


def decode_intent(raw: bytes) -> StoredIntent:
    fields = json.loads(raw)
    (intent_id, owner, sell_token, buy_token, receiver, sell_amount, buy_amount, valid_to, nonce, kind,
     partially_fillable, app_data, signature, scheme, status, filled, accepted_at, version) = fields  # fmt: skip
    intent = Intent(
        owner=owner, sell_token=sell_token, buy_token=buy_token, sell_amount=int(sell_amount),
        buy_amount=int(buy_amount), valid_to=valid_to, nonce=int(nonce), kind=IntentKind(kind),
        partially_fillable=partially_fillable, receiver=receiver, app_data=bytes.fromhex(app_data),
    )  # fmt: skip
    record = IntentRecord(
        bytes.fromhex(intent_id), intent, bytes.fromhex(signature), SigningScheme(scheme), IntentStatus(status),
        int(filled), accepted_at,
    )  # fmt: skip
    return StoredIntent(record, version)
