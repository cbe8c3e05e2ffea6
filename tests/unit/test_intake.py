"""Intake refuses every bad intent with its own code and accepts good ones with their id."""

from __future__ import annotations

from dataclasses import replace

import pytest

from solver.adapters.chain.signer import IntentSigner
from solver.domain.batch import SigningScheme
from solver.domain.intake import IntakePolicy, OwnerState, RejectCode, Rejected, check_funding, check_intent
from solver.domain.intent import Eip712Domain, Intent
from solver.domain.primitives import address
from solver.domain.signature import SECP256K1_N

from .builders import USDC, WETH, an_intent

SETTLEMENT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
POLICY = IntakePolicy(Eip712Domain(31337, SETTLEMENT), frozenset())
SIGNER = IntentSigner.from_key("0x" + "22" * 32)
NOW = 1_900_000_000


def good() -> tuple[Intent, bytes]:
    intent = an_intent(owner=SIGNER.address, sell_token=WETH, buy_token=USDC, valid_to=NOW + 600)
    return intent, SIGNER.sign(intent, POLICY.domain)


def refused(intent: Intent, signature: bytes, chain_id: int = 31337, settlement: str = SETTLEMENT) -> RejectCode:
    with pytest.raises(Rejected) as err:
        check_intent(intent, signature, SigningScheme.EIP712, chain_id, settlement, NOW, _policy())
    return err.value.code


def _policy() -> IntakePolicy:
    return replace(POLICY, supported_tokens=frozenset({address(WETH), address(USDC)}))


def test_a_good_intent_is_accepted_with_its_eip712_digest_as_id() -> None:
    intent, sig = good()
    assert check_intent(intent, sig, SigningScheme.EIP712, 31337, SETTLEMENT, NOW, _policy()) == intent.digest(
        POLICY.domain
    )


def test_each_stateless_problem_has_its_own_code() -> None:
    intent, sig = good()
    assert refused(intent, sig, chain_id=1) is RejectCode.WRONG_CHAIN
    assert refused(intent, sig, settlement="0x" + "00" * 19 + "01") is RejectCode.WRONG_DOMAIN
    dai = "0x00000000000000000000000000000000000000d1"
    assert refused(replace(intent, buy_token=dai), sig) is RejectCode.UNSUPPORTED_TOKEN
    assert refused(replace(intent, valid_to=NOW + 5), sig) is RejectCode.EXPIRED
    assert refused(replace(intent, valid_to=NOW + 10**8), sig) is RejectCode.DEADLINE_TOO_FAR
    assert refused(replace(intent, buy_amount=intent.buy_amount - 1), sig) is RejectCode.INVALID_SIGNATURE
    assert refused(intent, sig[:64]) is RejectCode.INVALID_SIGNATURE
    s = int.from_bytes(sig[32:64], "big")
    twin = sig[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - sig[64]])
    assert refused(intent, twin) is RejectCode.MALLEABLE_SIGNATURE


def test_funding_checks_nonce_balance_and_allowance_in_that_order() -> None:
    intent, _ = good()
    enough = OwnerState(block_number=1, balance=intent.sell_amount, allowance=intent.sell_amount, nonce_used=False)
    check_funding(intent, enough)
    for state, code in (
        (replace(enough, nonce_used=True), RejectCode.NONCE_USED),
        (replace(enough, balance=intent.sell_amount - 1), RejectCode.INSUFFICIENT_BALANCE),
        (replace(enough, allowance=intent.sell_amount - 1), RejectCode.INSUFFICIENT_ALLOWANCE),
    ):
        with pytest.raises(Rejected) as err:
            check_funding(intent, state)
        assert err.value.code is code
