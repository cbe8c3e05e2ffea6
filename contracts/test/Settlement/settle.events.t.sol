// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent} from "../utils/IntentBuilder.sol";
import {Batch, BatchBuilder} from "../utils/BatchBuilder.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";
import {BalanceProbe} from "../utils/BalanceProbe.sol";

/// @dev The log-recording cheatcodes, missing from the npm forge-std 1.1.2 Vm interface.
interface LogRecorder {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory);
}

/// @notice settle(): Fill and Settled carry the right fields, in order; interactions emit nothing.
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

    function test_emits_fills_then_settled_and_nothing_for_interactions() public {
        BalanceProbe probe = new BalanceProbe();
        allowAdapter(address(probe)); // an owner-listed adapter: the settlement may call it with anything
        bytes memory call = abi.encodeCall(BalanceProbe.record, (0, address(weth), alice));
        Batch memory b = wethUsdcBatch().add(aliceSells).add(bobBuys).auction(1);
        b.interact(BatchBuilder.BEFORE, address(probe), call);
        b.interact(BatchBuilder.BETWEEN, address(probe), call);
        b.interact(BatchBuilder.AFTER, address(probe), call);

        LogRecorder(address(vm)).recordLogs();
        expectEvent();
        emit ISettlement.Fill(alice, aliceSells.id(), address(weth), address(usdc), 2e18, 6000e6);
        expectEvent();
        emit ISettlement.Fill(bob, bobBuys.id(), address(usdc), address(weth), 6000e6, 2e18);
        expectEvent();
        emit ISettlement.Settled(solver, 1);
        settle(b);
        assertEq(settlementLogCount(), 3, "two fills and the settlement, no event per interaction");
    }

    function settlementLogCount() internal returns (uint256 n) {
        LogRecorder.Log[] memory logs = LogRecorder(address(vm)).getRecordedLogs();
        for (uint256 k; k < logs.length; ++k) {
            if (logs[k].emitter == address(settlement)) ++n;
        }
    }
}
