"""Intake's hand-tuned hot paths give exactly what the reference code gives: the intent id, the signer."""

from __future__ import annotations

import coincurve
from hypothesis import given
from hypothesis import strategies as st

from solver.domain.intake import intent_digest
from solver.domain.intent import Eip712Domain, Intent, IntentKind
from solver.domain.primitives import UINT256_MAX, address
from solver.domain.signature import recover_address, recover_signer

addresses = st.binary(min_size=20, max_size=20).map(lambda raw: address("0x" + raw.hex()))
uint256 = st.integers(min_value=1, max_value=UINT256_MAX)


@st.composite
def intents(draw: st.DrawFn) -> Intent:
    sell, buy = draw(st.lists(addresses, min_size=2, max_size=2, unique=True))
    return Intent(
        draw(addresses), sell, buy, draw(uint256), draw(uint256), draw(st.integers(0, UINT256_MAX)),
        draw(st.integers(0, UINT256_MAX)), draw(st.sampled_from(IntentKind)), draw(st.booleans()),
        draw(addresses), draw(st.binary(min_size=32, max_size=32)),
    )  # fmt: skip


@given(intents(), st.integers(1, 2**64), addresses)
def test_the_hand_laid_intent_digest_is_the_eip712_digest(intent: Intent, chain_id: int, settlement: str) -> None:
    domain = Eip712Domain(chain_id, settlement)
    assert intent_digest(intent, domain) == intent.digest(domain)


@given(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))
def test_the_recovered_address_is_the_signers_checksummed_address_in_bytes(key: bytes, digest: bytes) -> None:
    try:
        signer = coincurve.PrivateKey(key)
    except ValueError:
        return  # not a valid secp256k1 key
    raw = signer.sign_recoverable(digest, hasher=None)
    signature = raw[:64] + bytes([raw[64] + 27])
    if int.from_bytes(signature[32:64], "big") > 2**255:  # high-s: refused by both, tested elsewhere
        return
    checksummed = recover_signer(digest, signature)
    assert recover_address(digest, signature) == bytes.fromhex(checksummed[2:])
