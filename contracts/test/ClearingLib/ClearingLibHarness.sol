// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingLib} from "../../src/libraries/ClearingLib.sol";

/// @dev Exposes ClearingLib's internal functions as external calls (so reverts can be expected).
contract ClearingLibHarness {
    function respectsLimit(uint256 sellAmount, uint256 buyAmount, uint256 pSell, uint256 pBuy)
        external
        pure
        returns (bool)
    {
        return ClearingLib.respectsLimit(sellAmount, buyAmount, pSell, pBuy);
    }

    function buyForSell(uint256 executedSell, uint256 pSell, uint256 pBuy) external pure returns (uint256) {
        return ClearingLib.buyForSell(executedSell, pSell, pBuy);
    }

    function sellForBuy(uint256 executedBuy, uint256 pSell, uint256 pBuy) external pure returns (uint256) {
        return ClearingLib.sellForBuy(executedBuy, pSell, pBuy);
    }
}
