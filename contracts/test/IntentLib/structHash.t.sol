// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "../utils/BaseTest.sol";
import {Intent, IntentBuilder} from "../utils/IntentBuilder.sol";
import {IntentLibHarness} from "./IntentLibHarness.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";

/// @notice IntentLib.structHash: the EIP-712 struct hash, equal to abi.encode hashing of the spec.
contract StructHashTest is BaseTest {
    IntentLibHarness internal lib;

    function setUp() public {
        lib = new IntentLibHarness();
    }

    struct Fields {
        address owner;
        address sellToken;
        address buyToken;
        address receiver;
        uint256 sellAmount;
        uint256 buyAmount;
        uint256 validTo;
        uint256 nonce;
        uint256 flags;
        bytes32 appData;
        uint256 executedAmount;
        uint256 sellTokenIndex;
        uint256 buyTokenIndex;
    }

    function toIntent(Fields memory f) internal pure returns (Intent memory i) {
        (i.owner, i.sellToken, i.buyToken, i.receiver) = (f.owner, f.sellToken, f.buyToken, f.receiver);
        (i.sellAmount, i.buyAmount, i.validTo, i.nonce) = (f.sellAmount, f.buyAmount, f.validTo, f.nonce);
        (i.isBuy, i.isPartial, i.appData) = (f.flags & 1 != 0, f.flags & 2 != 0, f.appData);
    }

    function toTrade(Fields memory f, bytes memory signature) internal pure returns (ISettlement.Trade memory t) {
        (t.sellTokenIndex, t.buyTokenIndex, t.owner, t.receiver) =
        (f.sellTokenIndex, f.buyTokenIndex, f.owner, f.receiver);
        (t.sellAmount, t.buyAmount, t.validTo, t.nonce) = (f.sellAmount, f.buyAmount, f.validTo, f.nonce);
        (t.appData, t.flags, t.executedAmount, t.signature) = (f.appData, f.flags, f.executedAmount, signature);
    }

    function test_typehash_is_the_hash_of_the_documented_type_string() public view {
        assertEq(lib.typehash(), IntentBuilder.INTENT_TYPEHASH);
        assertEq(
            lib.typehash(),
            keccak256(
                "Intent(address owner,address sellToken,address buyToken,address receiver,uint256 sellAmount,uint256 buyAmount,uint256 validTo,uint256 nonce,uint8 kind,bool partiallyFillable,bytes32 appData)"
            )
        );
    }

    function test_flag_bits_are_buy_1_partial_2_eip1271_4() public view {
        (uint256 buyBit, uint256 partialBit, uint256 eip1271Bit) = lib.flagBits();
        assertEq(buyBit, 1);
        assertEq(partialBit, 2);
        assertEq(eip1271Bit, 4);
    }

    function testFuzz_equals_the_abi_encode_struct_hash(Fields memory f, bytes memory signature) public view {
        assertEq(lib.structHash(toTrade(f, signature), f.sellToken, f.buyToken), IntentBuilder.structHash(toIntent(f)));
    }

    function testFuzz_ignores_indices_executed_amount_signature_and_unsigned_flag_bits(
        Fields memory f,
        uint256 otherIndex,
        uint256 otherExecuted,
        uint256 otherFlagBits
    ) public view {
        bytes32 expected = lib.structHash(toTrade(f, hex"01"), f.sellToken, f.buyToken);
        (f.sellTokenIndex, f.buyTokenIndex, f.executedAmount) = (otherIndex, ~otherIndex, otherExecuted);
        f.flags = (f.flags & 3) | (otherFlagBits & ~uint256(3));

        assertEq(lib.structHash(toTrade(f, hex"0203"), f.sellToken, f.buyToken), expected);
    }

    function testFuzz_does_not_disturb_allocated_memory(Fields memory f, bytes memory signature) public view {
        assertTrue(lib.hashesWithoutTouchingAllocatedMemory(toTrade(f, signature), f.sellToken, f.buyToken));
    }
}
