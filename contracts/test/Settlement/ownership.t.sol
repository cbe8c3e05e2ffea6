// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";

/// @notice Two-step ownership: the owner proposes, the proposed account accepts.
contract OwnershipTest is SettlementFixture {
    address internal newOwner;

    function setUp() public override {
        super.setUp();
        newOwner = makeAddr("new owner");
    }

    function test_the_constructor_names_the_owner_and_no_pending_owner() public view {
        assertEq(settlement.owner(), admin);
        assertEq(settlement.pendingOwner(), address(0));
    }

    function test_transfer_ownership_only_proposes() public {
        vm.expectEmit(true, true, true, true, address(settlement));
        emit ISettlement.OwnershipTransferStarted(admin, newOwner);
        vm.prank(admin);
        settlement.transferOwnership(newOwner);

        assertEq(settlement.pendingOwner(), newOwner);
        assertEq(settlement.owner(), admin, "the owner stays until the proposal is accepted");
        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotOwner.selector, newOwner));
        vm.prank(newOwner);
        settlement.setSolver(newOwner, true);
    }

    function test_the_pending_owner_accepts_and_takes_over() public {
        vm.prank(admin);
        settlement.transferOwnership(newOwner);

        vm.expectEmit(true, true, true, true, address(settlement));
        emit ISettlement.OwnershipTransferred(admin, newOwner);
        vm.prank(newOwner);
        settlement.acceptOwnership();

        assertEq(settlement.owner(), newOwner);
        assertEq(settlement.pendingOwner(), address(0));
        vm.prank(newOwner);
        settlement.setAdapter(carol, true);
        assertTrue(settlement.isAdapter(carol));
        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotOwner.selector, admin));
        vm.prank(admin);
        settlement.setAdapter(carol, false);
    }

    function test_only_the_pending_owner_can_accept() public {
        vm.prank(admin);
        settlement.transferOwnership(newOwner);

        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotPendingOwner.selector, solver));
        vm.prank(solver);
        settlement.acceptOwnership();
        assertEq(settlement.owner(), admin);
    }

    function test_proposing_zero_cancels_a_proposal() public {
        vm.startPrank(admin);
        settlement.transferOwnership(newOwner);
        settlement.transferOwnership(address(0));
        vm.stopPrank();

        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotPendingOwner.selector, newOwner));
        vm.prank(newOwner);
        settlement.acceptOwnership();
    }

    function test_only_the_owner_can_propose() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotOwner.selector, solver));
        vm.prank(solver);
        settlement.transferOwnership(solver);
        assertEq(settlement.pendingOwner(), address(0));
    }
}
