// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";

/// @notice setInventoryAccount(): the owner labels solver inventory accounts.
contract SetInventoryAccountTest is SettlementFixture {
    function test_marks_and_unmarks_an_inventory_account() public {
        vm.startPrank(admin);
        settlement.setInventoryAccount(carol, true);
        assertTrue(settlement.isInventoryAccount(carol));
        settlement.setInventoryAccount(carol, false);
        assertFalse(settlement.isInventoryAccount(carol));
        vm.stopPrank();
    }

    function test_emits_inventory_account_set() public {
        vm.expectEmit(true, true, true, true, address(settlement));
        emit ISettlement.InventoryAccountSet(carol, true);
        vm.prank(admin);
        settlement.setInventoryAccount(carol, true);
    }

    function test_reverts_when_the_caller_is_not_the_owner() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotOwner.selector, solver));
        vm.prank(solver);
        settlement.setInventoryAccount(solver, true);
    }

    function test_does_not_make_the_account_a_solver() public {
        vm.prank(admin);
        settlement.setInventoryAccount(carol, true);

        assertFalse(settlement.isSolver(carol));
        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotSolver.selector, carol));
        vm.prank(carol);
        batch().settleOn(settlement);
    }
}
