// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent} from "../utils/IntentBuilder.sol";

/// @notice isNonceUsed(): bit `nonce & 255` of word `nonce >> 8`.
contract IsNonceUsedTest is SettlementFixture {
    function test_is_false_for_a_fresh_nonce() public view {
        assertFalse(settlement.isNonceUsed(alice, 0));
        assertFalse(settlement.isNonceUsed(alice, type(uint256).max));
    }

    function test_is_true_after_a_fill_or_kill_intent_settles() public {
        Intent memory i = intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6).withNonce(513);

        settle(wethUsdcBatch().add(i).add(mirror(i)));

        assertTrue(settlement.isNonceUsed(alice, 513));
        assertFalse(settlement.isNonceUsed(bob, 513));
    }

    function test_is_false_after_a_partially_fillable_intent_fills_completely() public {
        Intent memory i = intent().by(aliceKey).partiallyFillable().sell(address(weth), 1e18).buy(address(usdc), 2900e6);

        settle(wethUsdcBatch().add(i).add(mirror(i)));

        assertEq(settlement.filledAmount(i.id()), 1e18);
        assertFalse(settlement.isNonceUsed(alice, 0));
    }

    function test_maps_the_highest_nonce_to_the_top_bit_of_the_last_word() public {
        vm.prank(alice);
        settlement.invalidateNonces(type(uint256).max >> 8, 1 << 255);

        assertTrue(settlement.isNonceUsed(alice, type(uint256).max));
        assertFalse(settlement.isNonceUsed(alice, type(uint256).max - 1));
    }

    function testFuzz_reads_the_bit_that_invalidateNonces_sets(uint256 nonce, uint256 other) public {
        vm.assume(other != nonce);
        vm.prank(alice);
        settlement.invalidateNonces(nonce >> 8, 1 << (nonce & 255));

        assertTrue(settlement.isNonceUsed(alice, nonce));
        assertFalse(settlement.isNonceUsed(alice, other));
    }
}
