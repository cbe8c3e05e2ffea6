"""Helpers for tests on the devnet: balances, signing as a manifest account, building trades."""

from __future__ import annotations

from eth_abi.abi import decode, encode
from eth_utils.crypto import keccak
from web3 import Web3

from solver.adapters.chain.manifest import Account, Manifest
from solver.adapters.chain.signer import IntentSigner
from solver.domain.batch import Trade
from solver.domain.intent import Eip712Domain, Intent

BALANCE_OF = keccak(text="balanceOf(address)")[:4]
FAR_FUTURE = 2**32 - 1  # unix seconds


def balance(w3: Web3, token: str, holder: str) -> int:
    raw = w3.eth.call({"to": token, "data": BALANCE_OF + encode(["address"], [holder])})
    return int(decode(["uint256"], raw)[0])


def domain(manifest: Manifest) -> Eip712Domain:
    return Eip712Domain(manifest.chain_id, manifest.contracts["settlement"])


def signed_trade(manifest: Manifest, account: Account, intent: Intent, executed: int | None = None) -> Trade:
    """`intent` signed by `account`, executed in full unless `executed` says otherwise."""
    signature = IntentSigner.from_key(account.private_key).sign(intent, domain(manifest))
    return Trade(intent, signature, intent.full_amount if executed is None else executed)
