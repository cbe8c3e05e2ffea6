"""Signing intents with a private key (eth-account over coincurve); keys never appear in reprs or logs."""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import Hash32

from solver.domain.intent import Eip712Domain, Intent


@dataclass(frozen=True, slots=True)
class IntentSigner:
    """Signs intents for one owner. `repr` shows the address only."""

    account: LocalAccount = field(repr=False)

    @classmethod
    def from_key(cls, private_key: str) -> IntentSigner:
        return cls(Account.from_key(private_key))

    @property
    def address(self) -> str:
        return str(self.account.address)

    def sign(self, intent: Intent, domain: Eip712Domain) -> bytes:
        """65-byte r || s || v (v in {27, 28}, low s) over the intent's EIP-712 digest."""
        if intent.owner != self.address:
            raise ValueError(f"intent owner {intent.owner} is not the signer {self.address}")
        signed = self.account.unsafe_sign_hash(Hash32(intent.digest(domain)))
        return bytes(signed.signature)
