"""The local devnet: anvil plus a deterministic deployment of tokens, the settlement and Uniswap V2/V3.

`deploy` sends a fixed sequence of transactions from anvil's unlocked default accounts (deployer =
account 0), so every run on a fresh anvil yields the same addresses. It deploys four TestTokens (WETH,
USDC, WBTC, DAI), the official Uniswap V2 factory and Router02 and the official Uniswap V3 factory,
SwapRouter, QuoterV2 and NonfungiblePositionManager, then the Settlement (which deploys its
IntentSpender) told how to recognise genuine Uniswap pairs and pools: the UniswapV2Pair runtime code hash
(from the npm build, checked against every deployed pair's EXTCODEHASH), the V3 factory and the V3 pool
init code hash. Then four funded V2 pairs and V3 pools at several fee tiers holding liquidity over several
tick ranges. Users and the inventory account are funded and max-approve the spender. Returns a `Manifest`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from eth_account import Account as EthAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3

from solver.adapters.chain.anvil import (
    ANVIL_MNEMONIC,
    DEFAULT_PORT,
    AnvilError,
    AnvilProcess,
    free_port,
    port_is_free,
)
from solver.adapters.chain.artifacts import Artifact, forge_artifact, uniswap_artifact
from solver.adapters.chain.manifest import Account, Manifest, PoolInfo, TokenInfo
from solver.adapters.chain.rpc import ChainError, call, connect, send_transaction
from solver.adapters.chain.uniswap import (
    V2_FEE,
    V2_PAIR_INIT_CODE_HASH,
    V3_POOL_INIT_CODE_HASH,
    V3_TICK_SPACING,
    full_range,
    range_around,
    raw_price,
    sort_tokens,
    sqrt_price_x96,
    v2_pair_address,
    v3_pool_address,
)

__all__ = [
    "DEFAULT_PORT",
    "AnvilError",
    "AnvilProcess",
    "DeploymentError",
    "Devnet",
    "deploy",
    "dev_accounts",
    "free_port",
    "port_is_free",
    "revert",
    "running_devnet",
    "snapshot",
    "usd_to_units",
]

MAX_UINT256 = 2**256 - 1
DEADLINE = 2**64 - 1  # unix seconds: never expires on a devnet
# Gas limit of every deployment transaction, so anvil needs no estimate (faster, and an exact estimate
# can run short on V3 mints when the block timestamp moves). Below EIP-7825's 2**24 per-transaction cap.
TX_GAS_LIMIT = 16_000_000
N_USERS = 6

# (symbol, name, decimals, USD per whole token): the reference prices every pool is seeded at.
TOKENS: tuple[tuple[str, str, int, int], ...] = (
    ("WETH", "Wrapped Ether", 18, 3_000),
    ("USDC", "USD Coin", 6, 1),
    ("WBTC", "Wrapped BTC", 8, 60_000),
    ("DAI", "Dai Stablecoin", 18, 1),
)
_USD: dict[str, int] = {symbol: usd for symbol, _name, _decimals, usd in TOKENS}
# Whole tokens each user (resp. the inventory account, the settlement contract) receives.
USER_FUNDS: dict[str, Fraction] = {"WETH": Fraction(100), "USDC": Fraction(500_000), "WBTC": Fraction(5),
                                   "DAI": Fraction(500_000)}  # fmt: skip
INVENTORY_FUNDS: dict[str, Fraction] = {"WETH": Fraction(2_000), "USDC": Fraction(6_000_000),
                                        "WBTC": Fraction(100), "DAI": Fraction(6_000_000)}  # fmt: skip
SETTLEMENT_BUFFER: dict[str, Fraction] = {"WETH": Fraction(1, 100), "USDC": Fraction(10),
                                          "WBTC": Fraction(1, 2_000), "DAI": Fraction(10)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class V2PairSpec:
    a: str
    b: str
    usd_per_side: int  # USD value of each token added


@dataclass(frozen=True, slots=True)
class V3Position:
    half_width: int | None  # ticks either side of the pool's tick (1 tick ~ 1 bp); None = full range
    usd_per_side: int  # USD value of each token offered; the position manager uses what fits


@dataclass(frozen=True, slots=True)
class V3PoolSpec:
    a: str
    b: str
    fee: int  # hundredths of a bip
    positions: tuple[V3Position, ...]


V2_PAIRS: tuple[V2PairSpec, ...] = (
    V2PairSpec("WETH", "USDC", 3_000_000),
    V2PairSpec("WETH", "DAI", 2_000_000),
    V2PairSpec("WBTC", "WETH", 2_000_000),
    V2PairSpec("USDC", "DAI", 2_000_000),
)
# One full range plus narrower ranges around the price: a swap of a few hundred thousand USD crosses
# initialized ticks. Volatile pairs: about +-20 %, +-5 %, +-1 % and +-0.3 %; stable pairs: +-0.5 %,
# +-0.1 % and +-0.02 %.
_VOLATILE = (
    V3Position(None, 1_000_000),
    V3Position(2_000, 1_000_000),
    V3Position(500, 500_000),
    V3Position(100, 250_000),
    V3Position(30, 100_000),
)
_STABLE = (
    V3Position(None, 500_000),
    V3Position(50, 1_000_000),
    V3Position(10, 500_000),
    V3Position(2, 250_000),
)
V3_POOLS: tuple[V3PoolSpec, ...] = (
    V3PoolSpec("WETH", "USDC", 500, _VOLATILE),
    V3PoolSpec("WETH", "USDC", 3000, _VOLATILE),
    V3PoolSpec("WBTC", "WETH", 3000, _VOLATILE),
    V3PoolSpec("DAI", "USDC", 100, _STABLE),
)


class DeploymentError(ChainError):
    """The deployment did not come out as designed (e.g. an init code hash mismatch)."""


def dev_accounts(count: int) -> list[Account]:
    """anvil's default accounts 0..count-1 with their (public, test-only) private keys."""
    EthAccount.enable_unaudited_hdwallet_features()
    accounts = []
    for index in range(count):
        key = EthAccount.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
        accounts.append(Account(name=f"account{index}", address=key.address, private_key=key.key.to_0x_hex()))
    return accounts


