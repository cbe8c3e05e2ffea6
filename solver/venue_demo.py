"""The stream of demo intents the main command posts: matchable pairs, AMM-bound sells, and bad ones.

Each entry is signed by a devnet user exactly as a wallet would sign it, then POSTed to the intake API
as JSON; the bad ones must come back as 4xx with their codes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from solver.adapters.chain.manifest import Manifest
from solver.adapters.chain.signer import IntentSigner
from solver.demo import whole
from solver.domain.intent import Eip712Domain, Intent, IntentKind


@dataclass(frozen=True, slots=True)
class DemoIntent:
    label: str
    body: dict[str, Any]
    expect: str  # "accepted" or the reject code the venue must answer


def body(intent: Intent, signature: bytes, domain: Eip712Domain) -> dict[str, Any]:
    return {
        "chainId": domain.chain_id, "settlement": domain.verifying_contract, "owner": intent.owner,
        "sellToken": intent.sell_token, "buyToken": intent.buy_token, "receiver": intent.receiver,
        "sellAmount": str(intent.sell_amount), "buyAmount": str(intent.buy_amount), "validTo": intent.valid_to,
        "nonce": str(intent.nonce), "kind": intent.kind.name.lower(), "partiallyFillable": intent.partially_fillable,
        "appData": "0x" + intent.app_data.hex(), "signingScheme": "eip712", "signature": "0x" + signature.hex(),
    }  # fmt: skip


def wave(manifest: Manifest, now: int, wave_no: int) -> list[DemoIntent]:
    """One wave of demo intents; `wave_no` keeps nonces unique across waves."""
    domain = Eip712Domain(manifest.chain_id, manifest.contracts["settlement"])
    t = manifest.token
    valid_to = now + 300
    nonce = 100 * wave_no

    def make(who: str, sell: str, buy: str, sell_amt: float, buy_amt: float, n: int, **kw: Any) -> Intent:
        s, b = t(sell), t(buy)
        owner = manifest.account(who).address
        return Intent(owner, s.address, b.address, whole(s, sell_amt), whole(b, buy_amt), valid_to, nonce + n, **kw)

    def signed(label: str, who: str, intent: Intent, expect: str = "accepted", **override: Any) -> DemoIntent:
        signature = IntentSigner.from_key(manifest.account(who).private_key).sign(intent, domain)
        return DemoIntent(label, {**body(intent, signature, domain), **override}, expect)

    cow_sell = make("user0", "WETH", "USDC", 1, 2_950, 1)
    cow_buy = make("user1", "USDC", "WETH", 3_050, 1, 1, kind=IntentKind.BUY)
    amm_dai = make("user2", "DAI", "WETH", 5_000, 1.6, 1)
    amm_wbtc = make("user3", "WBTC", "WETH", 0.1, 1.9, 1)
    partial = make("user4", "WETH", "USDC", 2, 5_800, 1, partially_fillable=True)
    broke = make("user5", "WETH", "USDC", 1_000, 2_900_000, 1)
    return [
        signed("CoW: user0 sells 1 WETH", "user0", cow_sell),
        signed("CoW: user1 buys 1 WETH", "user1", cow_buy),
        signed("AMM: user2 sells 5,000 DAI", "user2", amm_dai),
        signed("AMM: user3 sells 0.1 WBTC", "user3", amm_wbtc),
        signed("partial: user4 sells up to 2 WETH", "user4", partial),
        signed("bad: tampered amount", "user5", make("user5", "WETH", "USDC", 1, 2_900, 2), "invalid_signature",
               buyAmount=str(whole(t("USDC"), 1))),
        signed("bad: expired", "user5", replace(make("user5", "WETH", "USDC", 1, 2_900, 3), valid_to=now - 60),
               "expired"),
        signed("bad: sells more than it holds", "user5", broke, "insufficient_balance"),
        signed("bad: same token twice", "user5", make("user5", "WETH", "USDC", 1, 2_900, 4), "same_token",
               buyToken=t("WETH").address),
    ]  # fmt: skip
