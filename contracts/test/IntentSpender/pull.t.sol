// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {IntentSpender} from "../../src/IntentSpender.sol";

/// @notice IntentSpender.pull(): moves approved tokens where the settlement says, for the settlement only.
contract PullTest is SettlementFixture {
    function test_is_bound_to_the_settlement_that_deployed_it() public view {
        assertEq(spender.settlement(), address(settlement));
    }

    function test_moves_tokens_from_the_owner_to_the_settlement() public {
        vm.prank(address(settlement));
        spender.pull(address(weth), alice, address(settlement), 3e18);

        assertEq(balance(weth, address(settlement)), 3e18);
        assertEq(balance(weth, alice), BALANCE * 1e18 - 3e18);
    }

    function test_moves_tokens_straight_to_a_pool_when_the_settlement_names_one() public {
        address pool = makeAddr("pool");
        vm.prank(address(settlement));
        spender.pull(address(weth), alice, pool, 2e18);

        assertEq(balance(weth, pool), 2e18);
        assertEq(balance(weth, alice), BALANCE * 1e18 - 2e18);
    }

    function test_reverts_when_the_caller_is_not_the_settlement() public {
        vm.expectRevert(abi.encodeWithSelector(IntentSpender.OnlySettlement.selector, solver));
        vm.prank(solver);
        spender.pull(address(weth), alice, address(settlement), 1);
    }

    function test_reverts_when_the_settlement_owner_calls_it() public {
        vm.expectRevert(abi.encodeWithSelector(IntentSpender.OnlySettlement.selector, admin));
        vm.prank(admin);
        spender.pull(address(weth), alice, address(settlement), 1);
    }

    function test_reverts_when_the_owner_has_not_approved_the_spender() public {
        address stranger = makeAddr("unapproved");
        weth.mint(stranger, 1e18);

        vm.expectRevert(abi.encodeWithSignature("TransferFromFailed()"));
        vm.prank(address(settlement));
        spender.pull(address(weth), stranger, address(settlement), 1e18);
    }

    function testFuzz_reverts_for_every_caller_but_the_settlement(address caller) public {
        vm.assume(caller != address(settlement));

        vm.expectRevert(abi.encodeWithSelector(IntentSpender.OnlySettlement.selector, caller));
        vm.prank(caller);
        spender.pull(address(weth), alice, address(settlement), 1);
    }
}
