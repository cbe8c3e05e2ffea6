"""Solver authentication: an allow-listed address proves itself by signing a one-time challenge (EIP-191)."""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils.crypto import keccak

from .signature import InvalidSignature, recover_signer

CHALLENGE_BYTES = 32
CHALLENGE_TTL_S = 10  # seconds a solver has to answer the challenge


@dataclass(frozen=True, slots=True)
class Challenge:
    nonce: bytes  # CHALLENGE_BYTES random bytes, chosen by the venue (not here: the domain draws no randomness)
    chain_id: int
    expires_at: float  # unix seconds

    def text(self) -> str:
        """What the solver signs with personal_sign."""
        return f"Intent venue solver authentication\nchallenge: 0x{self.nonce.hex()}\nchain: {self.chain_id}"

    def digest(self) -> bytes:
        """EIP-191 version 0x45 hash of the text, as personal_sign computes it."""
        message = self.text().encode()
        return keccak(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)


class AuthFailed(Exception):
    """Why a solver was not admitted: `code` is one of not_allowed, bad_signature, challenge_expired."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def authenticate(challenge: Challenge, claimed: str, signature: bytes, now: float, allowed: frozenset[str]) -> str:
    """The solver's address if it signed `challenge` in time and is allow-listed; raises AuthFailed."""
    if now > challenge.expires_at:
        raise AuthFailed("challenge_expired", f"the challenge expired {now - challenge.expires_at:.1f} s ago")
    try:
        signer = recover_signer(challenge.digest(), signature)
    except InvalidSignature as exc:
        raise AuthFailed("bad_signature", str(exc)) from exc
    if signer.lower() != claimed.lower():
        raise AuthFailed("bad_signature", "the signature is not the claimed address's")
    if signer not in allowed:
        raise AuthFailed("not_allowed", f"{signer} is not an allow-listed solver")
    return signer
