"""The devnet owner's administration of the settlement: which solvers may log in to the venue and settle.

The venue admits a solver to its WebSocket only if `Settlement.isSolver(address)` holds, and only the
settlement's owner (the devnet's deployer account, unlocked on anvil) may change it (`setSolver`).
"""

from __future__ import annotations

from eth_abi.abi import decode, encode
from eth_utils.crypto import keccak
from web3 import Web3

from .manifest import Manifest
from .rpc import call, send_transaction

SET_SOLVER = keccak(text="setSolver(address,bool)")[:4]
IS_SOLVER = keccak(text="isSolver(address)")[:4]


def set_solver(w3: Web3, manifest: Manifest, solver: str, allowed: bool = True) -> str:
    """Allow (or disallow) `solver`, sent by the owner; returns the mined transaction's hash."""
    data = SET_SOLVER + encode(["address", "bool"], [solver, allowed])
    owner, settlement = manifest.account("deployer").address, manifest.contracts["settlement"]
    tx = {"from": owner, "to": settlement, "data": "0x" + data.hex()}
    receipt = send_transaction(w3, tx, what=f"setSolver({solver}, {allowed})")
    return str(receipt["transactionHash"])


def is_solver(w3: Web3, manifest: Manifest, solver: str) -> bool:
    data = IS_SOLVER + encode(["address"], [solver])
    raw = call(w3, "eth_call", {"to": manifest.contracts["settlement"], "data": "0x" + data.hex()}, "latest")
    return bool(decode(["bool"], bytes.fromhex(raw[2:]))[0])
