// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISettlement} from "../../src/interfaces/ISettlement.sol";
import {Intent} from "./IntentBuilder.sol";

/// @notice The arguments of one `settle` call, under construction.
struct Batch {
    address[] tokens;
    uint256[] prices;
    ISettlement.Trade[] trades;
    ISettlement.Interaction[][3] interactions;
    uint256 auctionId;
    bool unsorted; // keep `tokens` in insertion order on settle (negative tests of the order rule)
}

using BatchBuilder for Batch global;

/// @title Fluent builder of settle() arguments.
/// @notice `BatchBuilder.batch().price(weth, 3000e6).price(usdc, 1e18).add(aliceIntent).add(bobIntent)`.
/// Register a token's price before adding intents that trade it. Tokens are kept in insertion order
/// (and trades' indices refer to it) until the batch is settled: `settleOn` sorts them by address, as
/// the contract requires, and remaps the trades' indices (see `sort`).
library BatchBuilder {
    uint256 internal constant BEFORE = 0; // before the pulls
    uint256 internal constant BETWEEN = 1; // after the pulls, before the payouts
    uint256 internal constant AFTER = 2; // after the payouts

    function batch() internal pure returns (Batch memory b) {}

    /// @dev Adds `token` with clearing price `p`, or reprices it if already in the batch.
    function price(Batch memory b, address token, uint256 p) internal pure returns (Batch memory) {
        for (uint256 k; k < b.tokens.length; ++k) {
            if (b.tokens[k] == token) {
                b.prices[k] = p;
                return b;
            }
        }
        address[] memory tokens = new address[](b.tokens.length + 1);
        uint256[] memory prices = new uint256[](b.tokens.length + 1);
        for (uint256 k; k < b.tokens.length; ++k) {
            (tokens[k], prices[k]) = (b.tokens[k], b.prices[k]);
        }
        (tokens[b.tokens.length], prices[b.tokens.length]) = (token, p);
        (b.tokens, b.prices) = (tokens, prices);
        return b;
    }

    /// @dev Signs `intent` and appends its trade.
    function add(Batch memory b, Intent memory intent) internal returns (Batch memory) {
        return addTrade(b, intent.trade(b.tokens));
    }

    function addTrade(Batch memory b, ISettlement.Trade memory t) internal pure returns (Batch memory) {
        ISettlement.Trade[] memory trades = new ISettlement.Trade[](b.trades.length + 1);
        for (uint256 k; k < b.trades.length; ++k) {
            trades[k] = b.trades[k];
        }
        trades[b.trades.length] = t;
        b.trades = trades;
        return b;
    }

    function interact(Batch memory b, uint256 phase, address target, bytes memory callData)
        internal
        pure
        returns (Batch memory)
    {
        return interact(b, phase, target, 0, callData);
    }

    function interact(Batch memory b, uint256 phase, address target, uint256 value, bytes memory callData)
        internal
        pure
        returns (Batch memory)
    {
        ISettlement.Interaction[] memory old = b.interactions[phase];
        ISettlement.Interaction[] memory calls = new ISettlement.Interaction[](old.length + 1);
        for (uint256 k; k < old.length; ++k) {
            calls[k] = old[k];
        }
        calls[old.length] = ISettlement.Interaction(target, value, callData);
        b.interactions[phase] = calls;
        return b;
    }

    function auction(Batch memory b, uint256 auctionId) internal pure returns (Batch memory) {
        b.auctionId = auctionId;
        return b;
    }

    /// @dev Keep the tokens in insertion order when settling (to test the contract's order rule).
    function inInsertionOrder(Batch memory b) internal pure returns (Batch memory) {
        b.unsorted = true;
        return b;
    }

    /// @dev Sorts the tokens (with their prices) by address, in place, and remaps every trade's in-range
    /// token indices to the new order; out-of-range indices are left as they are. Idempotent.
    function sort(Batch memory b) internal pure returns (Batch memory) {
        uint256 n = b.tokens.length;
        uint256[] memory order = new uint256[](n); // order[k]: old index of the k-th smallest token
        for (uint256 k; k < n; ++k) {
            order[k] = k;
        }
        for (uint256 k = 1; k < n; ++k) {
            for (uint256 j = k; j > 0 && b.tokens[order[j]] < b.tokens[order[j - 1]]; --j) {
                (order[j], order[j - 1]) = (order[j - 1], order[j]);
            }
        }
        address[] memory tokens = new address[](n);
        uint256[] memory prices = new uint256[](n);
        uint256[] memory newIndex = new uint256[](n);
        for (uint256 k; k < n; ++k) {
            (tokens[k], prices[k]) = (b.tokens[order[k]], b.prices.length > order[k] ? b.prices[order[k]] : 0);
            newIndex[order[k]] = k;
        }
        for (uint256 t; t < b.trades.length; ++t) {
            ISettlement.Trade memory trade = b.trades[t];
            if (trade.sellTokenIndex < n) trade.sellTokenIndex = newIndex[trade.sellTokenIndex];
            if (trade.buyTokenIndex < n) trade.buyTokenIndex = newIndex[trade.buyTokenIndex];
        }
        if (b.prices.length == n) b.prices = prices;
        b.tokens = tokens;
        return b;
    }

    /// @dev Calls settle with this batch, tokens sorted unless `inInsertionOrder` (the caller pranks the
    /// solver first).
    function settleOn(Batch memory b, ISettlement settlement) internal {
        if (!b.unsorted) sort(b);
        settlement.settle(b.tokens, b.prices, b.trades, b.interactions, b.auctionId);
    }
}
