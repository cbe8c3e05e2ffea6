// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingLibTest} from "./ClearingLibTest.sol";

/// @notice ClearingLib.sellForBuy: floor(executedBuy * pBuy / pSell), the most that is worth no more
/// than what was bought.
contract SellForBuyTest is ClearingLibTest {
    function test_is_exact_when_the_division_is_exact() public view {
        // Buying 2 WETH at 3000 USDC costs 6000 USDC: pSell = pUsdc, pBuy = pWeth.
        assertEq(lib.sellForBuy(2e18, 1e18, 3000e6), 6000e6);
    }

    function test_rounds_a_fraction_down() public view {
        assertEq(lib.sellForBuy(10, 7, 3), 4); // 30 / 7 = 4.29
        assertEq(lib.sellForBuy(1, 1e18, 1), 0); // worth less than a unit: free
    }

    function test_reverts_when_the_sell_price_is_zero() public {
        vm.expectRevert(panic(0x12));
        lib.sellForBuy(1, 0, 1);
    }

    function test_reverts_when_the_product_overflows() public {
        vm.expectRevert(panic(0x11));
        lib.sellForBuy(type(uint256).max, 1, 2);
    }

    function testFuzz_rounds_down_and_is_maximal(uint256 executedBuy, uint256 pSell, uint256 pBuy) public view {
        executedBuy = bound(executedBuy, 0, MAX_AMOUNT);
        pSell = bound(pSell, 1, MAX_PRICE);
        pBuy = bound(pBuy, 0, MAX_PRICE);

        uint256 sell = lib.sellForBuy(executedBuy, pSell, pBuy);

        assertTrue(productGe(executedBuy, pBuy, sell, pSell), "worth at most what was bought");
        assertTrue(productLt(executedBuy, pBuy, sell + 1, pSell), "one unit more would be worth more");
    }
}
