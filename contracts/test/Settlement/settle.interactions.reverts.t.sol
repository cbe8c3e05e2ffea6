// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Batch, BatchBuilder} from "../utils/BatchBuilder.sol";
import {TestAmm} from "../utils/TestAmm.sol";
import {IUniswapV2Pair} from "../utils/Uniswap.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";
import {Settlement} from "../../src/Settlement.sol";
import {IntentSpender} from "../../src/IntentSpender.sol";

/// @dev Calls back into settle when the settlement calls it, like a malicious pool.
contract Reenterer {
    function reenter() external {
        ISettlement.Interaction[][3] memory none;
        ISettlement(msg.sender).settle(new address[](0), new uint256[](0), new ISettlement.Trade[](0), none, 0);
    }
}

contract Paused {
    function swap() external pure {
        revert("pool is paused");
    }
}

/// @notice settle(): interaction failures, each with its exact revert data.
contract SettleInteractionsRevertsTest is SettlementFixture {
    function emptySettleCall() internal pure returns (bytes memory) {
        ISettlement.Interaction[][3] memory none;
        return
            abi.encodeCall(
                ISettlement.settle, (new address[](0), new uint256[](0), new ISettlement.Trade[](0), none, 0)
            );
    }

    function forbidden() internal view returns (bytes memory) {
        return abi.encodeWithSelector(ISettlement.ForbiddenInteractionTarget.selector, address(spender));
    }

    function pullCall() internal view returns (bytes memory) {
        return abi.encodeCall(IntentSpender.pull, (address(weth), alice, solver, 1e18));
    }

    function test_reverts_when_a_phase_0_interaction_targets_the_spender() public {
        settleReverts(batch().interact(BatchBuilder.BEFORE, address(spender), pullCall()), forbidden());
    }

    function test_reverts_when_a_phase_1_interaction_targets_the_spender() public {
        settleReverts(batch().interact(BatchBuilder.BETWEEN, address(spender), pullCall()), forbidden());
    }

    function test_reverts_when_a_phase_2_interaction_targets_the_spender() public {
        settleReverts(batch().interact(BatchBuilder.AFTER, address(spender), ""), forbidden());
    }

    function test_reverts_when_an_interaction_reenters_settle_directly() public {
        Batch memory b = batch().interact(BatchBuilder.BETWEEN, address(settlement), emptySettleCall());

        // The settlement itself is never a target, so the call is refused before it could reenter.
        settleReverts(b, abi.encodeWithSelector(ISettlement.ForbiddenInteractionTarget.selector, address(settlement)));
    }

    function test_reverts_when_an_interaction_target_calls_back_into_settle() public {
        Reenterer reenterer = new Reenterer();
        allowAdapter(address(reenterer)); // even an owner-listed adapter cannot reenter
        vm.prank(admin);
        settlement.setSolver(address(reenterer), true); // even an allowed solver cannot reenter
        Batch memory b = batch().interact(BatchBuilder.AFTER, address(reenterer), abi.encodeCall(Reenterer.reenter, ()));

        settleReverts(b, abi.encodeWithSelector(ISettlement.Reentrancy.selector));
    }

    function test_reverts_when_an_unlisted_contract_is_the_target() public {
        Reenterer reenterer = new Reenterer();
        Batch memory b = batch().interact(BatchBuilder.AFTER, address(reenterer), abi.encodeCall(Reenterer.reenter, ()));

        settleReverts(
            b,
            abi.encodeWithSelector(
                ISettlement.ForbiddenInteraction.selector, address(reenterer), Reenterer.reenter.selector
            )
        );
    }

    function test_bubbles_the_custom_error_of_a_failing_interaction() public {
        TestAmm amm = new TestAmm();
        allowAdapter(address(amm));
        amm.setRate(address(weth), address(usdc), 3000e6, 1e18);
        Batch memory b = batch()
            .interact(
                BatchBuilder.BETWEEN, address(amm), abi.encodeCall(TestAmm.swap, (address(weth), address(usdc), 1e18))
            );

        settleReverts(b, abi.encodeWithSelector(TestAmm.InsufficientLiquidity.selector, address(usdc), 0, 3000e6));
    }

    function test_bubbles_a_revert_without_data() public {
        // More ETH than the settlement holds: the call fails with empty return data.
        address sink = makeAddr("sink");
        allowAdapter(sink);
        Batch memory b = batch().interact(BatchBuilder.AFTER, sink, 1 ether, "");

        settleReverts(b, "");
    }

    function test_bubbles_a_revert_string() public {
        Paused pool = new Paused();
        allowAdapter(address(pool));
        Batch memory b = batch().interact(BatchBuilder.BEFORE, address(pool), abi.encodeCall(Paused.swap, ()));

        settleReverts(b, abi.encodeWithSignature("Error(string)", "pool is paused"));
    }

    function test_bubbles_the_revert_string_of_a_genuine_v2_pair() public {
        IUniswapV2Pair pair = wethUsdcPair();
        bytes memory nothingOut = abi.encodeCall(IUniswapV2Pair.swap, (0, 0, address(settlement), ""));
        Batch memory b = batch().interact(BatchBuilder.BETWEEN, address(pair), nothingOut);

        settleReverts(b, abi.encodeWithSignature("Error(string)", "UniswapV2: INSUFFICIENT_OUTPUT_AMOUNT"));
    }
}
