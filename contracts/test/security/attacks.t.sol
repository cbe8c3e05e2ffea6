// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent} from "../utils/IntentBuilder.sol";
import {Batch, BatchBuilder} from "../utils/BatchBuilder.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";
import {IntentSpender} from "../../src/IntentSpender.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @dev A contract the solver deploys to call the spender on the settlement's behalf.
contract PullProxy {
    function pull(IntentSpender spender, address token, address owner, uint256 amount) external {
        spender.pull(token, owner, msg.sender, amount);
    }
}

/// @notice A malicious allow-listed solver tries to take or misdirect users' funds. Every attempt
/// fails, and Alice's balances stay untouched.
contract AttacksTest is SettlementFixture {
    uint256 internal constant ALICE_WETH = BALANCE * 1e18;

    function aliceSells() internal returns (Intent memory) {
        return intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6);
    }

    function bobBuys() internal returns (Intent memory) {
        return intent().by(bobKey).buyKind().sell(address(usdc), 3100e6).buy(address(weth), 1e18);
    }

    function assertAliceUntouched() internal view {
        assertEq(balance(weth, alice), ALICE_WETH);
        assertEq(balance(weth, solver), 0);
    }

    function test_cannot_drain_an_approval_with_transferFrom_in_an_interaction() public {
        bytes memory steal = abi.encodeCall(IERC20.transferFrom, (alice, solver, 1e18));
        Batch memory b = batch().interact(BatchBuilder.BETWEEN, address(weth), steal);

        // WETH is not a token of this batch, and no rule allows calling it. (Alice approved the spender,
        // not the settlement that would make the call, so it would fail anyway.)
        settleReverts(
            b,
            abi.encodeWithSelector(
                ISettlement.ForbiddenInteraction.selector, address(weth), IERC20.transferFrom.selector
            )
        );
        assertAliceUntouched();
    }

    function test_cannot_drain_an_approval_with_transferFrom_on_a_token_of_the_batch() public {
        bytes memory steal = abi.encodeCall(IERC20.transferFrom, (alice, solver, 1e18));
        Batch memory b = wethUsdcBatch().add(aliceSells()).add(bobBuys());
        b.interact(BatchBuilder.BETWEEN, address(weth), steal);

        // On a token of the batch only `transfer` is allowed.
        settleReverts(
            b,
            abi.encodeWithSelector(
                ISettlement.ForbiddenInteraction.selector, address(weth), IERC20.transferFrom.selector
            )
        );
        assertAliceUntouched();
    }

    function test_cannot_drain_an_approval_by_targeting_the_spender() public {
        bytes memory steal = abi.encodeCall(IntentSpender.pull, (address(weth), alice, solver, 1e18));
        Batch memory b = batch().interact(BatchBuilder.BEFORE, address(spender), steal);

        settleReverts(b, abi.encodeWithSelector(ISettlement.ForbiddenInteractionTarget.selector, address(spender)));
        assertAliceUntouched();
    }

    function test_cannot_drain_an_approval_by_calling_the_spender_from_its_own_account() public {
        vm.expectRevert(abi.encodeWithSelector(IntentSpender.OnlySettlement.selector, solver));
        vm.prank(solver);
        spender.pull(address(weth), alice, solver, 1e18);
        assertAliceUntouched();
    }

    function test_cannot_drain_an_approval_through_a_proxy_interaction() public {
        PullProxy proxy = new PullProxy();
        bytes memory steal = abi.encodeCall(PullProxy.pull, (spender, address(weth), alice, 1e18));
        Batch memory b = batch().interact(BatchBuilder.AFTER, address(proxy), steal);

        // The proxy is neither a token, a Uniswap pair or pool, nor an adapter the owner listed.
        settleReverts(
            b,
            abi.encodeWithSelector(ISettlement.ForbiddenInteraction.selector, address(proxy), PullProxy.pull.selector)
        );
        assertAliceUntouched();
    }

    function test_cannot_drain_an_approval_through_a_proxy_even_if_the_owner_listed_it() public {
        PullProxy proxy = new PullProxy();
        vm.prank(admin);
        settlement.setAdapter(address(proxy), true); // a listing mistake: the call now goes through
        bytes memory steal = abi.encodeCall(PullProxy.pull, (spender, address(weth), alice, 1e18));
        Batch memory b = batch().interact(BatchBuilder.AFTER, address(proxy), steal);

        // The spender only obeys the settlement, never a contract it calls.
        settleReverts(b, abi.encodeWithSelector(IntentSpender.OnlySettlement.selector, address(proxy)));
        assertAliceUntouched();
    }

    function test_cannot_redirect_proceeds_by_changing_the_receiver() public {
        Intent memory i = aliceSells();
        Batch memory b = wethUsdcBatch().add(i).add(bobBuys());
        b.trades[0].receiver = solver;

        settleReverts(b, abi.encodeWithSelector(ISettlement.InvalidSignature.selector, i.copy().to(solver).id()));
        assertAliceUntouched();
    }

    function test_cannot_settle_a_users_intent_at_a_worse_price() public {
        Intent memory i = aliceSells();
        Batch memory b = batch().price(address(weth), 2000e6).price(address(usdc), 1e18).add(i).add(bobBuys());

        settleReverts(b, abi.encodeWithSelector(ISettlement.LimitPriceViolated.selector, i.id()));
        assertAliceUntouched();
    }

    function test_cannot_lower_the_users_limit_by_editing_the_buy_amount() public {
        Intent memory i = aliceSells();
        Batch memory b = batch().price(address(weth), 2000e6).price(address(usdc), 1e18).add(i);
        b.trades[0].buyAmount = 1;

        settleReverts(
            b, abi.encodeWithSelector(ISettlement.InvalidSignature.selector, i.copy().buy(address(usdc), 1).id())
        );
    }

    function test_cannot_swap_the_buy_token_by_reordering_indices() public {
        Intent memory i = aliceSells();
        Batch memory b = wethUsdcBatch().price(address(dai), 1e6).add(i);
        b.trades[0].buyTokenIndex = 2; // pay Alice in DAI instead of USDC

        settleReverts(
            b, abi.encodeWithSelector(ISettlement.InvalidSignature.selector, i.copy().buy(address(dai), 2900e6).id())
        );
    }

    function test_cannot_spend_a_users_tokens_with_its_own_signature() public {
        (, uint256 solverKey) = makeAccount("solver");
        Intent memory forged = intent().by(solverKey).sell(address(weth), 1e18).buy(address(usdc), 1);
        forged.owner = alice; // Alice's tokens, the solver's signature

        settleReverts(
            wethUsdcBatch().add(forged), abi.encodeWithSelector(ISettlement.InvalidSignature.selector, forged.id())
        );
        assertAliceUntouched();
    }

    function test_cannot_execute_more_than_a_user_signed() public {
        Intent memory i = aliceSells().partiallyFillable().executing(1e18 + 1);

        settleReverts(
            wethUsdcBatch().add(i), abi.encodeWithSelector(ISettlement.OverFill.selector, i.id(), 0, 1e18 + 1, 1e18)
        );
        assertAliceUntouched();
    }

    function test_a_non_solver_cannot_front_run_with_a_users_signed_intent() public {
        Batch memory b = wethUsdcBatch().add(aliceSells()).add(bobBuys());
        address attacker = makeAddr("attacker");

        vm.expectRevert(abi.encodeWithSelector(ISettlement.NotSolver.selector, attacker));
        vm.prank(attacker);
        b.settleOn(settlement);
        assertAliceUntouched();
    }
}
