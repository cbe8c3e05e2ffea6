// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";

/// @notice setSolver(): the owner's allow-list of callers of settle.
contract SetSolverTest is SettlementFixture {
    function test_allows_a_solver() public {
        address newSolver = makeAddr("new solver");
        vm.prank(admin);
        settlement.setSolver(newSolver, true);

        assertTrue(settlement.isSolver(newSolver));
        vm.prank(newSolver);
        batch().settleOn(settlement);
    }

    function test_disallows_a_solver() public {
        vm.prank(admin);
        settlement.setSolver(solver, false);

        assertFalse(settlement.isSolver(solver));
        settleReverts(batch(), abi.encodeWithSelector(ISettlement.NotSolver.selector, solver));
    }

    function test_emits_solver_set() public {
        vm.expectEmit(true, true, true, true, address(settlement));
        emit ISettlement.SolverSet(carol, true);
        vm.prank(admin);
        settlement.setSolver(carol, true);
    }

    function test_reverts_when_the_caller_is_not_the_owner() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotOwner.selector, solver));
        vm.prank(solver);
        settlement.setSolver(carol, true);
    }

    function test_the_deployer_is_not_the_owner_unless_named() public {
        assertEq(settlement.owner(), admin);
        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotOwner.selector, address(this)));
        settlement.setSolver(carol, true);
    }
}
