// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent} from "../utils/IntentBuilder.sol";
import {Batch, BatchBuilder} from "../utils/BatchBuilder.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";

/// @notice settle(): every revert path outside signature checking, each with its exact error.
/// (Signatures: settle.signatures.t.sol; interactions: settle.interactions.reverts.t.sol.)
contract SettleRevertsTest is SettlementFixture {
    function aliceSells() internal returns (Intent memory) {
        return intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6);
    }

    function bobBuys() internal returns (Intent memory) {
        return intent().by(bobKey).buyKind().sell(address(usdc), 3100e6).buy(address(weth), 1e18);
    }

    function err(bytes4 selector, bytes32 id) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id);
    }

    // ---- caller and batch shape -----------------------------------------------------------------

    function test_reverts_when_the_caller_is_not_an_allowed_solver() public {
        address stranger = makeAddr("stranger");
        Batch memory b = wethUsdcBatch().add(aliceSells()).add(bobBuys());

        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotSolver.selector, stranger));
        vm.prank(stranger);
        b.settleOn(settlement);
    }

    function test_reverts_when_the_solver_was_removed() public {
        vm.prank(admin);
        settlement.setSolver(solver, false);

        settleReverts(batch(), abi.encodeWithSelector(ISettlement.NotSolver.selector, solver));
    }

    function test_reverts_when_prices_and_tokens_differ_in_count() public {
        Batch memory b = wethUsdcBatch();
        b.prices = new uint256[](1);
        b.prices[0] = 1;

        settleReverts(b, abi.encodeWithSelector(ISettlement.PriceCountMismatch.selector, 2, 1));
    }

    /// @dev `n` distinct token addresses in increasing order, each priced 1 (no trade reads them).
    function increasingTokens(uint256 n) internal pure returns (Batch memory b) {
        b = BatchBuilder.batch().inInsertionOrder();
        b.tokens = new address[](n);
        b.prices = new uint256[](n);
        for (uint256 j; j < n; ++j) {
            (b.tokens[j], b.prices[j]) = (address(uint160(0x1000 + 0x10 * j)), 1);
        }
    }

    function test_settles_tokens_in_strictly_increasing_address_order() public {
        settle(increasingTokens(6));
    }

    function test_reverts_at_the_first_token_not_greater_than_its_predecessor() public {
        // Every position, odd and even, of batches of 2 to 6 tokens; a token equal to its predecessor
        // (a duplicate: a second price for the same token) or below it.
        for (uint256 n = 2; n <= 6; ++n) {
            for (uint256 k = 1; k < n; ++k) {
                for (uint256 duplicate; duplicate < 2; ++duplicate) {
                    Batch memory b = increasingTokens(n);
                    address previous = b.tokens[k - 1];
                    b.tokens[k] = duplicate == 1 ? previous : address(uint160(previous) - 1);

                    settleReverts(b, abi.encodeWithSelector(ISettlement.UnsortedTokens.selector, k));
                }
            }
        }
    }

    function test_reverts_when_the_sell_token_index_is_out_of_range() public {
        Batch memory b = wethUsdcBatch().add(aliceSells());
        b.trades[0].sellTokenIndex = 2;

        settleReverts(b, abi.encodeWithSelector(ISettlement.TokenIndexOutOfRange.selector, 2));
    }

    function test_reverts_when_the_buy_token_index_is_out_of_range() public {
        Batch memory b = wethUsdcBatch().add(aliceSells());
        b.trades[0].buyTokenIndex = type(uint256).max;

        settleReverts(b, abi.encodeWithSelector(ISettlement.TokenIndexOutOfRange.selector, type(uint256).max));
    }

    function test_reverts_when_the_sell_token_price_is_zero() public {
        Batch memory b = wethUsdcBatch().price(address(weth), 0).add(aliceSells());

        settleReverts(b, abi.encodeWithSelector(ISettlement.ZeroClearingPrice.selector, address(weth)));
    }

    function test_reverts_when_the_buy_token_price_is_zero() public {
        Batch memory b = wethUsdcBatch().price(address(usdc), 0).add(aliceSells());

        settleReverts(b, abi.encodeWithSelector(ISettlement.ZeroClearingPrice.selector, address(usdc)));
    }

    function test_reverts_when_prices_overflow_the_limit_check() public {
        Batch memory b = wethUsdcBatch().price(address(weth), type(uint256).max).add(aliceSells());

        settleReverts(b, abi.encodeWithSignature("Panic(uint256)", 0x11));
    }

    // ---- validity and replay --------------------------------------------------------------------

    function test_reverts_when_the_intent_expired() public {
        uint256 validTo = block.timestamp + 60;
        Intent memory expiring = aliceSells().validUntil(validTo);
        Batch memory b = wethUsdcBatch().add(expiring).add(bobBuys());
        vm.warp(validTo + 1);

        settleReverts(b, abi.encodeWithSelector(ISettlement.IntentExpired.selector, expiring.id(), validTo));
    }

    function test_reverts_when_a_fill_or_kill_intent_is_replayed_in_a_later_batch() public {
        Batch memory b = wethUsdcBatch().add(aliceSells().withNonce(5)).add(bobBuys());
        settle(b);

        settleReverts(b, abi.encodeWithSelector(ISettlement.NonceAlreadyUsed.selector, alice, 5));
    }

    function test_reverts_when_the_same_intent_appears_twice_in_one_batch() public {
        Batch memory b = wethUsdcBatch().add(aliceSells()).add(aliceSells());

        settleReverts(b, abi.encodeWithSelector(ISettlement.NonceAlreadyUsed.selector, alice, 0));
    }

    function test_reverts_when_another_fill_or_kill_intent_reuses_a_used_nonce() public {
        settle(wethUsdcBatch().add(aliceSells().withNonce(9)).add(bobBuys()));
        Intent memory other = intent().by(aliceKey).sell(address(weth), 2e18).buy(address(usdc), 5000e6).withNonce(9);

        settleReverts(
            wethUsdcBatch().add(other), abi.encodeWithSelector(ISettlement.NonceAlreadyUsed.selector, alice, 9)
        );
    }

    // ---- executed amounts -----------------------------------------------------------------------

    function test_reverts_when_a_fill_or_kill_intent_is_executed_partially() public {
        Batch memory b = wethUsdcBatch().add(aliceSells().executing(0.5e18));

        settleReverts(b, abi.encodeWithSelector(ISettlement.InvalidExecutedAmount.selector, aliceSells().id(), 0.5e18));
    }

    function test_reverts_when_a_fill_or_kill_intent_is_executed_beyond_its_amount() public {
        Batch memory b = wethUsdcBatch().add(bobBuys().executing(1e18 + 1));

        settleReverts(b, abi.encodeWithSelector(ISettlement.InvalidExecutedAmount.selector, bobBuys().id(), 1e18 + 1));
    }

    function test_reverts_when_a_fill_or_kill_intent_executes_zero() public {
        Batch memory b = wethUsdcBatch().add(aliceSells().executing(0));

        settleReverts(b, abi.encodeWithSelector(ISettlement.InvalidExecutedAmount.selector, aliceSells().id(), 0));
    }

    function test_reverts_when_a_partially_fillable_intent_executes_zero() public {
        Intent memory partialSell = aliceSells().partiallyFillable();
        Batch memory b = wethUsdcBatch().add(partialSell.executing(0));

        settleReverts(b, abi.encodeWithSelector(ISettlement.InvalidExecutedAmount.selector, partialSell.id(), 0));
    }

    function test_reverts_when_a_single_fill_exceeds_the_signed_amount() public {
        Intent memory partialSell = aliceSells().partiallyFillable();
        Batch memory b = wethUsdcBatch().add(partialSell.executing(1e18 + 1));

        settleReverts(b, abi.encodeWithSelector(ISettlement.OverFill.selector, partialSell.id(), 0, 1e18 + 1, 1e18));
    }

    function test_reverts_when_a_later_fill_exceeds_what_is_left() public {
        Intent memory partialBuy = bobBuys().partiallyFillable();
        Intent memory partialSell = aliceSells().partiallyFillable();
        settle(wethUsdcBatch().add(partialBuy.copy().executing(0.7e18)).add(partialSell.executing(0.7e18)));

        Batch memory again = wethUsdcBatch().add(partialBuy.copy().executing(0.4e18));
        settleReverts(
            again, abi.encodeWithSelector(ISettlement.OverFill.selector, partialBuy.id(), 0.7e18, 0.4e18, 1e18)
        );
    }

    function test_reverts_when_the_same_partial_intent_overfills_within_one_batch() public {
        Intent memory partialSell = aliceSells().partiallyFillable();
        Batch memory b =
            wethUsdcBatch().add(partialSell.copy().executing(0.6e18)).add(partialSell.copy().executing(0.6e18));

        settleReverts(b, abi.encodeWithSelector(ISettlement.OverFill.selector, partialSell.id(), 0.6e18, 0.6e18, 1e18));
    }

    // ---- limit price ----------------------------------------------------------------------------

    function test_reverts_when_the_clearing_price_is_below_a_sell_limit() public {
        // Alice wants at least 2900 USDC per WETH; 2899.999999 is one unit short.
        Batch memory b = batch().price(address(weth), 2899_999999).price(address(usdc), 1e18).add(aliceSells());

        settleReverts(b, err(ISettlement.LimitPriceViolated.selector, aliceSells().id()));
    }

    function test_settles_at_exactly_the_sell_limit() public {
        Intent memory bobSells = intent().by(bobKey).sell(address(usdc), 2900e6).buy(address(weth), 1e18);
        settle(batch().price(address(weth), 2900e6).price(address(usdc), 1e18).add(aliceSells()).add(bobSells));

        assertEq(balance(usdc, alice), BALANCE * 1e6 + 2900e6);
    }

    function test_reverts_when_the_clearing_price_is_above_a_buy_limit() public {
        // Bob pays at most 3100 USDC per WETH.
        Batch memory b = batch().price(address(weth), 3100_000001).price(address(usdc), 1e18).add(bobBuys());

        settleReverts(b, err(ISettlement.LimitPriceViolated.selector, bobBuys().id()));
    }
}
