// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Signature checks for intents: EIP-712 from EOAs, EIP-1271 from contract wallets.
library SignatureLib {
    /// @dev secp256k1n / 2: an `s` above it is the malleable twin of a valid signature (EIP-2).
    uint256 internal constant HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    bytes4 internal constant EIP1271_MAGIC = 0x1626ba7e; // isValidSignature(bytes32,bytes) selector

    enum Result {
        Valid,
        Invalid,
        Malleable
    }

    /// @notice Checks a 65-byte `r || s || v` signature of `hash` by `signer`.
    /// Rejects high-s (malleable) signatures, v other than 27/28, lengths other than 65.
    function checkEoa(bytes32 hash, address signer, bytes calldata signature) internal view returns (Result) {
        if (signature.length != 65) return Result.Invalid;
        bytes32 r;
        bytes32 s;
        uint256 v;
        assembly ("memory-safe") {
            r := calldataload(signature.offset)
            s := calldataload(add(signature.offset, 0x20))
            v := byte(0, calldataload(add(signature.offset, 0x40)))
        }
        if (uint256(s) > HALF_CURVE_ORDER) return Result.Malleable;
        if (v != 27 && v != 28) return Result.Invalid;
        address recovered = ecrecover(hash, uint8(v), r, s);
        return recovered != address(0) && recovered == signer ? Result.Valid : Result.Invalid;
    }

    /// @notice Asks the contract wallet `signer` whether `signature` is valid for `hash` (EIP-1271).
    /// A call that reverts, returns short data or another value means invalid.
    function checkEip1271(bytes32 hash, address signer, bytes calldata signature) internal view returns (Result) {
        (bool ok, bytes memory ret) = signer.staticcall(abi.encodeWithSelector(EIP1271_MAGIC, hash, signature));
        return
            ok && ret.length >= 32 && abi.decode(ret, (bytes32)) == bytes32(EIP1271_MAGIC)
                ? Result.Valid
                : Result.Invalid;
    }
}
