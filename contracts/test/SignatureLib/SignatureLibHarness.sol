// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SignatureLib} from "../../src/libraries/SignatureLib.sol";

/// @dev Exposes SignatureLib's checks with calldata signatures, as the settlement calls them.
contract SignatureLibHarness {
    function halfCurveOrder() external pure returns (uint256) {
        return SignatureLib.HALF_CURVE_ORDER;
    }

    function checkEoa(bytes32 hash, address signer, bytes calldata signature)
        external
        view
        returns (SignatureLib.Result)
    {
        return SignatureLib.checkEoa(hash, signer, signature);
    }

    function checkEip1271(bytes32 hash, address signer, bytes calldata signature)
        external
        view
        returns (SignatureLib.Result)
    {
        return SignatureLib.checkEip1271(hash, signer, signature);
    }
}
