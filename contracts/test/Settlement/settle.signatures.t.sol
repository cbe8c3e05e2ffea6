// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent} from "../utils/IntentBuilder.sol";
import {Batch} from "../utils/BatchBuilder.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";

/// @notice settle(): EOA signature checks, each failure with its exact error.
contract SettleSignaturesTest is SettlementFixture {
    uint256 internal constant N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141; // secp256k1 order

    function aliceSells() internal returns (Intent memory) {
        return intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6);
    }

    /// @dev A one-trade batch whose signature is replaced by `signature`.
    function withSignature(Intent memory i, bytes memory signature) internal returns (Batch memory b) {
        b = wethUsdcBatch().add(i);
        b.trades[0].signature = signature;
    }

    function invalid(Intent memory i) internal view returns (bytes memory) {
        return abi.encodeWithSelector(ISettlement.InvalidSignature.selector, i.id());
    }

    function split(bytes memory sig) internal pure returns (bytes32 r, bytes32 s, uint8 v) {
        assembly {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
    }

    function test_reverts_when_someone_else_signed() public {
        Intent memory forged = aliceSells().signedWith(bobKey);

        settleReverts(wethUsdcBatch().add(forged), invalid(forged));
    }

    function test_reverts_on_the_high_s_twin_of_a_valid_signature() public {
        Intent memory i = aliceSells();
        (bytes32 r, bytes32 s, uint8 v) = split(i.signature());
        bytes32 highS = bytes32(N - uint256(s));
        uint8 flippedV = v == 27 ? 28 : 27;
        // The twin recovers the same signer: it is a genuine malleated signature.
        assertEq(ecrecover(i.id(), flippedV, r, highS), alice);

        Batch memory b = withSignature(i, abi.encodePacked(r, highS, flippedV));
        settleReverts(b, abi.encodeWithSelector(ISettlement.MalleableSignature.selector, i.id()));
    }

    function test_reverts_when_v_is_0_instead_of_27_or_28() public {
        Intent memory i = aliceSells();
        (bytes32 r, bytes32 s, uint8 v) = split(i.signature());

        settleReverts(withSignature(i, abi.encodePacked(r, s, v - 27)), invalid(i));
    }

    function test_reverts_when_v_is_29() public {
        Intent memory i = aliceSells();
        (bytes32 r, bytes32 s,) = split(i.signature());

        settleReverts(withSignature(i, abi.encodePacked(r, s, uint8(29))), invalid(i));
    }

    function test_reverts_when_v_is_the_other_parity() public {
        Intent memory i = aliceSells();
        (bytes32 r, bytes32 s, uint8 v) = split(i.signature());

        settleReverts(withSignature(i, abi.encodePacked(r, s, v == 27 ? uint8(28) : uint8(27))), invalid(i));
    }

    function test_reverts_when_the_signature_is_64_bytes() public {
        Intent memory i = aliceSells();
        (bytes32 r, bytes32 s,) = split(i.signature());

        settleReverts(withSignature(i, abi.encodePacked(r, s)), invalid(i));
    }

    function test_reverts_when_the_signature_has_a_trailing_byte() public {
        Intent memory i = aliceSells();

        settleReverts(withSignature(i, abi.encodePacked(i.signature(), uint8(0))), invalid(i));
    }

    function test_reverts_when_the_signature_is_empty() public {
        Intent memory i = aliceSells();

        settleReverts(withSignature(i, ""), invalid(i));
    }

    function test_reverts_when_the_signature_does_not_recover_and_the_owner_is_zero() public {
        // ecrecover returns address(0) for garbage; an owner of address(0) must not match it.
        Intent memory i = aliceSells();
        i.owner = address(0);

        settleReverts(withSignature(i, abi.encodePacked(bytes32(0), bytes32(0), uint8(27))), invalid(i));
    }

    function test_reverts_when_signed_for_another_chain() public {
        Intent memory i = aliceSells().signedForChain(block.chainid + 1);

        settleReverts(wethUsdcBatch().add(i), invalid(i));
    }

    function test_reverts_when_signed_for_another_verifying_contract() public {
        Intent memory i = aliceSells().signedForContract(makeAddr("other settlement"));

        settleReverts(wethUsdcBatch().add(i), invalid(i));
    }

    function test_accepts_a_signature_for_this_chain_and_contract() public {
        Intent memory bobBuys = intent().by(bobKey).buyKind().sell(address(usdc), 3000e6).buy(address(weth), 1e18);

        settle(wethUsdcBatch().add(aliceSells()).add(bobBuys));

        assertEq(balance(usdc, alice), BALANCE * 1e6 + 3000e6);
    }
}
