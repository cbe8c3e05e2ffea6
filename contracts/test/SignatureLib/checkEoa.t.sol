// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "../utils/BaseTest.sol";
import {SignatureLibHarness} from "./SignatureLibHarness.sol";
import {SignatureLib} from "../../src/libraries/SignatureLib.sol";

/// @notice SignatureLib.checkEoa: 65-byte r,s,v; low s only; v 27 or 28; must recover the signer.
contract CheckEoaTest is BaseTest {
    uint256 internal constant N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;
    SignatureLibHarness internal lib;
    address internal signer;
    uint256 internal signerKey;

    function setUp() public {
        lib = new SignatureLibHarness();
        (signer, signerKey) = makeAccount("signer");
    }

    function sign(uint256 key, bytes32 hash) internal returns (bytes32 r, bytes32 s, uint8 v) {
        (v, r, s) = vm.sign(key, hash);
    }

    function result(bytes32 hash, address who, bytes memory sig) internal view returns (uint256) {
        return uint256(lib.checkEoa(hash, who, sig));
    }

    uint256 internal constant VALID = uint256(SignatureLib.Result.Valid);
    uint256 internal constant INVALID = uint256(SignatureLib.Result.Invalid);
    uint256 internal constant MALLEABLE = uint256(SignatureLib.Result.Malleable);

    function test_half_curve_order_is_n_over_2() public view {
        assertEq(lib.halfCurveOrder(), N / 2);
    }

    function test_accepts_the_signers_signature() public {
        (bytes32 r, bytes32 s, uint8 v) = sign(signerKey, keccak256("intent"));
        assertEq(result(keccak256("intent"), signer, abi.encodePacked(r, s, v)), VALID);
    }

    function test_rejects_another_signer() public {
        (bytes32 r, bytes32 s, uint8 v) = sign(signerKey, keccak256("intent"));
        assertEq(result(keccak256("intent"), makeAddr("other"), abi.encodePacked(r, s, v)), INVALID);
    }

    function test_flags_s_one_above_half_the_order_as_malleable() public view {
        bytes memory sig = abi.encodePacked(bytes32(uint256(1)), bytes32(N / 2 + 1), uint8(27));
        assertEq(result(keccak256("intent"), signer, sig), MALLEABLE);
    }

    function test_does_not_flag_s_equal_to_half_the_order() public view {
        bytes memory sig = abi.encodePacked(bytes32(uint256(1)), bytes32(N / 2), uint8(27));
        assertEq(result(keccak256("intent"), signer, sig), INVALID);
    }

    function test_rejects_lengths_other_than_65() public {
        (bytes32 r, bytes32 s, uint8 v) = sign(signerKey, keccak256("intent"));
        assertEq(result(keccak256("intent"), signer, abi.encodePacked(r, s)), INVALID);
        assertEq(result(keccak256("intent"), signer, abi.encodePacked(r, s, v, v)), INVALID);
        assertEq(result(keccak256("intent"), signer, ""), INVALID);
    }

    function test_rejects_a_recovery_to_address_zero_even_for_signer_zero() public view {
        assertEq(result(keccak256("intent"), address(0), abi.encodePacked(bytes32(0), bytes32(0), uint8(27))), INVALID);
    }

    function testFuzz_accepts_any_key_and_flags_its_high_s_twin(uint256 key, bytes32 hash) public {
        key = bound(key, 1, N - 1);
        (bytes32 r, bytes32 s, uint8 v) = sign(key, hash);
        address owner = vm.addr(key);

        assertEq(result(hash, owner, abi.encodePacked(r, s, v)), VALID);
        assertEq(
            result(hash, owner, abi.encodePacked(r, bytes32(N - uint256(s)), v == 27 ? uint8(28) : uint8(27))),
            MALLEABLE
        );
    }

    function testFuzz_rejects_every_v_but_27_and_28(uint256 key, bytes32 hash, uint8 badV) public {
        vm.assume(badV != 27 && badV != 28);
        key = bound(key, 1, N - 1);
        (bytes32 r, bytes32 s,) = sign(key, hash);

        assertEq(result(hash, vm.addr(key), abi.encodePacked(r, s, badV)), INVALID);
    }
}
