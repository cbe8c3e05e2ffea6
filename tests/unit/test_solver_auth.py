"""Only an allow-listed solver that signs the current challenge in time is admitted."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from solver.domain.solver_auth import AuthFailed, Challenge, authenticate

SOLVER = Account.from_key("0x" + "33" * 32)
OTHER = Account.from_key("0x" + "44" * 32)
CHALLENGE = Challenge(nonce=b"\x5a" * 32, chain_id=31337, expires_at=1_000.0)


def personal_sign(account: object, challenge: Challenge) -> bytes:
    signed = account.sign_message(encode_defunct(text=challenge.text()))  # type: ignore[attr-defined]
    return bytes(signed.signature)


def test_admits_an_allow_listed_solver_that_signed_the_challenge_with_personal_sign() -> None:
    sig = personal_sign(SOLVER, CHALLENGE)
    assert authenticate(CHALLENGE, SOLVER.address, sig, 999.0, frozenset({SOLVER.address})) == SOLVER.address


NEW_CHALLENGE = Challenge(b"\x01" * 32, 31337, 1_000.0)
OTHER_CHAIN = Challenge(CHALLENGE.nonce, 1, 1_000.0)


@pytest.mark.parametrize(
    ("signer", "claimed", "now", "answered", "signed", "code"),
    [
        (SOLVER, SOLVER.address, 1_001.0, CHALLENGE, CHALLENGE, "challenge_expired"),
        (OTHER, SOLVER.address, 999.0, CHALLENGE, CHALLENGE, "bad_signature"),  # forged
        (OTHER, OTHER.address, 999.0, CHALLENGE, CHALLENGE, "not_allowed"),
        (SOLVER, SOLVER.address, 999.0, NEW_CHALLENGE, CHALLENGE, "bad_signature"),  # replayed login
        (SOLVER, SOLVER.address, 999.0, OTHER_CHAIN, CHALLENGE, "bad_signature"),  # another chain's login
    ],
)
def test_refuses_expired_forged_replayed_or_unlisted_logins(
    signer: object, claimed: str, now: float, answered: Challenge, signed: Challenge, code: str
) -> None:
    sig = personal_sign(signer, signed)
    with pytest.raises(AuthFailed) as err:
        authenticate(answered, claimed, sig, now, frozenset({SOLVER.address}))
    assert err.value.code == code
