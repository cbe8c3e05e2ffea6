// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "../utils/BaseTest.sol";
import {Intent} from "../utils/IntentBuilder.sol";
import {SettlementHandler} from "./SettlementHandler.sol";
import {Settlement} from "../../src/Settlement.sol";

/// @notice Properties that hold after any sequence of random valid and invalid batches, refills,
/// replays, cancellations, solver toggles and settle attempts by strangers.
contract SettlementInvariantsTest is BaseTest {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    SettlementHandler internal handler;
    Settlement internal settlement;

    function setUp() public {
        vm.warp(1_700_000_000);
        handler = new SettlementHandler();
        settlement = handler.settlement();
    }

    /// @dev Read by forge: fuzz only the handler's actions.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory actions = new bytes4[](8);
        actions[0] = SettlementHandler.settleRandomBatch.selector;
        actions[1] = SettlementHandler.settleAsStranger.selector;
        actions[2] = SettlementHandler.settleAsSolver2.selector;
        actions[3] = SettlementHandler.toggleSolver2.selector;
        actions[4] = SettlementHandler.refillPartial.selector;
        actions[5] = SettlementHandler.replayFillOrKill.selector;
        actions[6] = SettlementHandler.cancelPartial.selector;
        actions[7] = SettlementHandler.warp.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), actions);
    }

    function invariant_no_owner_receives_less_than_its_limit() public view {
        assertEq(handler.limitViolations(), 0);
    }

    function invariant_no_intent_executes_more_than_it_signed() public view {
        assertEq(handler.overExecutions(), 0);
        for (uint256 k; k < handler.partialCount(); ++k) {
            Intent memory i = handler.partialIntent(k);
            bytes32 id = i.id();
            assertLe(settlement.filledAmount(id), i.fullAmount(), "filled beyond the signed amount");
            assertEq(settlement.filledAmount(id), handler.ghostFilled(id), "filledAmount matches the tokens moved");
        }
        for (uint256 k; k < handler.fokCount(); ++k) {
            Intent memory i = handler.fokIntent(k);
            assertEq(handler.fokFills(i.id()), 1, "a fill-or-kill intent settles once");
            assertTrue(settlement.isNonceUsed(i.owner, i.nonce), "and uses its nonce");
        }
    }

    function invariant_only_allow_listed_solvers_settle() public view {
        assertEq(handler.nonSolverSettles(), 0);
    }

    function invariant_invalid_batches_never_settle_and_revert_with_the_expected_error() public view {
        assertEq(handler.unexpectedSuccesses(), 0);
        assertEq(handler.wrongErrors(), 0);
    }

    /// @dev The balance guard: whatever a batch does, the settlement ends with at least what it held,
    /// token by token, less one base unit of rounding dust per trade.
    function invariant_the_settlement_never_loses_more_than_rounding_dust() public view {
        assertEq(handler.settlementLosses(), 0);
    }

    /// @dev Keeps the campaign honest: batches the handler builds as valid do settle.
    function invariant_valid_batches_settle() public view {
        assertEq(handler.validBatchFailures(), 0);
    }
}
