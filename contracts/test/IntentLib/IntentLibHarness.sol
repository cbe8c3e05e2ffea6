// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IntentLib} from "../../src/libraries/IntentLib.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";

/// @dev Exposes IntentLib's internal functions and constants.
contract IntentLibHarness {
    function typehash() external pure returns (bytes32) {
        return IntentLib.TYPEHASH;
    }

    function flagBits() external pure returns (uint256 buy, uint256 partial_, uint256 eip1271) {
        return (IntentLib.FLAG_BUY, IntentLib.FLAG_PARTIAL, IntentLib.FLAG_EIP1271);
    }

    function structHash(ISettlement.Trade calldata trade, address sellToken, address buyToken)
        external
        pure
        returns (bytes32)
    {
        return IntentLib.structHash(trade, sellToken, buyToken);
    }

    function digest(bytes32 domainSeparator, bytes32 hashOfStruct) external pure returns (bytes32) {
        return IntentLib.digest(domainSeparator, hashOfStruct);
    }

    /// @dev Hashes between two allocations and reports whether the hashing disturbed either of them
    /// or the free memory pointer (the library writes scratch memory above the pointer).
    function hashesWithoutTouchingAllocatedMemory(ISettlement.Trade calldata trade, address sellToken, address buyToken)
        external
        pure
        returns (bool)
    {
        bytes memory before = abi.encodePacked(keccak256("before"), keccak256("before2"));
        bytes32 before0 = keccak256(before);
        uint256 freeBefore;
        assembly {
            freeBefore := mload(0x40)
        }
        bytes32 h = IntentLib.digest(keccak256("domain"), IntentLib.structHash(trade, sellToken, buyToken));
        uint256 freeAfter;
        assembly {
            freeAfter := mload(0x40)
        }
        bytes memory afterwards = abi.encodePacked(h);
        return
            freeBefore == freeAfter && keccak256(before) == before0 && afterwards.length == 32
                && bytes32(afterwards) == h;
    }
}
