// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ClearingLibTest} from "./ClearingLibTest.sol";

/// @notice ClearingLib.respectsLimit: sellAmount * pSell >= buyAmount * pBuy.
contract RespectsLimitTest is ClearingLibTest {
    function test_holds_at_exactly_the_limit_price() public view {
        // Sell 1 WETH for at least 3000 USDC at WETH = 3000 USDC.
        assertTrue(lib.respectsLimit(1e18, 3000e6, 3000e6, 1e18));
    }

    function test_holds_at_a_better_price() public view {
        assertTrue(lib.respectsLimit(1e18, 3000e6, 3000e6 + 1, 1e18));
    }

    function test_fails_one_unit_below_the_limit_price() public view {
        assertFalse(lib.respectsLimit(1e18, 3000e6, 3000e6 - 1, 1e18));
    }

    function test_reverts_when_a_product_overflows() public {
        vm.expectRevert(panic(0x11));
        lib.respectsLimit(2, 1, type(uint256).max, 1);
    }

    function testFuzz_matches_the_full_width_comparison(
        uint256 sellAmount,
        uint256 buyAmount,
        uint256 pSell,
        uint256 pBuy
    ) public view {
        sellAmount = bound(sellAmount, 0, MAX_AMOUNT);
        buyAmount = bound(buyAmount, 0, MAX_AMOUNT);
        pSell = bound(pSell, 0, MAX_PRICE);
        pBuy = bound(pBuy, 0, MAX_PRICE);

        assertEq(lib.respectsLimit(sellAmount, buyAmount, pSell, pBuy), productGe(sellAmount, pSell, buyAmount, pBuy));
    }

    function testFuzz_is_monotonic_in_the_sell_price(uint256 sellAmount, uint256 buyAmount, uint256 pSell, uint256 pBuy)
        public
        view
    {
        sellAmount = bound(sellAmount, 0, MAX_AMOUNT);
        buyAmount = bound(buyAmount, 0, MAX_AMOUNT);
        pSell = bound(pSell, 0, MAX_PRICE - 1);
        pBuy = bound(pBuy, 0, MAX_PRICE);

        if (lib.respectsLimit(sellAmount, buyAmount, pSell, pBuy)) {
            assertTrue(
                lib.respectsLimit(sellAmount, buyAmount, pSell + 1, pBuy), "a higher sell price still respects it"
            );
        }
    }
}
