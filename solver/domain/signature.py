"""ECDSA recovery of intent signers with the same acceptance rules as SignatureLib.sol.

A 65-byte `r || s || v` signature is accepted only with v in {27, 28}, 0 < r < n, 0 < s <= n/2 (the
low-s form: its high-s twin is rejected as malleable, EIP-2). Recovery uses libsecp256k1 (coincurve):
about 0.1 ms, against ~8 ms for the pure-Python fallback.
"""

from __future__ import annotations

import coincurve
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from .errors import DomainError

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_N = SECP256K1_N // 2


class InvalidSignature(DomainError):
    """The signature is not a well-formed ECDSA signature, or recovers to nobody."""


class MalleableSignature(InvalidSignature):
    """The high-s twin of a signature: valid ECDSA, but refused so each intent has one signature."""


def recover_signer(digest: bytes, signature: bytes) -> str:
    """The checksummed address that signed the 32-byte `digest`; raises InvalidSignature otherwise."""
    return str(to_checksum_address(recover_address(digest, signature)))


def recover_address(digest: bytes, signature: bytes) -> bytes:
    """The 20-byte address that signed the 32-byte `digest` (compare it with an owner's bytes: no checksum to
    compute, on intake's hot path); raises InvalidSignature otherwise."""
    if len(digest) != 32:
        raise InvalidSignature("digest must be 32 bytes")
    if len(signature) != 65:
        raise InvalidSignature(f"signature must be 65 bytes (r, s, v), got {len(signature)}")
    r, s, v = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]
    if v not in (27, 28):
        raise InvalidSignature(f"v must be 27 or 28, got {v}")
    if not 0 < r < SECP256K1_N or s == 0:
        raise InvalidSignature("r and s must be in (0, n)")
    if s > HALF_N:
        raise MalleableSignature("s is in the upper half of the curve order (malleable twin)")
    try:
        key = coincurve.PublicKey.from_signature_and_message(signature[:64] + bytes([v - 27]), digest, hasher=None)
    except ValueError as exc:
        raise InvalidSignature("signature does not recover to a public key") from exc
    return bytes(keccak(key.format(compressed=False)[1:])[12:])
