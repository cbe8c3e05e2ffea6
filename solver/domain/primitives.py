"""Primitive value types: addresses and uint256 bounds."""

from __future__ import annotations

from functools import lru_cache

from eth_utils.address import is_hex_address, to_checksum_address

from .errors import DomainError

UINT256_MAX = 2**256 - 1
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def address(value: str) -> str:
    """The checksummed form of a 20-byte hex address; raises DomainError otherwise."""
    if not isinstance(value, str):
        raise DomainError(f"not a 20-byte hex address: {value!r}")
    return _checksummed(value)


@lru_cache(maxsize=65_536)
def _checksummed(value: str) -> str:
    """EIP-55 checksumming hashes the address: cached, since venues see the same owners and tokens again."""
    if not is_hex_address(value):
        raise DomainError(f"not a 20-byte hex address: {value!r}")
    return str(to_checksum_address(value))


def uint256(value: int, name: str) -> int:
    """`value` if it fits a uint256; raises DomainError naming the field otherwise."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= UINT256_MAX:
        raise DomainError(f"{name} must be an integer in [0, 2**256): {value!r}")
    return value
