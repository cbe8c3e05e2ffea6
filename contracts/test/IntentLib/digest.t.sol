// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "../utils/BaseTest.sol";
import {IntentLibHarness} from "./IntentLibHarness.sol";

/// @notice IntentLib.digest: keccak256("\x19\x01" || domainSeparator || structHash).
contract DigestTest is BaseTest {
    IntentLibHarness internal lib;

    function setUp() public {
        lib = new IntentLibHarness();
    }

    function testFuzz_equals_the_eip712_digest(bytes32 domainSeparator, bytes32 structHash) public view {
        assertEq(
            lib.digest(domainSeparator, structHash),
            keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash))
        );
    }

    function test_matches_a_known_vector() public view {
        // keccak256(0x1901 ++ 32 zero bytes ++ 32 zero bytes)
        assertEq(lib.digest(0, 0), keccak256(abi.encodePacked(hex"1901", bytes32(0), bytes32(0))));
    }
}
