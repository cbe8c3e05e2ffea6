// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

/// @title The one address users approve.
/// @notice Only the settlement that deployed it can make it move tokens. The settlement reverts any
/// interaction that targets this contract, so a solver's calldata can never spend a user's approval:
/// tokens leave an owner only for a trade of that owner's signed intent, in the amount it executes.
contract IntentSpender {
    /// @notice The settlement allowed to drive this spender.
    address public immutable settlement;

    error OnlySettlement(address caller);

    constructor() {
        settlement = msg.sender;
    }

    /// @notice Move `amount` of `token` from `owner` to `to` (the settlement, or a pool it swaps with).
    /// @dev Callable by the settlement only; handles tokens that return no boolean.
    function pull(address token, address owner, address to, uint256 amount) external {
        if (msg.sender != settlement) revert OnlySettlement(msg.sender);
        SafeTransferLib.safeTransferFrom(token, owner, to, amount);
    }
}
