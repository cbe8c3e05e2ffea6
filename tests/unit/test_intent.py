"""Intents refuse bad states, and their EIP-712 digest equals eth-account's typed-data hash."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given
from hypothesis import strategies as st

from solver.adapters.chain.signer import IntentSigner
from solver.domain.errors import InvalidIntent
from solver.domain.intent import Eip712Domain, IntentKind

from .builders import USDC, WETH, an_intent

DOMAIN = Eip712Domain(chain_id=31337, verifying_contract="0x5FbDB2315678afecb367f032d93F642f64180aa3")
KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"


def test_digest_equals_the_eip712_hash_eth_account_computes() -> None:
    intent = an_intent(kind=IntentKind.BUY, partially_fillable=True, app_data=b"\x01" * 32)
    expected = encode_typed_data(full_message=intent.typed_data(DOMAIN))
    assert DOMAIN.separator() == expected.header
    assert intent.struct_hash() == expected.body
    signed_typed = Account.sign_typed_data(KEY, full_message=intent.typed_data(DOMAIN))
    assert bytes(signed_typed.message_hash) == intent.digest(DOMAIN)


@given(
    sell=st.integers(1, 2**256 - 1),
    buy=st.integers(1, 2**256 - 1),
    nonce=st.integers(0, 2**256 - 1),
    kind=st.sampled_from(IntentKind),
    partial=st.booleans(),
)
def test_python_signatures_recover_to_the_owner_for_any_fields(
    sell: int, buy: int, nonce: int, kind: IntentKind, partial: bool
) -> None:
    signer = IntentSigner.from_key(KEY)
    intent = an_intent(
        owner=signer.address,
        sell_amount=sell,
        buy_amount=buy,
        nonce=nonce,
        kind=kind,
        partially_fillable=partial,
    )
    signature = signer.sign(intent, DOMAIN)
    assert len(signature) == 65 and signature[64] in (27, 28)
    assert int.from_bytes(signature[32:64], "big") <= 2**255  # low-s: never the malleable twin
    assert Account._recover_hash(intent.digest(DOMAIN), signature=signature) == signer.address


def test_every_signed_field_changes_the_digest() -> None:
    base = an_intent()
    variants = [
        an_intent(owner="0x0000000000000000000000000000000000000B0b"),
        an_intent(sell_token=USDC, buy_token=WETH),
        an_intent(receiver="0x0000000000000000000000000000000000000B0b"),
        an_intent(sell_amount=base.sell_amount + 1),
        an_intent(buy_amount=base.buy_amount + 1),
        an_intent(valid_to=base.valid_to + 1),
        an_intent(nonce=base.nonce + 1),
        an_intent(kind=IntentKind.BUY),
        an_intent(partially_fillable=True),
        an_intent(app_data=b"\x02" * 32),
    ]
    digests = {v.digest(DOMAIN) for v in variants} | {base.digest(DOMAIN)}
    assert len(digests) == len(variants) + 1
    other_chain = Eip712Domain(chain_id=1, verifying_contract=DOMAIN.verifying_contract)
    assert base.digest(other_chain) != base.digest(DOMAIN)


@pytest.mark.parametrize(
    "overrides",
    [
        {"sell_amount": 0},
        {"buy_amount": 0},
        {"sell_amount": -1},
        {"buy_amount": 2**256},
        {"buy_token": WETH},
        {"owner": "0x1234"},
        {"nonce": 2**256},
        {"app_data": b"\x00" * 31},
    ],
)
def test_constructor_refuses_intents_that_can_never_settle(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidIntent):
        an_intent(**overrides)


def test_signer_refuses_to_sign_another_owners_intent() -> None:
    with pytest.raises(ValueError, match="not the signer"):
        IntentSigner.from_key(KEY).sign(an_intent(), DOMAIN)
