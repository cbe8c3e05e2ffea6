// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingLibTest} from "./ClearingLibTest.sol";

/// @notice ClearingLib.buyForSell: ceil(executedSell * pSell / pBuy), the least amount worth at
/// least what was sold.
contract BuyForSellTest is ClearingLibTest {
    function test_is_exact_when_the_division_is_exact() public view {
        assertEq(lib.buyForSell(2e18, 3000e6, 1e18), 6000e6);
    }

    function test_rounds_a_fraction_up() public view {
        assertEq(lib.buyForSell(10, 3, 7), 5); // 30 / 7 = 4.29
        assertEq(lib.buyForSell(1, 1, 1e18), 1); // 1e-18 rounds up to one unit
    }

    function test_is_zero_for_zero() public view {
        assertEq(lib.buyForSell(0, 3, 7), 0);
        assertEq(lib.buyForSell(5, 0, 7), 0);
    }

    function test_reverts_when_the_product_overflows() public {
        vm.expectRevert(panic(0x11));
        lib.buyForSell(type(uint256).max, 2, 1);
    }

    function test_handles_a_product_of_exactly_max_uint() public view {
        assertEq(lib.buyForSell(type(uint256).max, 1, 1), type(uint256).max);
        assertEq(lib.buyForSell(type(uint256).max, 1, 2), type(uint256).max / 2 + 1);
    }

    function testFuzz_rounds_up_and_is_minimal(uint256 executedSell, uint256 pSell, uint256 pBuy) public view {
        executedSell = bound(executedSell, 0, MAX_AMOUNT);
        pSell = bound(pSell, 0, MAX_PRICE);
        pBuy = bound(pBuy, 1, MAX_PRICE);

        uint256 buy = lib.buyForSell(executedSell, pSell, pBuy);

        assertTrue(productGe(buy, pBuy, executedSell, pSell), "worth at least what was sold");
        if (buy > 0) assertTrue(productLt(buy - 1, pBuy, executedSell, pSell), "one unit less would not be");
    }
}
