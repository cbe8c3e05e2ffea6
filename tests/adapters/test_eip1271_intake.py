"""Intents owned by contract wallets (EIP-1271): the intake asks the wallet itself, on the devnet, whether it
accepts the signature, exactly as the settlement will; anything but the magic value is a refusal."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import coincurve
from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from solver.adapters.chain.artifacts import forge_artifact
from solver.adapters.chain.devnet import Devnet
from solver.adapters.chain.eip1271 import RpcEip1271Verifier
from solver.adapters.chain.jsonrpc import AsyncRpc
from solver.adapters.chain.owner_state import OwnerStateReader
from solver.adapters.chain.rpc import send_transaction
from solver.adapters.storage.memory import MemoryIntentStore
from solver.domain.batch import SigningScheme
from solver.domain.intake import IntakePolicy, Rejected
from solver.domain.intent import Intent
from solver.services.intake import IntakeService
from solver.services.owner_states import CoalescingOwnerStates

from ..chain_helpers import domain

TRANSFER = keccak(text="transfer(address,uint256)")[:4]
APPROVE = keccak(text="approve(address,uint256)")[:4]
EXECUTE = keccak(text="execute(address,bytes)")[:4]


def sign_digest(private_key: str, digest: bytes) -> bytes:
    """A raw 65-byte ECDSA signature (r, s, v in 27/28) of `digest`, low-s as libsecp256k1 makes them."""
    raw = coincurve.PrivateKey(bytes.fromhex(private_key.removeprefix("0x"))).sign_recoverable(digest, hasher=None)
    return raw[:64] + bytes([raw[64] + 27])


def deploy_wallet(net: Devnet, owner: str) -> str:
    artifact = forge_artifact("Eip1271Wallet")
    data = artifact.bytecode + encode(["address"], [owner])
    receipt = send_transaction(net.w3, {"from": owner, "data": "0x" + data.hex()}, what="deploy Eip1271Wallet")
    return to_checksum_address(receipt["contractAddress"])


def fund_and_approve(net: Devnet, wallet: str, owner: str, amount: int) -> None:
    m = net.manifest
    weth = m.token("WETH").address
    funder = m.account("user0").address
    send_transaction(net.w3, {"from": funder, "to": weth, "data": "0x" + (TRANSFER + encode(
        ["address", "uint256"], [wallet, amount])).hex()})  # fmt: skip
    approve = APPROVE + encode(["address", "uint256"], [m.contracts["spender"], 2**256 - 1])
    call = EXECUTE + encode(["address", "bytes"], [weth, approve])
    send_transaction(net.w3, {"from": owner, "to": wallet, "data": "0x" + call.hex()})


async def submit_all(net: Devnet, attempts: list[tuple[Intent, bytes]]) -> list[bytes | str]:
    m = net.manifest
    settlement = m.contracts["settlement"]
    async with aiohttp.ClientSession() as session:
        reader = OwnerStateReader(net.rpc_url, settlement, m.contracts["spender"], session)
        policy = IntakePolicy(domain(m), frozenset(t.address for t in m.tokens.values()))
        intake = IntakeService(MemoryIntentStore(), CoalescingOwnerStates(reader), policy,
                               RpcEip1271Verifier(AsyncRpc(net.rpc_url, session)))  # fmt: skip
        outcomes: list[bytes | str] = []
        for intent, signature in attempts:
            try:
                accepted = await intake.submit(intent, signature, SigningScheme.EIP1271, m.chain_id, settlement)
                outcomes.append(accepted.intent_id)
            except Rejected as exc:
                outcomes.append(exc.code.value)
        return outcomes


def test_a_contract_wallets_intent_is_accepted_only_with_a_signature_the_wallet_accepts(chain: Devnet) -> None:
    m = chain.manifest
    owner, stranger = m.account("user5"), m.account("user4")
    wallet = deploy_wallet(chain, owner.address)
    fund_and_approve(chain, wallet, owner.address, 2 * 10**18)
    intent = Intent(wallet, m.token("WETH").address, m.token("USDC").address, 10**18, 2_900 * 10**6,
                    int(time.time()) + 600, 7)  # fmt: skip
    intent_id = intent.digest(domain(m))  # the intent id: what the wallet is asked about
    eoa_intent = Intent(owner.address, m.token("WETH").address, m.token("USDC").address, 10**18, 2_900 * 10**6,
                        int(time.time()) + 600, 8)  # fmt: skip

    outcomes = asyncio.run(submit_all(chain, [
        (intent, sign_digest(stranger.private_key, intent_id)),  # the wallet says no
        (intent, b"\x00" * 65),  # not even a signature: the wallet's ECDSA recovery fails, it says no
        (eoa_intent, sign_digest(owner.private_key, eoa_intent.digest(domain(m)))),  # no code: an EOA says nothing
        (intent, sign_digest(owner.private_key, intent_id)),  # the wallet's owner signed: yes
    ]))  # fmt: skip

    assert outcomes == ["invalid_signature", "invalid_signature", "invalid_signature", intent_id]


def test_the_verifier_reads_only_the_magic_value_as_yes(chain: Devnet) -> None:
    m = chain.manifest
    owner = m.account("user5")
    wallet = deploy_wallet(chain, owner.address)
    digest = keccak(b"anything")

    async def verdicts() -> list[bool]:
        async with aiohttp.ClientSession() as session:
            verifier = RpcEip1271Verifier(AsyncRpc(chain.rpc_url, session))
            return [
                await verifier.is_valid(wallet, digest, sign_digest(owner.private_key, digest)),
                await verifier.is_valid(wallet, digest, sign_digest(m.account("user1").private_key, digest)),
                await verifier.is_valid(m.token("WETH").address, digest, sign_digest(owner.private_key, digest)),
                await verifier.is_valid(owner.address, digest, sign_digest(owner.private_key, digest)),
            ]

    # owner's signature; someone else's; a contract without isValidSignature (reverts); an EOA (empty answer)
    assert asyncio.run(verdicts()) == [True, False, False, False]
