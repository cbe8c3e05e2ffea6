// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";

/// @notice An intent under construction: the signed fields, how the test signs them, and how much a
/// batch executes. Build with `IntentBuilder.intent(settlement)` and chain the setters.
struct Intent {
    address settlement; // the verifying contract the id is computed for
    uint256 key; // private key that signs (the owner's, or the EOA behind an EIP-1271 wallet)
    address owner;
    address sellToken;
    address buyToken;
    address receiver;
    uint256 sellAmount;
    uint256 buyAmount;
    uint256 validTo;
    uint256 nonce;
    bool isBuy;
    bool isPartial;
    bool isEip1271;
    bytes32 appData;
    bool hasExecuted; // false: execute the signed full amount
    uint256 executed;
    address sellTo; // solver's choice, not signed: where the spender sends the sell amount (0 = settlement)
    // Signing overrides for negative tests: zero means "the real one".
    uint256 signChainId;
    address signContract;
}

using IntentBuilder for Intent global;

/// @title Fluent builder of signed intents.
/// @notice Computes the EIP-712 digest on its own, from the spec (domain name "IntentSettlement",
/// version "1", chain id, verifying contract; the Intent type string below) and never from the
/// contract or IntentLib: a trade it signs settles only if the contract hashes exactly the same way.
library IntentBuilder {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant INTENT_TYPEHASH = keccak256(
        "Intent(address owner,address sellToken,address buyToken,address receiver,uint256 sellAmount,"
        "uint256 buyAmount,uint256 validTo,uint256 nonce,uint8 kind,bool partiallyFillable,bytes32 appData)"
    );
    uint256 internal constant FLAG_BUY = 1;
    uint256 internal constant FLAG_PARTIAL = 2;
    uint256 internal constant FLAG_EIP1271 = 4;

    /// @dev Defaults: sell kind, fill-or-kill, receiver = owner, nonce 0, valid for one hour.
    function intent(address settlement) internal view returns (Intent memory i) {
        i.settlement = settlement;
        i.validTo = block.timestamp + 1 hours;
    }

    // ---- signed fields ------------------------------------------------------------------------

    function by(Intent memory i, uint256 key) internal returns (Intent memory) {
        i.key = key;
        i.owner = vm.addr(key);
        return i;
    }

    /// @dev Owned by an EIP-1271 `wallet` whose EOA owner holds `key`.
    function byWallet(Intent memory i, address wallet, uint256 key) internal pure returns (Intent memory) {
        i.key = key;
        i.owner = wallet;
        i.isEip1271 = true;
        return i;
    }

    function sell(Intent memory i, address token, uint256 amount) internal pure returns (Intent memory) {
        i.sellToken = token;
        i.sellAmount = amount;
        return i;
    }

    function buy(Intent memory i, address token, uint256 amount) internal pure returns (Intent memory) {
        i.buyToken = token;
        i.buyAmount = amount;
        return i;
    }

    function buyKind(Intent memory i) internal pure returns (Intent memory) {
        i.isBuy = true;
        return i;
    }

    function partiallyFillable(Intent memory i) internal pure returns (Intent memory) {
        i.isPartial = true;
        return i;
    }

    function to(Intent memory i, address receiver) internal pure returns (Intent memory) {
        i.receiver = receiver;
        return i;
    }

    function validUntil(Intent memory i, uint256 timestamp) internal pure returns (Intent memory) {
        i.validTo = timestamp;
        return i;
    }

    function withNonce(Intent memory i, uint256 nonce) internal pure returns (Intent memory) {
        i.nonce = nonce;
        return i;
    }

    function withAppData(Intent memory i, bytes32 appData) internal pure returns (Intent memory) {
        i.appData = appData;
        return i;
    }

    // ---- solver's choice and signing overrides --------------------------------------------------

    /// @dev Executed amount: sell units for sell intents, buy units for buy intents.
    function executing(Intent memory i, uint256 amount) internal pure returns (Intent memory) {
        i.hasExecuted = true;
        i.executed = amount;
        return i;
    }

    /// @dev Have the spender send the sell amount straight to `pool` instead of the settlement.
    function sellingTo(Intent memory i, address pool) internal pure returns (Intent memory) {
        i.sellTo = pool;
        return i;
    }

    /// @dev Sign with `key` instead of the owner's key (the owner stays the same).
    function signedWith(Intent memory i, uint256 key) internal pure returns (Intent memory) {
        i.key = key;
        return i;
    }

    function signedForChain(Intent memory i, uint256 chainId) internal pure returns (Intent memory) {
        i.signChainId = chainId;
        return i;
    }

    function signedForContract(Intent memory i, address verifyingContract) internal pure returns (Intent memory) {
        i.signContract = verifyingContract;
        return i;
    }

    /// @dev A copy, so that a variant can be built without touching the original.
    function copy(Intent memory i) internal pure returns (Intent memory c) {
        c = abi.decode(abi.encode(i), (Intent));
    }

    // ---- hashing (independent of the contract) --------------------------------------------------

    function domainSeparator(uint256 chainId, address verifyingContract) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("IntentSettlement"), keccak256("1"), chainId, verifyingContract)
        );
    }

    function structHash(Intent memory i) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                INTENT_TYPEHASH,
                i.owner,
                i.sellToken,
                i.buyToken,
                i.receiver,
                i.sellAmount,
                i.buyAmount,
                i.validTo,
                i.nonce,
                uint8(i.isBuy ? 1 : 0),
                i.isPartial,
                i.appData
            )
        );
    }

    function digest(bytes32 separator, bytes32 hashOfStruct) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", separator, hashOfStruct));
    }

    /// @notice The intent id the settlement computes: the digest on this chain for `settlement`.
    function id(Intent memory i) internal view returns (bytes32) {
        return digest(domainSeparator(block.chainid, i.settlement), structHash(i));
    }

    /// @notice The digest the test signs (differs from `id` only under the signing overrides).
    function signingDigest(Intent memory i) internal view returns (bytes32) {
        uint256 chainId = i.signChainId == 0 ? block.chainid : i.signChainId;
        address verifyingContract = i.signContract == address(0) ? i.settlement : i.signContract;
        return digest(domainSeparator(chainId, verifyingContract), structHash(i));
    }

    function signature(Intent memory i) internal returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(i.key, signingDigest(i));
        return abi.encodePacked(r, s, v);
    }

    // ---- output ---------------------------------------------------------------------------------

    function fullAmount(Intent memory i) internal pure returns (uint256) {
        return i.isBuy ? i.buyAmount : i.sellAmount;
    }

    function executedAmount(Intent memory i) internal pure returns (uint256) {
        return i.hasExecuted ? i.executed : fullAmount(i);
    }

    function flags(Intent memory i) internal pure returns (uint256 f) {
        if (i.isBuy) f |= FLAG_BUY;
        if (i.isPartial) f |= FLAG_PARTIAL;
        if (i.isEip1271) f |= FLAG_EIP1271;
    }

    /// @notice The signed trade, with token indices resolved against the batch's `tokens`.
    function trade(Intent memory i, address[] memory tokens) internal returns (ISettlement.Trade memory t) {
        t.sellTokenIndex = indexOf(tokens, i.sellToken);
        t.buyTokenIndex = indexOf(tokens, i.buyToken);
        t.owner = i.owner;
        t.receiver = i.receiver;
        t.sellAmount = i.sellAmount;
        t.buyAmount = i.buyAmount;
        t.validTo = i.validTo;
        t.nonce = i.nonce;
        t.appData = i.appData;
        t.flags = flags(i);
        t.executedAmount = executedAmount(i);
        t.sellTo = i.sellTo;
        t.signature = signature(i);
    }

    function indexOf(address[] memory tokens, address token) internal pure returns (uint256) {
        for (uint256 k; k < tokens.length; ++k) {
            if (tokens[k] == token) return k;
        }
        revert("IntentBuilder: token not in batch");
    }
}
