// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Executed amounts and limit checks at uniform clearing prices.
/// @notice A token's clearing price is its value in a common unit per base unit, so one unit of sell
/// token buys `pSell / pBuy` units of buy token. Every rounding favours the intent's owner.
library ClearingLib {
    /// @notice True when the signed limit holds at the clearing prices:
    /// `sellAmount * pSell >= buyAmount * pBuy` (the owner values what they get at least as they asked).
    /// @dev Checked multiplication: a batch whose prices overflow reverts rather than wraps.
    function respectsLimit(uint256 sellAmount, uint256 buyAmount, uint256 pSell, uint256 pBuy)
        internal
        pure
        returns (bool)
    {
        return sellAmount * pSell >= buyAmount * pBuy;
    }

    /// @notice Buy amount owed for `executedSell` of a sell intent: `ceil(executedSell * pSell / pBuy)`,
    /// rounded up in favour of the owner.
    function buyForSell(uint256 executedSell, uint256 pSell, uint256 pBuy) internal pure returns (uint256) {
        uint256 numerator = executedSell * pSell;
        unchecked {
            // pBuy != 0 is checked by the caller; (n + d - 1) / d without the overflow of n + d.
            return numerator == 0 ? 0 : (numerator - 1) / pBuy + 1;
        }
    }

    /// @notice Sell amount charged for `executedBuy` of a buy intent: `floor(executedBuy * pBuy / pSell)`,
    /// rounded down in favour of the owner.
    function sellForBuy(uint256 executedBuy, uint256 pSell, uint256 pBuy) internal pure returns (uint256) {
        return executedBuy * pBuy / pSell;
    }
}
