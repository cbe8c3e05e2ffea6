// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title Records token balances when an interaction calls it, to see which phase it ran in.
contract BalanceProbe {
    struct Snapshot {
        uint256 tag;
        uint256 balance;
    }

    Snapshot[] public snapshots;

    function record(uint256 tag, address token, address account) external {
        snapshots.push(Snapshot(tag, IERC20(token).balanceOf(account)));
    }

    function count() external view returns (uint256) {
        return snapshots.length;
    }
}
