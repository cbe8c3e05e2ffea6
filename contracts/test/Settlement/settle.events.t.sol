// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent} from "../utils/IntentBuilder.sol";
import {Batch, BatchBuilder} from "../utils/BatchBuilder.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";
import {BalanceProbe} from "../utils/BalanceProbe.sol";

/// @notice settle(): Fill, Interacted and Settled carry the right fields, in order.
contract SettleEventsTest is SettlementFixture {
    Intent internal aliceSells;
    Intent internal bobBuys;

    function setUp() public override {
        super.setUp();
        aliceSells = intent().by(aliceKey).sell(address(weth), 2e18).buy(address(usdc), 5000e6);
        bobBuys = intent().by(bobKey).buyKind().sell(address(usdc), 7000e6).buy(address(weth), 2e18);
    }

    function expectEvent() internal {
        vm.expectEmit(true, true, true, true, address(settlement));
    }

    function test_emits_a_fill_per_trade_with_the_executed_amounts() public {
        Batch memory b = wethUsdcBatch().add(aliceSells).add(bobBuys);

        expectEvent();
        emit ISettlement.Fill(alice, aliceSells.id(), address(weth), address(usdc), 2e18, 6000e6);
        expectEvent();
        emit ISettlement.Fill(bob, bobBuys.id(), address(usdc), address(weth), 6000e6, 2e18);
        settle(b);
    }

    function test_emits_settled_with_the_solver_and_auction_id() public {
        Batch memory b = wethUsdcBatch().add(aliceSells).add(bobBuys).auction(424242);

        expectEvent();
        emit ISettlement.Settled(solver, 424242);
        settle(b);
    }

    function test_emits_interacted_with_target_value_and_selector() public {
        BalanceProbe probe = new BalanceProbe();
        vm.deal(address(settlement), 1 ether);
        bytes memory call = abi.encodeCall(BalanceProbe.record, (7, address(weth), alice));
        Batch memory b = batch().interact(BatchBuilder.BEFORE, address(probe), call);
        b.interact(BatchBuilder.AFTER, makeAddr("eth sink"), 0.25 ether, "");

        expectEvent();
        emit ISettlement.Interacted(address(probe), 0, BalanceProbe.record.selector);
        expectEvent();
        emit ISettlement.Interacted(makeAddr("eth sink"), 0.25 ether, bytes4(0));
        settle(b);
        assertEq(makeAddr("eth sink").balance, 0.25 ether);
    }

    function test_emits_interactions_fills_and_settled_in_execution_order() public {
        BalanceProbe probe = new BalanceProbe();
        bytes memory call = abi.encodeCall(BalanceProbe.record, (0, address(weth), alice));
        Batch memory b = wethUsdcBatch().add(aliceSells).add(bobBuys).auction(1);
        b.interact(BatchBuilder.BEFORE, address(probe), call);
        b.interact(BatchBuilder.BETWEEN, address(probe), call);
        b.interact(BatchBuilder.AFTER, address(probe), call);

        expectEvent();
        emit ISettlement.Interacted(address(probe), 0, BalanceProbe.record.selector);
        expectEvent();
        emit ISettlement.Fill(alice, aliceSells.id(), address(weth), address(usdc), 2e18, 6000e6);
        expectEvent();
        emit ISettlement.Fill(bob, bobBuys.id(), address(usdc), address(weth), 6000e6, 2e18);
        expectEvent();
        emit ISettlement.Interacted(address(probe), 0, BalanceProbe.record.selector);
        expectEvent();
        emit ISettlement.Interacted(address(probe), 0, BalanceProbe.record.selector);
        expectEvent();
        emit ISettlement.Settled(solver, 1);
        settle(b);
    }
}
