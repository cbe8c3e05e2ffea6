// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ISettlement} from "../interfaces/ISettlement.sol";

/// @title EIP-712 hashing of intents.
/// @notice The signed struct, field by field, and why each field is signed:
/// - owner: binds the intent (and its id) to the signer; EIP-1271 wallets are called at this address.
/// - sellToken, buyToken: what leaves and what arrives; a solver must not swap either.
/// - receiver: where proceeds go (zero = owner); a solver must not redirect them.
/// - sellAmount, buyAmount: the limit price buyAmount/sellAmount and the size cap of the exact side.
/// - validTo: unix seconds after which no solver may settle a stale price.
/// - nonce: unordered replay and cancellation key (Permit2-style bitmap), so many intents can be in flight.
/// - kind: which side is exact (sell: sellAmount is spent; buy: buyAmount is received).
/// - partiallyFillable: whether the owner accepts several smaller fills instead of fill-or-kill.
/// - appData: hash of off-chain metadata (quote id, slippage tolerance, referrer) the owner agreed to.
library IntentLib {
    bytes32 internal constant TYPEHASH = keccak256(
        "Intent(address owner,address sellToken,address buyToken,address receiver,uint256 sellAmount,"
        "uint256 buyAmount,uint256 validTo,uint256 nonce,uint8 kind,bool partiallyFillable,bytes32 appData)"
    );

    uint256 internal constant FLAG_BUY = 1; // kind: 0 = sell, 1 = buy
    uint256 internal constant FLAG_PARTIAL = 2; // partially fillable
    uint256 internal constant FLAG_EIP1271 = 4; // signing scheme (not signed: it only says how to verify)

    /// @notice EIP-712 struct hash of the intent in `trade`, given its resolved token addresses.
    function structHash(ISettlement.Trade calldata trade, address sellToken, address buyToken)
        internal
        pure
        returns (bytes32 result)
    {
        bytes32 typeHash = TYPEHASH;
        // Twelve 32-byte words hashed from scratch memory above the free pointer (not allocated:
        // nothing else writes memory between the stores and the hash).
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typeHash)
            mstore(add(m, 0x20), calldataload(add(trade, 0x40))) // owner
            mstore(add(m, 0x40), sellToken)
            mstore(add(m, 0x60), buyToken)
            mstore(add(m, 0x80), calldataload(add(trade, 0x60))) // receiver
            calldatacopy(add(m, 0xa0), add(trade, 0x80), 0xa0) // sellAmount, buyAmount, validTo, nonce, appData
            let flags := calldataload(add(trade, 0x120))
            // EIP-712 order is ..., nonce, kind, partiallyFillable, appData: move appData after the bits.
            mstore(add(m, 0x160), mload(add(m, 0x120)))
            mstore(add(m, 0x120), and(flags, 1))
            mstore(add(m, 0x140), shr(1, and(flags, 2)))
            result := keccak256(m, 0x180)
        }
    }

    /// @notice EIP-712 digest `keccak256("\x19\x01" || domainSeparator || structHash)`; also the intent id.
    function digest(bytes32 domainSeparator, bytes32 hashOfStruct) internal pure returns (bytes32 result) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, 0x1901000000000000000000000000000000000000000000000000000000000000)
            mstore(add(m, 0x02), domainSeparator)
            mstore(add(m, 0x22), hashOfStruct)
            result := keccak256(m, 0x42)
        }
    }
}
