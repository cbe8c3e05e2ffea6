"""ISettlement.sol declares the whole external surface of the deployed Settlement: every function (with its
mutability), event and error of the compiled contract, so integrators can build against the interface alone."""

from __future__ import annotations

import json
from typing import Any

from solver.adapters.chain.artifacts import project_root


def abi(contract: str) -> list[dict[str, Any]]:
    path = project_root() / "contracts" / "out" / f"{contract}.sol" / f"{contract}.json"
    entries: list[dict[str, Any]] = json.loads(path.read_text())["abi"]
    return entries


def signature(entry: dict[str, Any]) -> str:
    def kind(param: dict[str, Any]) -> str:
        if param["type"].startswith("tuple"):
            return "(" + ",".join(kind(c) for c in param["components"]) + ")" + param["type"][5:]
        return str(param["type"])

    return f"{entry['type']} {entry.get('name', '')}({','.join(kind(p) for p in entry.get('inputs', []))})"


def surface(contract: str) -> dict[str, str]:
    """Signature -> what else must match (mutability and outputs for functions, indexed flags for events)."""
    out: dict[str, str] = {}
    for entry in abi(contract):
        if entry["type"] in ("constructor", "receive", "fallback"):
            continue
        extra = entry.get("stateMutability", "") + " -> " + ",".join(o["type"] for o in entry.get("outputs", []))
        if entry["type"] == "event":
            extra = ",".join(str(p["indexed"]) for p in entry["inputs"])
        out[signature(entry)] = extra
    return out


def test_the_interface_declares_every_external_function_event_and_error_of_the_settlement() -> None:
    settlement, interface = surface("Settlement"), surface("ISettlement")
    missing = {s: v for s, v in settlement.items() if interface.get(s) != v}
    assert missing == {}, f"not declared in ISettlement (or declared differently): {sorted(missing)}"
    extra = sorted(set(interface) - set(settlement))
    assert extra == [], f"declared in ISettlement but not implemented: {extra}"
    for name in (
        "owner", "pendingOwner", "setSolver", "isSolver", "setInventoryAccount", "isInventoryAccount", "setAdapter",
        "isAdapter", "transferOwnership", "acceptOwnership", "spender", "settle", "uniswapV3SwapCallback",
        "invalidateNonces", "isNonceUsed", "domainSeparatorV4", "intentId",
    ):  # fmt: skip
        assert any(s.startswith(f"function {name}(") for s in interface), name
