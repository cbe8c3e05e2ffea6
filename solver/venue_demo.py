"""The stream of demo intents the main command posts: matchable pairs, AMM-bound sells, and bad ones.

Each entry is signed by a devnet user exactly as a wallet would sign it, then POSTed to the intake API
as JSON; the bad ones must come back as 4xx with their codes. `quoted` first asks the venue for a quote of
each intent that must be accepted, as a wallet does before signing, and cites its `quoteId` (not part of
the signed data), so the fills report their slippage against what the user was quoted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import aiohttp

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


Ask = Callable[[dict[str, Any]], Awaitable[tuple[int, dict[str, Any]]]]  # quote request -> status, reply


def quote_request(body: dict[str, Any]) -> dict[str, Any]:
    """The quote a wallet asks for before signing the intent `body`: same tokens and kind, its exact amount."""
    amount = body["sellAmount"] if body["kind"] == "sell" else body["buyAmount"]
    return {"sellToken": body["sellToken"], "buyToken": body["buyToken"], "kind": body["kind"], "amount": amount}


async def quoted(items: Sequence[DemoIntent], ask: Ask) -> list[DemoIntent]:
    """`items` with the quoteId of a fresh quote in the body of each one that must be accepted (an intent the
    venue cannot quote, e.g. for want of a route, goes without one)."""
    cited = []
    for item in items:
        if item.expect == "accepted":
            status, reply = await ask(quote_request(item.body))
            if status == 200:
                item = replace(item, body={**item.body, "quoteId": reply["quoteId"]})
        cited.append(item)
    return cited


def http_quotes(session: aiohttp.ClientSession, base: str) -> Ask:
    """Ask the venue at `base` (http://host:port) over HTTP."""

    async def ask(request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        async with session.post(f"{base}/v1/quote", json=request) as response:
            return response.status, await response.json()

    return ask


async def quoted_wave(manifest: Manifest, now: int, wave_no: int, session: aiohttp.ClientSession, base: str
                      ) -> list[DemoIntent]:  # fmt: skip
    """`wave`, each intent that must be accepted citing a quote the venue at `base` just answered."""
    return await quoted(wave(manifest, now, wave_no), http_quotes(session, base))
