// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "../utils/BaseTest.sol";
import {ClearingLibHarness} from "./ClearingLibHarness.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @dev Shared by the ClearingLib tests: the harness and full-width (512-bit) product comparisons,
/// so properties can be checked on inputs whose products overflow 256 bits.
abstract contract ClearingLibTest is BaseTest {
    ClearingLibHarness internal lib;

    uint256 internal constant MAX_AMOUNT = type(uint128).max;
    uint256 internal constant MAX_PRICE = type(uint128).max;

    function setUp() public virtual {
        lib = new ClearingLibHarness();
    }

    /// @dev a * b >= c * d without overflow.
    function productGe(uint256 a, uint256 b, uint256 c, uint256 d) internal pure returns (bool) {
        (uint256 hi1, uint256 lo1) = Math.mul512(a, b);
        (uint256 hi2, uint256 lo2) = Math.mul512(c, d);
        return hi1 > hi2 || (hi1 == hi2 && lo1 >= lo2);
    }

    /// @dev a * b < c * d without overflow.
    function productLt(uint256 a, uint256 b, uint256 c, uint256 d) internal pure returns (bool) {
        return !productGe(a, b, c, d);
    }

    function panic(uint256 code) internal pure returns (bytes memory) {
        return abi.encodeWithSignature("Panic(uint256)", code);
    }
}
