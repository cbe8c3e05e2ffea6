// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent} from "../utils/IntentBuilder.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";

/// @notice intentId(): the EIP-712 digest of a trade's intent, equal to the builder's own.
contract IntentIdTest is SettlementFixture {
    function tokens() internal view returns (address[] memory) {
        return wethUsdcBatch().price(address(dai), 1e6).tokens;
    }

    function idOf(Intent memory i) internal returns (bytes32) {
        return settlement.intentId(i.trade(tokens()), tokens());
    }

    function test_equals_the_independently_computed_digest_of_a_sell_intent() public {
        Intent memory i = intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6);

        assertEq(idOf(i), i.id());
    }

    function test_equals_the_independently_computed_digest_with_every_field_set() public {
        Intent memory i = intent().by(bobKey).buyKind().partiallyFillable().sell(address(usdc), 31e8)
            .buy(address(weth), 1e18).to(carol).validUntil(type(uint64).max).withNonce(type(uint256).max)
            .withAppData(keccak256("quote-17"));

        assertEq(idOf(i), i.id());
    }

    function test_ignores_the_executed_amount_and_the_signature() public {
        Intent memory i = intent().by(aliceKey).partiallyFillable().sell(address(weth), 1e18).buy(address(usdc), 2900e6);
        ISettlement.Trade memory t = i.trade(tokens());
        t.executedAmount = 12345;
        t.signature = hex"deadbeef";

        assertEq(settlement.intentId(t, tokens()), i.id());
    }

    function test_ignores_the_signing_scheme_and_unassigned_flag_bits() public {
        Intent memory i = intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6);
        ISettlement.Trade memory t = i.trade(tokens());
        t.flags |= 4 | (1 << 8);

        assertEq(settlement.intentId(t, tokens()), i.id());
    }

    function test_depends_on_the_resolved_token_addresses_not_the_indices() public {
        Intent memory i = intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6);
        address[] memory reordered = new address[](3);
        (reordered[0], reordered[1], reordered[2]) = (address(dai), address(usdc), address(weth));

        assertEq(settlement.intentId(i.trade(reordered), reordered), i.id());
    }

    function test_changes_with_each_signed_field() public {
        Intent memory base = intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6);
        bytes32 id = idOf(base);
        assertNotEq(idOf(base.copy().by(bobKey)), id);
        assertNotEq(idOf(base.copy().sell(address(dai), 1e18)), id);
        assertNotEq(idOf(base.copy().buy(address(dai), 2900e6)), id);
        assertNotEq(idOf(base.copy().to(alice)), id);
        assertNotEq(idOf(base.copy().sell(address(weth), 1e18 + 1)), id);
        assertNotEq(idOf(base.copy().buy(address(usdc), 2900e6 + 1)), id);
        assertNotEq(idOf(base.copy().validUntil(base.validTo + 1)), id);
        assertNotEq(idOf(base.copy().withNonce(1)), id);
        assertNotEq(idOf(base.copy().buyKind()), id);
        assertNotEq(idOf(base.copy().partiallyFillable()), id);
        assertNotEq(idOf(base.copy().withAppData(bytes32(uint256(1)))), id);
    }

    function test_panics_on_an_out_of_range_token_index() public {
        // Unlike settle (TokenIndexOutOfRange), the view reverts with a plain array-bounds panic.
        Intent memory i = intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6);
        ISettlement.Trade memory t = i.trade(tokens());
        t.buyTokenIndex = 3;

        vm.expectRevert(abi.encodeWithSignature("Panic(uint256)", 0x32));
        settlement.intentId(t, tokens());
    }

    function test_changes_with_the_chain_id() public {
        Intent memory i = intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6);
        bytes32 before = idOf(i);
        vm.chainId(block.chainid + 1);

        assertNotEq(idOf(i), before);
        assertEq(idOf(i), i.id());
    }
}
