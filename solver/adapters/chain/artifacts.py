"""Contract artifacts: ABI and creation bytecode, from our forge build and the official Uniswap npm builds.

Our contracts come from `contracts/out/<File>.sol/<Name>.json` (forge: `abi`, `bytecode.object`), compiled
by `scripts/setup.sh`. Uniswap comes verbatim from the pinned npm packages, never re-implemented:
v2-core / v2-periphery `build/<Name>.json` (waffle: `abi`, `bytecode` without 0x) and v3-core /
v3-periphery `artifacts/contracts/.../<Name>.json` (hardhat: `abi`, `bytecode` with 0x).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak

from solver.adapters.chain.rpc import ChainError

ROOT_ENV = "SOLVER_PROJECT_ROOT"  # optional override of the project root

# Official Uniswap artifacts, relative to node_modules/@uniswap.
UNISWAP_ARTIFACTS: dict[str, str] = {
    "UniswapV2Factory": "v2-core/build/UniswapV2Factory.json",
    "UniswapV2Pair": "v2-core/build/UniswapV2Pair.json",
    "UniswapV2Router02": "v2-periphery/build/UniswapV2Router02.json",
    "UniswapV3Factory": "v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
    "UniswapV3Pool": "v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json",
    "SwapRouter": "v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json",
    "QuoterV2": "v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json",
    "NonfungiblePositionManager": (
        "v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json"
    ),
}

SETUP_HINT = "run `bash scripts/setup.sh` (installs node_modules and compiles contracts/out)"


class ArtifactError(ChainError):
    """An artifact is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Artifact:
    """A contract's ABI, creation (init) bytecode and, when the build has it, runtime bytecode."""

    abi: list[dict[str, Any]] = field(repr=False)
    bytecode: bytes = field(repr=False)  # creation code, constructor arguments not appended
    name: str = ""
    deployed_bytecode: bytes = field(default=b"", repr=False)  # runtime code as compiled (b"" if absent)

    @property
    def init_code_hash(self) -> bytes:
        """keccak256 of the creation code (what CREATE2 address derivations commit to)."""
        return keccak(self.bytecode)

    @property
    def runtime_code_hash(self) -> bytes:
        """keccak256 of the compiled runtime code: the EXTCODEHASH of every deployment of a contract without
        immutables or linked libraries (e.g. every UniswapV2Pair)."""
        if not self.deployed_bytecode:
            raise ArtifactError(f"{self.name}: the artifact has no runtime bytecode")
        return keccak(self.deployed_bytecode)


def project_root() -> Path:
    """The repository root: `$SOLVER_PROJECT_ROOT`, else the nearest ancestor holding pyproject.toml."""
    override = os.environ.get(ROOT_ENV)
    if override:
        return Path(override).resolve()
    here = Path(__file__).resolve()
    for candidate in here.parents:
        if (candidate / "pyproject.toml").is_file() and (candidate / "contracts").is_dir():
            return candidate
    raise ArtifactError(f"no project root above {here}; set ${ROOT_ENV}")


def forge_artifact(contract: str, source_file: str | None = None, root: Path | None = None) -> Artifact:
    """Our compiled contract `contract` from `contracts/out/<source_file or contract>.sol/<contract>.json`."""
    base = root or project_root()
    path = base / "contracts" / "out" / f"{source_file or contract}.sol" / f"{contract}.json"
    data = _read_json(path)
    bytecode, deployed = data.get("bytecode"), data.get("deployedBytecode")
    code = bytecode.get("object") if isinstance(bytecode, dict) else None
    runtime = deployed.get("object") if isinstance(deployed, dict) else None
    return _artifact(contract, path, data.get("abi"), code, runtime)


def uniswap_artifact(contract: str, root: Path | None = None) -> Artifact:
    """The official npm build of a Uniswap contract named in `UNISWAP_ARTIFACTS`."""
    if contract not in UNISWAP_ARTIFACTS:
        raise ArtifactError(f"unknown Uniswap artifact {contract!r}; known: {sorted(UNISWAP_ARTIFACTS)}")
    path = (root or project_root()) / "node_modules" / "@uniswap" / UNISWAP_ARTIFACTS[contract]
    data = _read_json(path)
    runtime = data.get("deployedBytecode")  # hardhat (V3)
    evm = data.get("evm")
    if runtime is None and isinstance(evm, dict) and isinstance(evm.get("deployedBytecode"), dict):
        runtime = evm["deployedBytecode"].get("object")  # waffle (V2)
    return _artifact(contract, path, data.get("abi"), data.get("bytecode"), runtime)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ArtifactError(f"missing artifact {path}; {SETUP_HINT}")
    return _parse_json(path, path.stat().st_mtime_ns)


@cache
def _parse_json(path: Path, mtime_ns: int) -> dict[str, Any]:
    """Parsed once per (path, modification time): a rebuilt artifact is read afresh."""
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ArtifactError(f"{path}: not a JSON object")
    return data


def _artifact(name: str, path: Path, abi: Any, code: Any, runtime: Any = None) -> Artifact:
    if not isinstance(abi, list):
        raise ArtifactError(f"{path}: no `abi` list")
    if not isinstance(code, str) or not code.removeprefix("0x"):
        raise ArtifactError(f"{path}: no creation bytecode (abstract contract or interface?)")
    hex_code = code.removeprefix("0x")
    if "__" in hex_code:
        raise ArtifactError(f"{path}: bytecode has unlinked library placeholders")
    hex_runtime = runtime.removeprefix("0x") if isinstance(runtime, str) and "__" not in runtime else ""
    return Artifact(abi=abi, bytecode=bytes.fromhex(hex_code), name=name, deployed_bytecode=bytes.fromhex(hex_runtime))
