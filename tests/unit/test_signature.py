"""Signer recovery accepts exactly what the contract accepts."""

from __future__ import annotations

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.domain.signature import SECP256K1_N, InvalidSignature, MalleableSignature, recover_signer

KEY = Account.from_key("0x" + "11" * 32)


def signed(digest: bytes) -> bytes:
    return bytes(KEY.unsafe_sign_hash(digest).signature)


@settings(max_examples=50)
@given(digest=st.binary(min_size=32, max_size=32))
def test_recovers_the_signer_of_any_digest(digest: bytes) -> None:
    assert recover_signer(digest, signed(digest)) == KEY.address


def test_rejects_the_high_s_twin_of_a_valid_signature() -> None:
    digest = b"\x42" * 32
    sig = signed(digest)
    s = int.from_bytes(sig[32:64], "big")
    twin = sig[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - sig[64]])
    with pytest.raises(MalleableSignature):
        recover_signer(digest, twin)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda sig: sig[:64],  # no v
        lambda sig: sig[:64] + b"\x00",  # v = 0
        lambda sig: sig[:64] + b"\x1d",  # v = 29
        lambda sig: bytes(32) + sig[32:],  # r = 0
        lambda sig: sig[:32] + bytes(32) + sig[64:],  # s = 0
    ],
)
def test_rejects_malformed_signatures(mangle: object) -> None:
    digest = b"\x07" * 32
    with pytest.raises(InvalidSignature):
        recover_signer(digest, mangle(signed(digest)))  # type: ignore[operator]


def test_a_signature_of_another_digest_recovers_someone_else() -> None:
    assert recover_signer(b"\x01" * 32, signed(b"\x02" * 32)) != KEY.address
