// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISettlement} from "../interfaces/ISettlement.sol";

/// @title The settlement's balance guard.
/// @notice `snapshot` reads this contract's balance of every token of a batch, and its ETH, before the
/// batch; `check` requires afterwards that no balance went down by more than the dust allowed for it.
/// @dev A token's balance is read with a bare staticcall of `balanceOf(address(this))` (as solady's
/// SafeTransferLib.balanceOf): a call that fails or returns fewer than 32 bytes reads as zero. Only a
/// token's own code decides what it answers, so only a token whose code the caller controls (whose
/// balances are worth what its author says) could answer a lower "before" than its true balance.
library BalanceLib {
    /// @notice The settlement's balance of each of `tokens`, then its ETH balance (one word more).
    function snapshot(address[] calldata tokens) internal view returns (uint256[] memory balances) {
        assembly ("memory-safe") {
            let n := tokens.length
            balances := mload(0x40)
            mstore(balances, add(n, 1))
            let out := add(balances, 0x20)
            let end := add(out, shl(5, n))
            mstore(0x40, add(end, 0x20))
            let offset := tokens.offset
            for {} lt(out, end) {
                out := add(out, 0x20)
                offset := add(offset, 0x20)
            } {
                mstore(0x14, address()) // `balanceOf(address(this))` in scratch space at 0x10
                mstore(0x00, 0x70a08231000000000000000000000000)
                let ok := staticcall(gas(), calldataload(offset), 0x10, 0x24, 0x20, 0x20)
                mstore(out, mul(mload(0x20), and(gt(returndatasize(), 0x1f), ok)))
            }
            mstore(end, selfbalance())
        }
    }

    /// @notice Reverts `BalanceDecreased(token, before, afterwards)` for the first of `tokens` whose
    /// balance now plus `dust[i]` is below `before[i]`, or with token zero if the ETH balance is below
    /// `before[tokens.length]` (ETH has no dust).
    /// @param before what `snapshot(tokens)` returned before the batch
    /// @param dust base units token `i` may have lost to owner-favouring rounding (one per such trade)
    function check(address[] calldata tokens, uint256[] memory before, uint256[] memory dust) internal view {
        bytes4 selector = ISettlement.BalanceDecreased.selector;
        assembly ("memory-safe") {
            let n := tokens.length
            let had := add(before, 0x20)
            let allowed := add(dust, 0x20)
            let afterwards := 0
            let token := 0
            let failed := 0
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                token := shr(96, shl(96, calldataload(add(tokens.offset, shl(5, i)))))
                mstore(0x14, address()) // `balanceOf(address(this))` in scratch space at 0x10
                mstore(0x00, 0x70a08231000000000000000000000000)
                let ok := staticcall(gas(), token, 0x10, 0x24, 0x20, 0x20)
                afterwards := mul(mload(0x20), and(gt(returndatasize(), 0x1f), ok))
                had := add(before, shl(5, add(i, 1)))
                // afterwards + dust < before, without the overflow of the sum
                if lt(afterwards, mload(had)) {
                    if gt(sub(mload(had), afterwards), mload(add(allowed, shl(5, i)))) {
                        failed := 1
                        break
                    }
                }
            }
            if iszero(failed) {
                token := 0 // ETH
                had := add(before, shl(5, add(n, 1)))
                afterwards := selfbalance()
                failed := lt(afterwards, mload(had))
            }
            if failed {
                let m := mload(0x40)
                mstore(m, selector)
                mstore(add(m, 0x04), token)
                mstore(add(m, 0x24), mload(had))
                mstore(add(m, 0x44), afterwards)
                revert(m, 0x64)
            }
        }
    }
}
