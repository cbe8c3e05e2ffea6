// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent} from "../utils/IntentBuilder.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";

/// @notice invalidateNonces(): on-chain cancellation in the caller's own bitmap.
contract InvalidateNoncesTest is SettlementFixture {
    function test_sets_the_bits_of_the_mask_in_the_callers_word() public {
        vm.prank(alice);
        settlement.invalidateNonces(3, (1 << 0) | (1 << 200));

        assertEq(settlement.nonceBitmap(alice, 3), (1 << 0) | (1 << 200));
        assertTrue(settlement.isNonceUsed(alice, 3 * 256));
        assertTrue(settlement.isNonceUsed(alice, 3 * 256 + 200));
        assertFalse(settlement.isNonceUsed(alice, 3 * 256 + 1));
    }

    function test_keeps_bits_already_set() public {
        vm.startPrank(alice);
        settlement.invalidateNonces(0, 0x0f);
        settlement.invalidateNonces(0, 0xf0);
        vm.stopPrank();

        assertEq(settlement.nonceBitmap(alice, 0), 0xff);
    }

    function test_touches_only_the_callers_bitmap() public {
        vm.prank(alice);
        settlement.invalidateNonces(0, 1);

        assertEq(settlement.nonceBitmap(bob, 0), 0);
        assertFalse(settlement.isNonceUsed(bob, 0));
    }

    function test_emits_nonces_invalidated() public {
        vm.expectEmit(true, true, true, true, address(settlement));
        emit ISettlement.NoncesInvalidated(alice, 7, 0xabc);
        vm.prank(alice);
        settlement.invalidateNonces(7, 0xabc);
    }

    function test_cancels_a_fill_or_kill_intent_so_a_later_settle_reverts() public {
        Intent memory i = intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6).withNonce(300);
        vm.prank(alice);
        settlement.invalidateNonces(1, 1 << 44);

        settleReverts(wethUsdcBatch().add(i), abi.encodeWithSelector(ISettlement.NonceAlreadyUsed.selector, alice, 300));
    }

    function test_cancels_a_partially_fillable_intent_so_a_later_settle_reverts() public {
        Intent memory i = intent().by(aliceKey).partiallyFillable().sell(address(weth), 2e18).buy(address(usdc), 5800e6)
            .withNonce(42).executing(1e18);
        vm.prank(alice);
        settlement.invalidateNonces(0, 1 << 42);

        settleReverts(wethUsdcBatch().add(i), abi.encodeWithSelector(ISettlement.IntentCancelled.selector, i.id()));
    }

    function test_cancels_the_rest_of_a_partially_filled_intent() public {
        Intent memory i = intent().by(aliceKey).partiallyFillable().sell(address(weth), 2e18).buy(address(usdc), 5800e6)
            .withNonce(42).executing(1e18);
        settle(wethUsdcBatch().add(i).add(mirror(i)));
        vm.prank(alice);
        settlement.invalidateNonces(0, 1 << 42);

        settleReverts(wethUsdcBatch().add(i), abi.encodeWithSelector(ISettlement.IntentCancelled.selector, i.id()));
        assertEq(settlement.filledAmount(i.id()), 1e18);
    }

    function test_an_empty_mask_changes_nothing() public {
        vm.prank(alice);
        settlement.invalidateNonces(0, 0);

        assertEq(settlement.nonceBitmap(alice, 0), 0);
    }
}
