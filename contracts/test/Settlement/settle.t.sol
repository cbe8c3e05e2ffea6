// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent} from "../utils/IntentBuilder.sol";
import {Batch} from "../utils/BatchBuilder.sol";

/// @notice settle(): what a valid batch moves, to the wei.
contract SettleTest is SettlementFixture {
    function aliceSellsOneWeth() internal returns (Intent memory) {
        return intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6);
    }

    function bobSellsUsdcForWeth() internal returns (Intent memory) {
        return intent().by(bobKey).sell(address(usdc), 3000e6).buy(address(weth), 0.99e18);
    }

    function test_settles_a_cow_between_two_opposite_sell_intents_at_uniform_prices() public {
        settle(wethUsdcBatch().add(aliceSellsOneWeth()).add(bobSellsUsdcForWeth()));

        assertEq(balance(weth, alice), BALANCE * 1e18 - 1e18);
        assertEq(balance(usdc, alice), BALANCE * 1e6 + 3000e6);
        assertEq(balance(weth, bob), BALANCE * 1e18 + 1e18);
        assertEq(balance(usdc, bob), BALANCE * 1e6 - 3000e6);
        assertEq(balance(weth, address(settlement)), 0);
        assertEq(balance(usdc, address(settlement)), 0);
    }

    function test_settles_a_buy_intent_against_a_sell_intent() public {
        Intent memory bobBuysOneWeth =
            intent().by(bobKey).buyKind().sell(address(usdc), 3100e6).buy(address(weth), 1e18);

        settle(wethUsdcBatch().add(aliceSellsOneWeth()).add(bobBuysOneWeth));

        assertEq(balance(weth, bob), BALANCE * 1e18 + 1e18, "bob receives exactly the buy amount");
        assertEq(balance(usdc, bob), BALANCE * 1e6 - 3000e6, "bob pays the clearing price, not his limit");
        assertEq(balance(usdc, alice), BALANCE * 1e6 + 3000e6);
    }

    function test_pays_the_receiver_when_it_is_not_the_owner() public {
        address coldWallet = makeAddr("alice cold wallet");

        settle(wethUsdcBatch().add(aliceSellsOneWeth().to(coldWallet)).add(bobSellsUsdcForWeth()));

        assertEq(balance(usdc, coldWallet), 3000e6);
        assertEq(balance(usdc, alice), BALANCE * 1e6, "the owner gets nothing");
        assertEq(balance(weth, alice), BALANCE * 1e18 - 1e18, "the owner still pays");
    }

    function test_pays_the_owner_when_the_receiver_is_zero() public {
        Intent memory toZero = aliceSellsOneWeth().to(address(0));

        settle(wethUsdcBatch().add(toZero).add(bobSellsUsdcForWeth()));

        assertEq(balance(usdc, alice), BALANCE * 1e6 + 3000e6);
        assertEq(balance(usdc, address(0)), 0);
    }

    function test_fills_a_partially_fillable_intent_over_two_batches_and_tracks_filledAmount() public {
        Intent memory alicePartial =
            intent().by(aliceKey).partiallyFillable().sell(address(weth), 10e18).buy(address(usdc), 29_000e6);
        bytes32 id = alicePartial.id();

        Intent memory bobTakes4 = intent().by(bobKey).buyKind().sell(address(usdc), 12_000e6).buy(address(weth), 4e18);
        settle(wethUsdcBatch().add(alicePartial.copy().executing(4e18)).add(bobTakes4));
        assertEq(settlement.filledAmount(id), 4e18);

        Intent memory carolTakes6 =
            intent().by(carolKey).buyKind().sell(address(usdc), 18_000e6).buy(address(weth), 6e18);
        settle(wethUsdcBatch().add(alicePartial.copy().executing(6e18)).add(carolTakes6));
        assertEq(settlement.filledAmount(id), 10e18);

        assertEq(balance(weth, alice), BALANCE * 1e18 - 10e18);
        assertEq(balance(usdc, alice), BALANCE * 1e6 + 30_000e6);
        assertFalse(settlement.isNonceUsed(alice, 0), "partial fills never use the nonce");
    }

    function test_settles_a_fill_from_a_registered_inventory_account() public {
        (address inventory, uint256 inventoryKey) = makeAccount("solver inventory");
        fund(inventory);
        vm.prank(admin);
        settlement.setInventoryAccount(inventory, true);
        // The solver's inventory signs the opposite side at solve time.
        Intent memory inventoryBuys =
            intent().by(inventoryKey).buyKind().sell(address(usdc), 3000e6).buy(address(weth), 1e18);

        settle(wethUsdcBatch().add(aliceSellsOneWeth()).add(inventoryBuys));

        assertTrue(settlement.isInventoryAccount(inventory));
        assertEq(balance(usdc, alice), BALANCE * 1e6 + 3000e6);
        assertEq(balance(weth, inventory), BALANCE * 1e18 + 1e18);
        assertEq(balance(usdc, inventory), BALANCE * 1e6 - 3000e6);
    }

    function test_settles_an_intent_at_the_last_second_it_is_valid() public {
        Intent memory expiring = aliceSellsOneWeth().validUntil(block.timestamp + 60);
        Batch memory b = wethUsdcBatch().add(expiring).add(bobSellsUsdcForWeth());
        vm.warp(block.timestamp + 60);

        settle(b);

        assertEq(balance(usdc, alice), BALANCE * 1e6 + 3000e6);
    }

    function test_uses_the_nonce_of_a_fill_or_kill_intent() public {
        settle(wethUsdcBatch().add(aliceSellsOneWeth().withNonce(777)).add(bobSellsUsdcForWeth()));

        assertTrue(settlement.isNonceUsed(alice, 777));
        assertFalse(settlement.isNonceUsed(alice, 776));
        assertEq(settlement.nonceBitmap(alice, 3), 1 << (777 - 768));
    }

    function test_settles_an_empty_batch() public {
        settle(batch());
    }
}
