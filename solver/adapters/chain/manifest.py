"""The devnet deployment manifest: chain id, RPC URL, start block and every deployed address.

Written by the devnet deployer (`solver.adapters.chain.devnet`) as JSON, read by everything that talks to
the chain. Private keys in it are anvil's publicly known test keys, never real secrets; they are still
kept out of reprs and logs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class TokenInfo:
    symbol: str
    address: str  # checksummed
    decimals: int


@dataclass(frozen=True, slots=True)
class PoolInfo:
    kind: str  # "uniswap_v2" | "uniswap_v3"
    address: str
    token0: str
    token1: str
    fee: int  # hundredths of a bip (V3 fee tier); 3000 for V2's 0.3 %


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    address: str
    private_key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Manifest:
    chain_id: int
    rpc_url: str
    start_block: int
    contracts: dict[str, str]  # settlement, spender, uniswapV2Factory, uniswapV2Router, uniswapV3Factory, ...
    tokens: dict[str, TokenInfo]  # by symbol
    pools: list[PoolInfo]
    accounts: dict[str, Account]  # deployer, solver, inventory, user0..userN

    def token(self, symbol: str) -> TokenInfo:
        return self.tokens[symbol]

    def account(self, name: str) -> Account:
        return self.accounts[name]

    def pool(self, kind: str, a: str, b: str, fee: int | None = None) -> PoolInfo:
        """The `kind` pool of tokens a and b (any order), at fee tier `fee` if given."""
        for p in self.pools:
            if p.kind == kind and {p.token0, p.token1} == {a, b} and fee in (None, p.fee):
                return p
        raise KeyError(f"no {kind} pool for {a}/{b} at fee {fee}")

    def users(self) -> list[Account]:
        return [a for name, a in sorted(self.accounts.items()) if name.startswith("user")]

    def to_json(self) -> str:
        data: dict[str, Any] = asdict(self)
        return json.dumps(data, indent=2, sort_keys=True)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json())

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        return cls(
            chain_id=int(data["chain_id"]),
            rpc_url=str(data["rpc_url"]),
            start_block=int(data["start_block"]),
            contracts={str(k): str(v) for k, v in data["contracts"].items()},
            tokens={str(k): TokenInfo(**v) for k, v in data["tokens"].items()},
            pools=[PoolInfo(**p) for p in data["pools"]],
            accounts={str(k): Account(**v) for k, v in data["accounts"].items()},
        )

    @classmethod
    def load(cls, path: Path) -> Manifest:
        return cls.from_json(path.read_text())
