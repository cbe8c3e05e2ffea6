// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "solady/auth/Ownable.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {IntentSpender} from "./IntentSpender.sol";
import {IntentLib} from "./libraries/IntentLib.sol";
import {ClearingLib} from "./libraries/ClearingLib.sol";
import {SignatureLib} from "./libraries/SignatureLib.sol";

/// @title Settlement
/// @notice Settles batches of EIP-712 signed intents at one uniform clearing price per token, with
/// AMM interactions and solver inventory (intents the solver's inventory account signs at solve time)
/// as counterparties. Users approve the IntentSpender this contract deploys, never this contract.
contract Settlement is ISettlement, Ownable {
    using SafeTransferLib for address;

    /// @notice The approval holder; only this contract can drive it and no interaction may call it.
    IntentSpender public immutable spender;

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("IntentSettlement");
    bytes32 private constant VERSION_HASH = keccak256("1");
    uint256 private immutable cachedChainId;
    bytes32 private immutable cachedDomainSeparator;

    /// @notice Addresses allowed to call settle.
    mapping(address => bool) public isSolver;
    /// @notice Accounts whose fills are solver inventory (informational: lets anyone attribute volume).
    mapping(address => bool) public isInventoryAccount;
    /// @notice Unordered nonces: bit `nonce & 255` of word `nonce >> 8` is set once used or cancelled.
    mapping(address => mapping(uint256 => uint256)) public nonceBitmap;
    /// @notice Executed amount of each partially fillable intent so far, in units of its exact side.
    mapping(bytes32 => uint256) public filledAmount;

    bool private transient settling; // reentrancy lock, cleared at the end of the transaction anyway

    /// @dev What a trade owes its receiver, kept between the pull and the payout phases.
    struct Payout {
        address token;
        address receiver;
        uint256 amount;
    }

    constructor(address initialOwner) {
        _initializeOwner(initialOwner);
        spender = new IntentSpender();
        cachedChainId = block.chainid;
        cachedDomainSeparator = _buildDomainSeparator();
    }

    /// @notice Accept ETH (e.g. from unwrapping WETH in an interaction).
    receive() external payable {}

    /// @inheritdoc ISettlement
    function settle(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        Trade[] calldata trades,
        Interaction[][3] calldata interactions,
        uint256 auctionId
    ) external {
        if (settling) revert Reentrancy();
        settling = true;
        if (!isSolver[msg.sender]) revert NotSolver(msg.sender);
        if (tokens.length != clearingPrices.length) revert PriceCountMismatch(tokens.length, clearingPrices.length);

        _interact(interactions[0]);
        Payout[] memory payouts = new Payout[](trades.length);
        bytes32 domainSeparator = domainSeparatorV4();
        for (uint256 i; i < trades.length; ++i) {
            payouts[i] = _executeTrade(tokens, clearingPrices, trades[i], domainSeparator);
        }
        _interact(interactions[1]);
        for (uint256 i; i < payouts.length; ++i) {
            Payout memory p = payouts[i];
            p.token.safeTransfer(p.receiver, p.amount);
        }
        _interact(interactions[2]);

        emit Settled(msg.sender, auctionId);
        settling = false;
    }

    /// @inheritdoc ISettlement
    function invalidateNonces(uint256 wordPosition, uint256 mask) external {
        nonceBitmap[msg.sender][wordPosition] |= mask;
        emit NoncesInvalidated(msg.sender, wordPosition, mask);
    }

    /// @inheritdoc ISettlement
    function isNonceUsed(address owner, uint256 nonce) external view returns (bool) {
        return nonceBitmap[owner][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @notice Allow or disallow `solver` to settle batches. Owner only.
    function setSolver(address solver, bool allowed) external onlyOwner {
        isSolver[solver] = allowed;
        emit SolverSet(solver, allowed);
    }

    /// @notice Mark `account` as a solver inventory account for volume attribution. Owner only.
    function setInventoryAccount(address account, bool isInventory) external onlyOwner {
        isInventoryAccount[account] = isInventory;
        emit InventoryAccountSet(account, isInventory);
    }

    /// @notice The EIP-712 domain separator; recomputed if the chain forked to a new id.
    function domainSeparatorV4() public view returns (bytes32) {
        return block.chainid == cachedChainId ? cachedDomainSeparator : _buildDomainSeparator();
    }

    /// @notice The id (EIP-712 digest) of the intent in `trade`, resolved with `tokens`.
    function intentId(Trade calldata trade, address[] calldata tokens) external view returns (bytes32) {
        return IntentLib.digest(
            domainSeparatorV4(), IntentLib.structHash(trade, tokens[trade.sellTokenIndex], tokens[trade.buyTokenIndex])
        );
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    /// @dev Verifies one trade, pulls its sell amount and returns what it is owed.
    function _executeTrade(
        address[] calldata tokens,
        uint256[] calldata prices,
        Trade calldata trade,
        bytes32 domainSeparator
    ) private returns (Payout memory payout) {
        (uint256 sellIndex, uint256 buyIndex) = (trade.sellTokenIndex, trade.buyTokenIndex);
        if (sellIndex >= tokens.length) revert TokenIndexOutOfRange(sellIndex);
        if (buyIndex >= tokens.length) revert TokenIndexOutOfRange(buyIndex);
        address sellToken = tokens[sellIndex];
        address buyToken = tokens[buyIndex];
        bytes32 id = IntentLib.digest(domainSeparator, IntentLib.structHash(trade, sellToken, buyToken));

        address owner = trade.owner;
        _checkSignature(id, owner, trade);
        if (block.timestamp > trade.validTo) revert IntentExpired(id, trade.validTo);

        (uint256 executedSell, uint256 executedBuy) =
            _executedAmounts(id, trade, prices[sellIndex], prices[buyIndex], sellToken, buyToken);
        _consume(id, owner, trade);

        address sellTo = trade.sellTo;
        spender.pull(sellToken, owner, sellTo == address(0) ? address(this) : sellTo, executedSell);
        address receiver = trade.receiver == address(0) ? owner : trade.receiver;
        emit Fill(owner, id, sellToken, buyToken, executedSell, executedBuy);
        return Payout(buyToken, receiver, executedBuy);
    }

    /// @dev Limit check and executed amounts at the clearing prices, rounded for the owner.
    function _executedAmounts(
        bytes32 id,
        Trade calldata trade,
        uint256 pSell,
        uint256 pBuy,
        address sellToken,
        address buyToken
    ) private pure returns (uint256 executedSell, uint256 executedBuy) {
        if (pSell == 0) revert ZeroClearingPrice(sellToken);
        if (pBuy == 0) revert ZeroClearingPrice(buyToken);
        if (!ClearingLib.respectsLimit(trade.sellAmount, trade.buyAmount, pSell, pBuy)) {
            revert LimitPriceViolated(id);
        }
        uint256 executed = trade.executedAmount;
        if (executed == 0) revert InvalidExecutedAmount(id, 0);
        if (trade.flags & IntentLib.FLAG_BUY == 0) {
            (executedSell, executedBuy) = (executed, ClearingLib.buyForSell(executed, pSell, pBuy));
        } else {
            (executedSell, executedBuy) = (ClearingLib.sellForBuy(executed, pSell, pBuy), executed);
        }
    }

    /// @dev Replay protection. Fill-or-kill: executes in full once and uses its nonce. Partially
    /// fillable: must not be cancelled (nonce unset) and its fills may not exceed the signed amount.
    function _consume(bytes32 id, address owner, Trade calldata trade) private {
        uint256 flags = trade.flags;
        uint256 fullAmount = flags & IntentLib.FLAG_BUY == 0 ? trade.sellAmount : trade.buyAmount;
        uint256 executed = trade.executedAmount;
        uint256 nonce = trade.nonce;
        uint256 bit = 1 << (nonce & 0xff);
        mapping(uint256 => uint256) storage words = nonceBitmap[owner];
        uint256 word = words[nonce >> 8];
        if (flags & IntentLib.FLAG_PARTIAL == 0) {
            if (executed != fullAmount) revert InvalidExecutedAmount(id, executed);
            if (word & bit != 0) revert NonceAlreadyUsed(owner, nonce);
            words[nonce >> 8] = word | bit;
        } else {
            if (word & bit != 0) revert IntentCancelled(id);
            uint256 filled = filledAmount[id];
            if (executed > fullAmount - filled) revert OverFill(id, filled, executed, fullAmount);
            filledAmount[id] = filled + executed;
        }
    }

    function _checkSignature(bytes32 id, address owner, Trade calldata trade) private view {
        SignatureLib.Result result = trade.flags & IntentLib.FLAG_EIP1271 == 0
            ? SignatureLib.checkEoa(id, owner, trade.signature)
            : SignatureLib.checkEip1271(id, owner, trade.signature);
        if (result == SignatureLib.Result.Malleable) revert MalleableSignature(id);
        if (result != SignatureLib.Result.Valid) revert InvalidSignature(id);
    }

    function _interact(Interaction[] calldata calls) private {
        for (uint256 i; i < calls.length; ++i) {
            Interaction calldata call = calls[i];
            address target = call.target;
            if (target == address(spender)) revert ForbiddenInteractionTarget(target);
            bytes calldata data = call.callData;
            (bool ok, bytes memory ret) = target.call{value: call.value}(data);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(ret, 0x20), mload(ret)) // bubble the callee's revert reason
                }
            }
        }
    }
}
