"""The demo the README's main command runs until the venue exists: settle the kinds of fill we support.

Batch 1 (one settle call): two users' opposite intents matched against each other (coincidence of wants)
together with the first part of a third user's partially fillable intent; an intent routed through a
Uniswap V2 pair; one routed through a Uniswap V3 pool; one filled from the solver's inventory (an intent
the inventory account signs at solve time). Batch 2: the rest of the partially fillable intent, through
V2. Clearing prices are value per base unit in 1e-36 USD, so ratios are exact integers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from eth_account import Account as EthAccount
from web3 import Web3

from solver.adapters.chain import amm
from solver.adapters.chain.manifest import Account, Manifest, TokenInfo
from solver.adapters.chain.settlement import SettlementClient, SettlementReceipt
from solver.adapters.chain.signer import IntentSigner
from solver.domain.batch import Batch, Interaction, Trade
from solver.domain.fills import Attribution, attribute
from solver.domain.intent import Eip712Domain, Intent, IntentKind

USD = 10**36  # clearing-price unit: 1e-36 USD
REFERENCE_USD = {"WETH": 3_000, "USDC": 1, "WBTC": 60_000, "DAI": 1}
VALIDITY_S = 600  # seconds an intent of the demo stays valid


def reference_price(token: TokenInfo) -> int:
    """Value of one base unit of `token` in 1e-36 USD at the devnet's reference prices."""
    return int(REFERENCE_USD[token.symbol] * USD // 10**token.decimals)


def whole(token: TokenInfo, amount: int | float) -> int:
    """Base units of `amount` whole tokens (demo literals only; amounts are integers from here on)."""
    return int(Fraction(str(amount)) * 10**token.decimals)  # exact for decimal literals


@dataclass(frozen=True, slots=True)
class Scenario:
    """A batch ready to settle, with a label for each intent id (for printing and for tests)."""

    batch: Batch
    labels: dict[bytes, str]
    partial: Trade  # the partially fillable intent, for the second batch


class DemoBuilder:
    """Signs the demo's intents as the devnet's users and prices them against the devnet's pools."""

    def __init__(self, w3: Web3, manifest: Manifest, now: int) -> None:
        self.w3, self.m, self.valid_to = w3, manifest, now + VALIDITY_S
        self.domain = Eip712Domain(manifest.chain_id, manifest.contracts["settlement"])
        self.settlement = manifest.contracts["settlement"]

    def t(self, symbol: str) -> TokenInfo:
        return self.m.token(symbol)

    def sign(self, who: str, intent: Intent, executed: int | None = None) -> Trade:
        signer = IntentSigner.from_key(self.m.account(who).private_key)
        return Trade(intent, signer.sign(intent, self.domain), intent.full_amount if executed is None else executed)

    def intent(
        self, who: Account, sell: str, buy: str, sell_amt: float, buy_amt: float, nonce: int,
        kind: IntentKind = IntentKind.SELL, partially_fillable: bool = False,
    ) -> Intent:  # fmt: skip
        s, b = self.t(sell), self.t(buy)
        sell_units, buy_units = whole(s, sell_amt), whole(b, buy_amt)
        return Intent(
            who.address, s.address, b.address, sell_units, buy_units, self.valid_to, nonce, kind, partially_fillable
        )

    def first_batch(self) -> Scenario:
        m, weth, usdc, dai, wbtc = self.m, self.t("WETH"), self.t("USDC"), self.t("DAI"), self.t("WBTC")
        prices = {weth.address: reference_price(weth), usdc.address: reference_price(usdc)}
        cow_seller = self.sign("user0", self.intent(m.account("user0"), "WETH", "USDC", 2, 5_900, 1))
        cow_buyer = self.sign(
            "user1", self.intent(m.account("user1"), "USDC", "WETH", 9_150, 3, 1, kind=IntentKind.BUY)
        )
        partial_intent = self.intent(m.account("user5"), "WETH", "USDC", 4, 11_800, 1, partially_fillable=True)
        partial = self.sign("user5", partial_intent, executed=whole(weth, 1))

        v2_route, v2_calls, prices[dai.address] = self._v2_route("user2", "DAI", "WETH", 10_000, 3.2, prices)
        v3_route, v3_calls, prices[wbtc.address] = self._v3_route("user3", "WBTC", "WETH", 0.5, 9.5, prices)

        inv_user = self.sign("user4", self.intent(m.account("user4"), "USDC", "DAI", 1_000, 990, 1))
        inventory = self.sign(
            "inventory",
            self.intent(m.account("inventory"), "DAI", "USDC", 1_010, 1_000, 1, kind=IntentKind.BUY),
        )
        trades = (cow_seller, cow_buyer, partial, v2_route, v3_route, inv_user, inventory)
        labels = ["CoW: user0 sells WETH", "CoW: user1 buys WETH", "CoW: user5 partial 1/2", "Uniswap V2 route",
                  "Uniswap V3 route", "inventory: user4", "inventory account"]  # fmt: skip
        tokens = tuple(prices)
        batch = Batch(tokens, tuple(prices[t] for t in tokens), trades, auction_id=1,
                      interactions=(*v2_calls, *v3_calls))  # fmt: skip
        return Scenario(
            batch, {t.intent.digest(self.domain): lbl for t, lbl in zip(trades, labels, strict=True)}, partial
        )

    def second_batch(self, partial: Trade) -> Scenario:
        """The remaining part of the partially fillable intent, routed through the V2 WETH/USDC pair."""
        intent = partial.intent
        rest = intent.sell_amount - partial.executed_amount
        pool = amm.v2_pool(self.w3, self.m.pool("uniswap_v2", intent.sell_token, intent.buy_token))
        out = pool.amount_out(intent.sell_token, rest)
        trade = Trade(intent, partial.signature, rest, sell_to=pool.address)
        swap = amm.v2_swap_received(pool, intent.sell_token, rest, self.settlement)
        # Prices in the ratio of the pool's exact output: the owner receives `out` to the wei.
        batch = Batch((intent.sell_token, intent.buy_token), (out, rest), (trade,), auction_id=2, interactions=(swap,))
        return Scenario(batch, {intent.digest(self.domain): "V2: user5 partial 2/2"}, trade)

    def _v2_route(
        self, who: str, sell: str, buy: str, amount: float, limit: float, prices: dict[str, int]
    ) -> tuple[Trade, list[Interaction], int]:
        trade = self.sign(who, self.intent(self.m.account(who), sell, buy, amount, limit, 1))
        s, b = self.t(sell), self.t(buy)
        pool = amm.v2_pool(self.w3, self.m.pool("uniswap_v2", s.address, b.address))
        trade = replace(trade, sell_to=pool.address)  # the owner's DAI goes straight into the pair
        out = pool.amount_out(s.address, trade.executed_amount)
        calls = [amm.v2_swap_received(pool, s.address, trade.executed_amount, self.settlement)]
        # Floor the sell token's price so the owner is owed at most what the pool pays (dust stays in the buffer).
        return trade, calls, out * prices[b.address] // trade.executed_amount

    def _v3_route(
        self, who: str, sell: str, buy: str, amount: float, limit: float, prices: dict[str, int]
    ) -> tuple[Trade, list[Interaction], int]:
        trade = self.sign(who, self.intent(self.m.account(who), sell, buy, amount, limit, 1))
        s, b = self.t(sell), self.t(buy)
        pool = self.m.pool("uniswap_v3", s.address, b.address, 3000)
        out, _ = amm.v3_quote(self.w3, self.m.contracts["uniswapV3QuoterV2"], s.address, b.address, pool.fee,
                              trade.executed_amount)  # fmt: skip
        # The settlement swaps with the pool itself and pays the owner's WBTC in the pool's callback.
        calls = [amm.v3_swap(pool.address, s.address == pool.token0, trade.executed_amount, self.settlement)]
        return trade, calls, out * prices[b.address] // trade.executed_amount


def units(token: TokenInfo, amount: int) -> str:
    """`amount` base units as a decimal string of whole tokens (exact, for display)."""
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    whole_part, frac = divmod(amount, 10**token.decimals)
    digits = f"{frac:0{token.decimals}d}".rstrip("0") if token.decimals else ""
    return f"{sign}{whole_part:,}" + (f".{digits}" if digits else "") + f" {token.symbol}"


def describe_settlement(scenario: Scenario, receipt: SettlementReceipt, manifest: Manifest) -> str:
    """A table of the settlement's fills: who sold and bought what, and where the volume came from."""
    by_address = {t.address: t for t in manifest.tokens.values()}
    pool_names = {p.address: f"{p.kind} {by_address[p.token0].symbol}/{by_address[p.token1].symbol}"
                  f"{'' if p.kind == 'uniswap_v2' else f' {p.fee / 10_000:g}%'}" for p in manifest.pools}  # fmt: skip
    inventory = frozenset({manifest.account("inventory").address})
    parts = attribute(receipt.fills, receipt.pool_flows, inventory)
    lines = [
        f"auction {receipt.auction_id}: tx {receipt.tx_hash} block {receipt.block_number} "
        f"gas {receipt.gas_used:,} solver {receipt.solver}"
    ]
    for f in receipt.fills:
        sold, bought = units(by_address[f.sell_token], f.sell_amount), units(by_address[f.buy_token], f.buy_amount)
        source = _source_text(parts.get(f.intent_id), by_address[f.buy_token], pool_names)
        lines.append(f"  {scenario.labels[f.intent_id]:<24} sold {sold:>22}  bought {bought:>26}  {source}")
    return "\n".join(lines)


def _source_text(part: Attribution | None, token: TokenInfo, pool_names: dict[str, str]) -> str:
    if part is None:
        return "(solver inventory: counterparty)"
    pieces = [
        f"CoW {units(token, part.cow)}" if part.cow else "",
        f"inventory {units(token, part.inventory)}" if part.inventory else "",
    ]
    pieces += [f"{pool_names[p]} {units(token, v)}" for p, v in part.amm.items()]
    return "from " + ", ".join(p for p in pieces if p)


def run(w3: Web3, manifest: Manifest) -> list[tuple[Scenario, SettlementReceipt]]:
    """Settle both demo batches as the devnet's solver; returns each scenario with its decoded receipt."""
    builder = DemoBuilder(w3, manifest, now=int(w3.eth.get_block("latest")["timestamp"]))
    client = SettlementClient.for_manifest(w3, manifest)
    solver = EthAccount.from_key(manifest.account("solver").private_key)
    first = builder.first_batch()
    settled = [(first, client.submit(first.batch, solver))]
    second = builder.second_batch(first.partial)
    settled.append((second, client.submit(second.batch, solver)))
    return settled


def summarize(settled: list[tuple[Scenario, SettlementReceipt]], manifest: Manifest) -> str:
    """Volume by source across all settlements, valued in USD at the reference prices."""
    by_address = {t.address: t for t in manifest.tokens.values()}
    inventory = frozenset({manifest.account("inventory").address})
    totals = {"cow": Fraction(0), "inventory": Fraction(0), "amm": Fraction(0)}
    for _, receipt in settled:
        for f in receipt.fills:
            part = attribute(receipt.fills, receipt.pool_flows, inventory).get(f.intent_id)
            if part is None:
                continue
            usd = Fraction(reference_price(by_address[f.buy_token]), USD)
            totals["cow"] += part.cow * usd
            totals["inventory"] += part.inventory * usd
            totals["amm"] += sum(part.amm.values()) * usd
    filled = sum(totals.values(), Fraction(0))
    rate = (totals["cow"] + totals["inventory"]) / filled if filled else Fraction(0)
    gas = sum(r.gas_used for _, r in settled)
    return (
        f"user volume ${float(filled):,.0f}: CoW ${float(totals['cow']):,.0f}, inventory "
        f"${float(totals['inventory']):,.0f}, AMM ${float(totals['amm']):,.0f}; internalization rate "
        f"{float(rate):.1%}; gas {gas:,} over {len(settled)} settlements"
    )
