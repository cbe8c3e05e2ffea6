// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent, IntentBuilder} from "../utils/IntentBuilder.sol";
import {Settlement} from "../../src/Settlement.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";

/// @notice domainSeparatorV4(): EIP-712 domain ("IntentSettlement", "1", chain id, this contract).
contract DomainSeparatorV4Test is SettlementFixture {
    function test_equals_the_independently_computed_separator() public view {
        bytes32 expected = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256(bytes("IntentSettlement")),
                keccak256(bytes("1")),
                block.chainid,
                address(settlement)
            )
        );
        assertEq(settlement.domainSeparatorV4(), expected);
        assertEq(settlement.domainSeparatorV4(), IntentBuilder.domainSeparator(block.chainid, address(settlement)));
    }

    function test_changes_when_the_chain_id_changes() public {
        bytes32 before = settlement.domainSeparatorV4();
        vm.chainId(block.chainid + 1);

        assertNotEq(settlement.domainSeparatorV4(), before);
        assertEq(settlement.domainSeparatorV4(), IntentBuilder.domainSeparator(block.chainid, address(settlement)));
    }

    uint256 internal originalChainId;

    function test_returns_to_the_cached_value_on_the_original_chain() public {
        // Kept in storage: under via-IR a local `block.chainid` may be re-read after vm.chainId.
        originalChainId = block.chainid;
        bytes32 before = settlement.domainSeparatorV4();
        vm.chainId(originalChainId + 5);
        vm.chainId(originalChainId);

        assertEq(settlement.domainSeparatorV4(), before);
    }

    function test_differs_between_two_deployments() public {
        Settlement other = new Settlement(admin, bytes32(0), address(0), bytes32(0));

        assertNotEq(other.domainSeparatorV4(), settlement.domainSeparatorV4());
    }

    function test_after_a_fork_only_intents_signed_for_the_new_chain_settle() public {
        Intent memory signedBeforeFork = intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6);
        bytes memory oldSignature = signedBeforeFork.signature();
        vm.chainId(block.chainid + 1);

        ISettlement.Trade memory t = signedBeforeFork.trade(wethUsdcBatch().tokens);
        t.signature = oldSignature;
        settleReverts(
            wethUsdcBatch().addTrade(t),
            abi.encodeWithSelector(ISettlement.InvalidSignature.selector, signedBeforeFork.id())
        );

        // Re-signed on the new chain; the market maker (also signing on the new chain) takes the other side.
        settle(wethUsdcBatch().add(signedBeforeFork).add(mirror(signedBeforeFork)));
        assertEq(balance(usdc, alice), BALANCE * 1e6 + 3000e6);
    }
}
