// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";

/// @dev Cheatcodes that forge 1.7 implements but the npm forge-std 1.1.2 `Vm` interface predates.
/// They are dispatched by selector, so declaring them is all it takes.
interface VmAssertions {
    function assertTrue(bool condition, string calldata error) external pure;
    function assertFalse(bool condition, string calldata error) external pure;
    function assertEq(bool left, bool right, string calldata error) external pure;
    function assertEq(uint256 left, uint256 right, string calldata error) external pure;
    function assertEq(address left, address right, string calldata error) external pure;
    function assertEq(bytes32 left, bytes32 right, string calldata error) external pure;
    function assertEq(bytes calldata left, bytes calldata right, string calldata error) external pure;
    function assertNotEq(bytes32 left, bytes32 right, string calldata error) external pure;
    function assertGe(uint256 left, uint256 right, string calldata error) external pure;
    function assertLe(uint256 left, uint256 right, string calldata error) external pure;
}

/// @title Minimal test base.
/// @notice The npm forge-std 1.1.2 ships `Test.sol` without the `ds-test/test.sol` it imports, so
/// `import "forge-std/Test.sol"` does not compile here. This base uses forge-std's `Vm` interface
/// plus forge's assertion cheatcodes (which revert with "assertion failed: a != b" messages).
abstract contract BaseTest {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    VmAssertions private constant va = VmAssertions(address(uint160(uint256(keccak256("hevm cheat code")))));

    function assertTrue(bool c) internal pure {
        va.assertTrue(c, "");
    }

    function assertTrue(bool c, string memory err) internal pure {
        va.assertTrue(c, err);
    }

    function assertFalse(bool c) internal pure {
        va.assertFalse(c, "");
    }

    function assertFalse(bool c, string memory err) internal pure {
        va.assertFalse(c, err);
    }

    function assertEq(bool a, bool b) internal pure {
        va.assertEq(a, b, "");
    }

    function assertEq(uint256 a, uint256 b) internal pure {
        va.assertEq(a, b, "");
    }

    function assertEq(uint256 a, uint256 b, string memory err) internal pure {
        va.assertEq(a, b, err);
    }

    function assertEq(address a, address b) internal pure {
        va.assertEq(a, b, "");
    }

    function assertEq(address a, address b, string memory err) internal pure {
        va.assertEq(a, b, err);
    }

    function assertEq(bytes32 a, bytes32 b) internal pure {
        va.assertEq(a, b, "");
    }

    function assertEq(bytes32 a, bytes32 b, string memory err) internal pure {
        va.assertEq(a, b, err);
    }

    function assertEq(bytes memory a, bytes memory b) internal pure {
        va.assertEq(a, b, "");
    }

    function assertNotEq(bytes32 a, bytes32 b) internal pure {
        va.assertNotEq(a, b, "");
    }

    function assertGe(uint256 a, uint256 b) internal pure {
        va.assertGe(a, b, "");
    }

    function assertGe(uint256 a, uint256 b, string memory err) internal pure {
        va.assertGe(a, b, err);
    }

    function assertLe(uint256 a, uint256 b) internal pure {
        va.assertLe(a, b, "");
    }

    function assertLe(uint256 a, uint256 b, string memory err) internal pure {
        va.assertLe(a, b, err);
    }

    /// @dev An address (and its private key) derived from a label, labelled in traces.
    function makeAccount(string memory name) internal returns (address account, uint256 key) {
        key = uint256(keccak256(bytes(name)));
        account = vm.addr(key);
        vm.label(account, name);
    }

    function makeAddr(string memory name) internal returns (address account) {
        (account,) = makeAccount(name);
    }

    /// @dev `x` wrapped into [min, max] (forge-std's algorithm: small values map to themselves).
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min + 1;
        if (x <= 3 && size > x) return min + x;
        if (x >= type(uint256).max - 3 && size > type(uint256).max - x) return max - (type(uint256).max - x);
        if (x > max) {
            uint256 r = (x - max) % size;
            return r == 0 ? max : min + r - 1;
        }
        uint256 rem = (min - x) % size;
        return rem == 0 ? min : max - rem + 1;
    }
}
