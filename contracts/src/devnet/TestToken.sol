// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title A plain OpenZeppelin ERC20 with chosen decimals, mintable by its deployer (devnet and tests only).
contract TestToken is ERC20 {
    uint8 private immutable tokenDecimals;
    address public immutable minter;

    error OnlyMinter(address caller);

    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        tokenDecimals = decimals_;
        minter = msg.sender;
    }

    function decimals() public view override returns (uint8) {
        return tokenDecimals;
    }

    /// @notice Mint `amount` base units to `to`. Deployer only.
    function mint(address to, uint256 amount) external {
        if (msg.sender != minter) revert OnlyMinter(msg.sender);
        _mint(to, amount);
    }
}
