// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent} from "../utils/IntentBuilder.sol";
import {Batch} from "../utils/BatchBuilder.sol";

/// @notice settle(): executed amounts at prices that do not divide evenly, asserted to the wei.
/// A sell intent receives ceil(executedSell * pSell / pBuy); a buy intent pays
/// floor(executedBuy * pBuy / pSell). Both round for the owner, so a CoW between them leaves the
/// settlement one wei short, which a one-wei buffer covers.
contract SettleAmountsTest is SettlementFixture {
    uint256 internal constant P_WETH = 3000e6 + 1;
    uint256 internal constant P_USDC = 1e18;
    uint256 internal constant AMOUNT = 1e18 + 1;

    // (1e18 + 1) * (3000e6 + 1) / 1e18 = 3_000_000_001.000000003000000001
    uint256 internal constant CEIL = 3_000_000_002;
    uint256 internal constant FLOOR = 3_000_000_001;

    function oddlyPricedCow() internal returns (Batch memory) {
        Intent memory aliceSells = intent().by(aliceKey).sell(address(weth), AMOUNT).buy(address(usdc), 3000e6);
        Intent memory bobBuys = intent().by(bobKey).buyKind().sell(address(usdc), 3001e6).buy(address(weth), AMOUNT);
        return batch().price(address(weth), P_WETH).price(address(usdc), P_USDC).add(aliceSells).add(bobBuys);
    }

    function setUp() public override {
        super.setUp();
        usdc.mint(address(settlement), 1); // the rounding buffer
    }

    function test_the_expected_amounts_are_the_ceil_and_floor_of_the_exact_quotient() public pure {
        assertEq(CEIL, (AMOUNT * P_WETH + P_USDC - 1) / P_USDC);
        assertEq(FLOOR, AMOUNT * P_WETH / P_USDC);
    }

    function test_sell_intent_receives_the_buy_amount_rounded_up() public {
        settle(oddlyPricedCow());

        assertEq(balance(weth, alice), BALANCE * 1e18 - AMOUNT);
        assertEq(balance(usdc, alice), BALANCE * 1e6 + CEIL);
    }

    function test_buy_intent_pays_the_sell_amount_rounded_down() public {
        settle(oddlyPricedCow());

        assertEq(balance(weth, bob), BALANCE * 1e18 + AMOUNT);
        assertEq(balance(usdc, bob), BALANCE * 1e6 - FLOOR);
    }

    function test_owner_favouring_rounding_spends_the_settlement_buffer() public {
        settle(oddlyPricedCow());

        assertEq(balance(usdc, address(settlement)), 0);
        assertEq(balance(weth, address(settlement)), 0);
    }

    function test_reverts_when_the_settlement_cannot_cover_the_rounding() public {
        vm.prank(address(settlement));
        usdc.transfer(address(1), 1); // drop the buffer

        settleReverts(oddlyPricedCow(), abi.encodeWithSignature("TransferFailed()"));
    }

    function test_a_partial_fill_rounds_each_fill_for_the_owner() public {
        // 1 wei of WETH is worth 3e-9 USDC units: alone it still gets one unit.
        Intent memory alicePartial =
            intent().by(aliceKey).partiallyFillable().sell(address(weth), 1e18).buy(address(usdc), 1);
        Batch memory b = batch().price(address(weth), P_WETH).price(address(usdc), P_USDC);

        settle(b.add(alicePartial.executing(1)));

        assertEq(balance(usdc, alice), BALANCE * 1e6 + 1);
        assertEq(settlement.filledAmount(alicePartial.id()), 1);
    }
}