def named_accounts(n_users: int = N_USERS) -> dict[str, Account]:
    """deployer (0), solver (1), inventory (2), user0..user{n-1} (3..)."""
    names = ["deployer", "solver", "inventory"] + [f"user{i}" for i in range(n_users)]
    return {
        name: Account(name=name, address=acc.address, private_key=acc.private_key)
        for name, acc in zip(names, dev_accounts(len(names)), strict=True)
    }


def snapshot(w3: Web3) -> str:
    """Take an anvil state snapshot; the id is single-use."""
    return str(call(w3, "evm_snapshot"))


def revert(w3: Web3, snapshot_id: str) -> None:
    """Restore the state of `snapshot_id` (consumes it)."""
    if call(w3, "evm_revert", snapshot_id) is not True:
        raise ChainError(f"evm_revert({snapshot_id}) failed")


class _Chain:
    """Sends the deployment's transactions from unlocked accounts and reads contract state."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.artifacts = {name: uniswap_artifact(name) for name in _UNISWAP_NAMES}
        self.artifacts["TestToken"] = forge_artifact("TestToken")
        self.artifacts["Settlement"] = forge_artifact("Settlement")
        self.artifacts["IntentSpender"] = forge_artifact("IntentSpender")
        self._contracts = {name: w3.eth.contract(abi=a.abi, bytecode=a.bytecode) for name, a in self.artifacts.items()}

    def create(self, sender: str, name: str, *args: Any) -> str:
        data = self._contracts[name].constructor(*args).data_in_transaction
        tx = {"from": sender, "data": data, "gas": hex(TX_GAS_LIMIT)}
        receipt = send_transaction(self.w3, tx, what=f"deploy {name}")
        return to_checksum_address(receipt["contractAddress"])

    def send(self, sender: str, to: str, name: str, fn: str, *args: Any) -> dict[str, Any]:
        data = self._contracts[name].encode_abi(fn, args=list(args))
        tx = {"from": sender, "to": to, "data": data, "gas": hex(TX_GAS_LIMIT)}
        return send_transaction(self.w3, tx, what=f"{name}.{fn}")

    def read(self, to: str, name: str, fn: str, *args: Any) -> Any:
        contract = self.w3.eth.contract(address=to_checksum_address(to), abi=self.artifacts[name].abi)
        return contract.functions[fn](*args).call()


_UNISWAP_NAMES = (
    "UniswapV2Factory", "UniswapV2Pair", "UniswapV2Router02", "UniswapV3Factory", "UniswapV3Pool",
    "SwapRouter", "QuoterV2", "NonfungiblePositionManager",
)  # fmt: skip


def deploy(w3: Web3 | str, *, n_users: int = N_USERS, rpc_url: str | None = None) -> Manifest:
    """Deploy everything on a fresh anvil and return the manifest (same addresses on every run).

    `w3` is a connection or an RPC URL; `rpc_url` overrides the URL written into the manifest.
    Switches an interval-mining anvil to automine for the deployment and back afterwards.
    """
    if isinstance(w3, str):
        rpc_url, w3 = rpc_url or w3, connect(w3)
    url = rpc_url or str(getattr(w3.provider, "endpoint_uri", ""))
    chain = _Chain(w3)
    _check_init_code_hashes(chain.artifacts)
    accounts = named_accounts(n_users)
    with _instant_mining(w3):
        if int(call(w3, "eth_getTransactionCount", accounts["deployer"].address, "latest"), 16) != 0:
            raise DeploymentError("the deployer has sent transactions already: deploy needs a fresh anvil")
        tokens = _deploy_tokens(chain, accounts["deployer"].address)
        contracts = _deploy_uniswap(chain, accounts["deployer"].address, tokens["WETH"].address)
        contracts |= _deploy_settlement(chain, accounts, contracts["uniswapV3Factory"])
        _fund_accounts(chain, accounts, tokens, contracts)
        pools = _seed_v2(chain, accounts["deployer"].address, tokens, contracts)
        pools += _seed_v3(chain, accounts["deployer"].address, tokens, contracts)
        _check_pair_code(w3, chain.artifacts["UniswapV2Pair"], pools)
        start_block = int(call(w3, "eth_blockNumber"), 16)
    return Manifest(
        chain_id=int(call(w3, "eth_chainId"), 16),
        rpc_url=url,
        start_block=start_block,
        contracts=contracts,
        tokens=tokens,
        pools=pools,
        accounts=accounts,
    )


@contextmanager
def _instant_mining(w3: Web3) -> Iterator[None]:
    """Automine for the duration; restores interval mining (its period, seconds) if it was on."""
    if call(w3, "anvil_getAutomine") is True:
        yield
        return
    interval = call(w3, "anvil_getIntervalMining")
    call(w3, "evm_setAutomine", True)
    try:
        yield
    finally:
        if interval:
            call(w3, "evm_setIntervalMining", interval)
        else:
            call(w3, "evm_setAutomine", False)


def _check_init_code_hashes(artifacts: dict[str, Artifact]) -> None:
    """The npm core builds must hash to the constants the periphery builds hard-code."""
    pair, pool = artifacts["UniswapV2Pair"], artifacts["UniswapV3Pool"]
    if pair.init_code_hash != V2_PAIR_INIT_CODE_HASH:
        raise DeploymentError(f"UniswapV2Pair init code hash is 0x{pair.init_code_hash.hex()}")
    if pool.init_code_hash != V3_POOL_INIT_CODE_HASH:
        raise DeploymentError(f"UniswapV3Pool init code hash is 0x{pool.init_code_hash.hex()}")
    for name, expected in (("UniswapV2Router02", V2_PAIR_INIT_CODE_HASH), ("SwapRouter", V3_POOL_INIT_CODE_HASH),
                           ("QuoterV2", V3_POOL_INIT_CODE_HASH),
                           ("NonfungiblePositionManager", V3_POOL_INIT_CODE_HASH)):  # fmt: skip
        if expected not in artifacts[name].bytecode:
            raise DeploymentError(f"{name} does not embed init code hash 0x{expected.hex()}")


def _units(amount: Fraction, decimals: int) -> int:
    """Whole tokens -> base units (rounded down)."""
    return int(amount * 10**decimals)


def usd_to_units(usd: int, token: TokenInfo) -> int:
    """Base units of `token` worth `usd` US dollars at its reference price (rounded down)."""
    return _units(Fraction(usd, _USD[token.symbol]), token.decimals)


def _deploy_tokens(chain: _Chain, deployer: str) -> dict[str, TokenInfo]:
    tokens = {}
    for symbol, name, decimals, _usd in TOKENS:
        address = chain.create(deployer, "TestToken", name, symbol, decimals)
        tokens[symbol] = TokenInfo(symbol=symbol, address=address, decimals=decimals)
    return tokens


def _check_pair_code(w3: Web3, pair: Artifact, pools: list[PoolInfo]) -> None:
    """Every deployed V2 pair's EXTCODEHASH is the npm build's runtime code hash the settlement recognises."""
    expected = pair.runtime_code_hash
    for pool in pools:
        if pool.kind == "uniswap_v2" and keccak(bytes(w3.eth.get_code(to_checksum_address(pool.address)))) != expected:
            raise DeploymentError(f"V2 pair {pool.address}: runtime code hash differs from the npm build's")


def _deploy_settlement(chain: _Chain, accounts: dict[str, Account], v3_factory: str) -> dict[str, str]:
    """The Settlement, recognising the genuine V2 pair code, the V3 factory and the V3 pool init code."""
    deployer = accounts["deployer"].address
    pair_code_hash = chain.artifacts["UniswapV2Pair"].runtime_code_hash
    settlement = chain.create(deployer, "Settlement", deployer, pair_code_hash, v3_factory, V3_POOL_INIT_CODE_HASH)
    immutables = tuple(chain.read(settlement, "Settlement", name) for name in
                       ("uniswapV2PairCodeHash", "uniswapV3Factory", "uniswapV3PoolInitCodeHash"))  # fmt: skip
    if immutables != (pair_code_hash, v3_factory, V3_POOL_INIT_CODE_HASH):
        raise DeploymentError(f"the settlement recognises {immutables}, not the devnet's Uniswap")
    spender = to_checksum_address(chain.read(settlement, "Settlement", "spender"))
    chain.send(deployer, settlement, "Settlement", "setSolver", accounts["solver"].address, True)
    chain.send(deployer, settlement, "Settlement", "setInventoryAccount", accounts["inventory"].address, True)
    return {"settlement": settlement, "spender": spender}


def _deploy_uniswap(chain: _Chain, deployer: str, weth: str) -> dict[str, str]:
    v2_factory = chain.create(deployer, "UniswapV2Factory", deployer)
    v2_router = chain.create(deployer, "UniswapV2Router02", v2_factory, weth)
    v3_factory = chain.create(deployer, "UniswapV3Factory")
    chain.send(deployer, v3_factory, "UniswapV3Factory", "enableFeeAmount", 100, V3_TICK_SPACING[100])
    swap_router = chain.create(deployer, "SwapRouter", v3_factory, weth)
    quoter = chain.create(deployer, "QuoterV2", v3_factory, weth)
    # The token descriptor only serves tokenURI(); the deployer stands in for it.
    position_manager = chain.create(deployer, "NonfungiblePositionManager", v3_factory, weth, deployer)
    return {
        "uniswapV2Factory": v2_factory,
        "uniswapV2Router": v2_router,
        "uniswapV3Factory": v3_factory,
        "uniswapV3SwapRouter": swap_router,
        "uniswapV3QuoterV2": quoter,
        "uniswapV3PositionManager": position_manager,
    }


def _liquidity_budget(symbol: str) -> Fraction:
    """Whole tokens of `symbol` the deployer needs for every pair and position (USD / price)."""
    usd = sum(p.usd_per_side for p in V2_PAIRS if symbol in (p.a, p.b))
    usd += sum(pos.usd_per_side for s in V3_POOLS if symbol in (s.a, s.b) for pos in s.positions)
    return Fraction(usd, _USD[symbol])


def _fund_accounts(
    chain: _Chain, accounts: dict[str, Account], tokens: dict[str, TokenInfo], contracts: dict[str, str]
) -> None:
    """Mint to the deployer (liquidity), inventory, users and the settlement; approve spenders."""
    deployer = accounts["deployer"].address
    holders = [accounts["inventory"]] + [a for n, a in accounts.items() if n.startswith("user")]
    for token in tokens.values():
        mint = (_liquidity_budget(token.symbol), deployer), (SETTLEMENT_BUFFER[token.symbol], contracts["settlement"])
        for amount, to in mint:
            chain.send(deployer, token.address, "TestToken", "mint", to, _units(amount, token.decimals))
        for holder in holders:
            funds = INVENTORY_FUNDS if holder.name == "inventory" else USER_FUNDS
            chain.send(deployer, token.address, "TestToken", "mint", holder.address,
                       _units(funds[token.symbol], token.decimals))  # fmt: skip
            chain.send(holder.address, token.address, "TestToken", "approve", contracts["spender"], MAX_UINT256)
        for spender in (contracts["uniswapV2Router"], contracts["uniswapV3PositionManager"]):
            chain.send(deployer, token.address, "TestToken", "approve", spender, MAX_UINT256)


def _seed_v2(chain: _Chain, deployer: str, tokens: dict[str, TokenInfo], contracts: dict[str, str]) -> list[PoolInfo]:
    """Create each V2 pair through Router02.addLiquidity and check it sits at its CREATE2 address."""
    factory, router = contracts["uniswapV2Factory"], contracts["uniswapV2Router"]
    pools = []
    for spec in V2_PAIRS:
        a, b = tokens[spec.a], tokens[spec.b]
        amount_a, amount_b = usd_to_units(spec.usd_per_side, a), usd_to_units(spec.usd_per_side, b)
        chain.send(deployer, router, "UniswapV2Router02", "addLiquidity",
                   a.address, b.address, amount_a, amount_b, amount_a, amount_b, deployer, DEADLINE)  # fmt: skip
        pair = to_checksum_address(chain.read(factory, "UniswapV2Factory", "getPair", a.address, b.address))
        expected = v2_pair_address(factory, a.address, b.address)
        if pair != expected:
            raise DeploymentError(f"V2 pair {spec.a}/{spec.b} at {pair}, Router02 computes {expected}")
        token0, token1 = sort_tokens(a.address, b.address)
        pools.append(PoolInfo(kind="uniswap_v2", address=pair, token0=token0, token1=token1, fee=V2_FEE))
    return pools


def _seed_v3(chain: _Chain, deployer: str, tokens: dict[str, TokenInfo], contracts: dict[str, str]) -> list[PoolInfo]:
    """Create and initialize each V3 pool at its reference price, then mint its positions."""
    by_address = {t.address: t for t in tokens.values()}
    pools = []
    for spec in V3_POOLS:
        address0, address1 = sort_tokens(tokens[spec.a].address, tokens[spec.b].address)
        t0, t1 = by_address[address0], by_address[address1]
        pool = _create_v3_pool(chain, deployer, contracts, t0, t1, spec.fee)
        tick = int(chain.read(pool, "UniswapV3Pool", "slot0")[1])
        for position in spec.positions:
            _mint_v3_position(chain, deployer, contracts, t0, t1, spec.fee, tick, position)
        pools.append(PoolInfo(kind="uniswap_v3", address=pool, token0=address0, token1=address1, fee=spec.fee))
    return pools


def _create_v3_pool(
    chain: _Chain, deployer: str, contracts: dict[str, str], t0: TokenInfo, t1: TokenInfo, fee: int
) -> str:
    factory, manager = contracts["uniswapV3Factory"], contracts["uniswapV3PositionManager"]
    price = raw_price(Fraction(_USD[t0.symbol]), t0.decimals, Fraction(_USD[t1.symbol]), t1.decimals)
    chain.send(deployer, manager, "NonfungiblePositionManager", "createAndInitializePoolIfNecessary",
               t0.address, t1.address, fee, sqrt_price_x96(price))  # fmt: skip
    pool = to_checksum_address(chain.read(factory, "UniswapV3Factory", "getPool", t0.address, t1.address, fee))
    expected = v3_pool_address(factory, t0.address, t1.address, fee)
    if pool != expected:
        raise DeploymentError(f"V3 pool {t0.symbol}/{t1.symbol}/{fee} at {pool}, periphery computes {expected}")
    return pool


def _mint_v3_position(
    chain: _Chain,
    deployer: str,
    contracts: dict[str, str],
    t0: TokenInfo,
    t1: TokenInfo,
    fee: int,
    tick: int,
    position: V3Position,
) -> None:
    spacing = V3_TICK_SPACING[fee]
    lower, upper = (
        full_range(spacing) if position.half_width is None else range_around(tick, position.half_width, spacing)
    )
    amount0, amount1 = usd_to_units(position.usd_per_side, t0), usd_to_units(position.usd_per_side, t1)
    params = (t0.address, t1.address, fee, lower, upper, amount0, amount1, 0, 0, deployer, DEADLINE)
    chain.send(deployer, contracts["uniswapV3PositionManager"], "NonfungiblePositionManager", "mint", params)


@dataclass(frozen=True, slots=True)
class Devnet:
    """A running anvil with everything deployed."""

    anvil: AnvilProcess
    w3: Web3
    manifest: Manifest
    deploy_seconds: float  # wall-clock time of `deploy`

    @property
    def rpc_url(self) -> str:
        return self.anvil.rpc_url


@contextmanager
def running_devnet(port: int | None = None, *, block_time: float | None = None) -> Iterator[Devnet]:
    """Start anvil (on `port`, default a free one), deploy, yield the `Devnet`; stop anvil on exit."""
    with AnvilProcess(port if port is not None else free_port(), block_time=block_time) as anvil:
        w3 = connect(anvil.rpc_url)
        started = time.perf_counter()
        manifest = deploy(w3, rpc_url=anvil.rpc_url)
        yield Devnet(anvil=anvil, w3=w3, manifest=manifest, deploy_seconds=time.perf_counter() - started)
