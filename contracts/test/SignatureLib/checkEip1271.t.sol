// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "../utils/BaseTest.sol";
import {SignatureLibHarness} from "./SignatureLibHarness.sol";
import {SignatureLib} from "../../src/libraries/SignatureLib.sol";
import {Eip1271Wallet} from "../utils/Eip1271Wallet.sol";

/// @dev Returns raw bytes from isValidSignature, to probe how the answer is parsed.
contract RawAnswer {
    bytes internal answer;
    bool internal reverts;

    function set(bytes memory answer_, bool reverts_) external {
        (answer, reverts) = (answer_, reverts_);
    }

    fallback(bytes calldata) external returns (bytes memory) {
        if (reverts) revert("nope");
        return answer;
    }
}

/// @notice SignatureLib.checkEip1271: valid only when the wallet answers the magic value.
contract CheckEip1271Test is BaseTest {
    SignatureLibHarness internal lib;
    Eip1271Wallet internal wallet;
    uint256 internal ownerKey;
    RawAnswer internal raw;

    uint256 internal constant VALID = uint256(SignatureLib.Result.Valid);
    uint256 internal constant INVALID = uint256(SignatureLib.Result.Invalid);
    bytes4 internal constant MAGIC = 0x1626ba7e;

    function setUp() public {
        lib = new SignatureLibHarness();
        address owner;
        (owner, ownerKey) = makeAccount("wallet owner");
        wallet = new Eip1271Wallet(owner);
        raw = new RawAnswer();
    }

    function signed(uint256 key, bytes32 hash) internal returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, hash);
        return abi.encodePacked(r, s, v);
    }

    function check(address who, bytes memory sig) internal view returns (uint256) {
        return uint256(lib.checkEip1271(keccak256("intent"), who, sig));
    }

    function test_accepts_what_the_wallet_accepts() public {
        assertEq(check(address(wallet), signed(ownerKey, keccak256("intent"))), VALID);
    }

    function test_rejects_what_the_wallet_rejects() public {
        assertEq(check(address(wallet), signed(ownerKey + 1, keccak256("intent"))), INVALID);
    }

    function test_rejects_an_account_without_code() public {
        assertEq(check(makeAddr("eoa"), signed(ownerKey, keccak256("intent"))), INVALID);
    }

    function test_rejects_a_reverting_wallet() public {
        raw.set(abi.encode(MAGIC), true);
        assertEq(check(address(raw), ""), INVALID);
    }

    function test_rejects_an_answer_shorter_than_32_bytes() public {
        raw.set(abi.encodePacked(MAGIC), false);
        assertEq(check(address(raw), ""), INVALID);
    }

    function test_rejects_another_value() public {
        raw.set(abi.encode(bytes4(0xffffffff)), false);
        assertEq(check(address(raw), ""), INVALID);
    }

    function test_rejects_the_magic_value_right_aligned() public {
        raw.set(abi.encode(uint256(uint32(MAGIC))), false);
        assertEq(check(address(raw), ""), INVALID);
    }

    function test_accepts_the_magic_value_followed_by_extra_data() public {
        raw.set(abi.encode(MAGIC, uint256(7)), false);
        assertEq(check(address(raw), ""), VALID);
    }
}
