// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingLibTest} from "./ClearingLibTest.sol";

/// @notice Whenever respectsLimit holds, no fill gives the owner a worse ratio than the signed limit
/// buyAmount / sellAmount, for any executed amount up to the full one.
contract LimitGuaranteeTest is ClearingLibTest {
    struct Case {
        uint256 sellAmount;
        uint256 buyAmount;
        uint256 pSell;
        uint256 pBuy;
        uint256 executed;
    }

    function limitRespectingCase(uint256[5] memory seed, bool isBuy) internal returns (Case memory c) {
        c.sellAmount = bound(seed[0], 1, MAX_AMOUNT);
        c.buyAmount = bound(seed[1], 1, MAX_AMOUNT);
        c.pSell = bound(seed[2], 1, MAX_PRICE);
        c.pBuy = bound(seed[3], 1, MAX_PRICE);
        c.executed = bound(seed[4], 1, isBuy ? c.buyAmount : c.sellAmount);
        vm.assume(lib.respectsLimit(c.sellAmount, c.buyAmount, c.pSell, c.pBuy));
    }

    function testFuzz_a_sell_intent_receives_at_least_its_limit_ratio(uint256[5] memory seed) public {
        Case memory c = limitRespectingCase(seed, false);

        uint256 executedBuy = lib.buyForSell(c.executed, c.pSell, c.pBuy);

        // executedBuy / executedSell >= buyAmount / sellAmount
        assertTrue(productGe(executedBuy, c.sellAmount, c.executed, c.buyAmount));
    }

    function testFuzz_a_buy_intent_pays_at_most_its_limit_ratio(uint256[5] memory seed) public {
        Case memory c = limitRespectingCase(seed, true);

        uint256 executedSell = lib.sellForBuy(c.executed, c.pSell, c.pBuy);

        // executedSell / executedBuy <= sellAmount / buyAmount
        assertTrue(productGe(c.executed, c.sellAmount, executedSell, c.buyAmount));
        assertLe(executedSell, c.sellAmount, "never more than the signed sell amount");
    }

    function testFuzz_a_full_sell_fill_receives_at_least_the_buy_amount(uint256[5] memory seed) public {
        Case memory c = limitRespectingCase(seed, false);

        assertGe(lib.buyForSell(c.sellAmount, c.pSell, c.pBuy), c.buyAmount);
    }
}
