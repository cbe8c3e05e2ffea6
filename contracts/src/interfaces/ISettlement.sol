// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IntentSpender} from "../IntentSpender.sol";

/// @title Batch settlement of signed intents at uniform clearing prices.
/// @notice Every external function of the Settlement, with the types, events and errors shared by the
/// settlement, its tests and off-chain encoders (a test checks that the Settlement's ABI declares no
/// function this interface lacks).
///
/// Value safety (the invariant `settle` enforces on-chain, whoever the allow-listed solver is):
/// after `settle`, the settlement holds at least what it held before, token by token (and in ETH),
/// less at most one base unit per trade of rounding dust, and no allowance or other lasting right over
/// the settlement's tokens outlives the batch.
interface ISettlement {
    /// @notice One signed intent and how much of it a batch executes. The fields from `owner` to
    /// `appData` plus the kind and partial-fill bits of `flags` are exactly what the owner signed
    /// (see IntentLib for why each one is signed); `executedAmount`, `sellTo` and the signing-scheme
    /// bit are the solver's choice and are checked against the signed fields.
    struct Trade {
        uint256 sellTokenIndex; // index of the sell token in the batch's `tokens`
        uint256 buyTokenIndex; // index of the buy token in the batch's `tokens`
        address owner; // who signed; pays the sell token
        address receiver; // who gets the buy token; address(0) means the owner
        uint256 sellAmount; // sell-token base units; the limit's numerator
        uint256 buyAmount; // buy-token base units; the limit's denominator
        uint256 validTo; // unix seconds; last second the intent may settle
        uint256 nonce; // unordered nonce: bitmap word `nonce >> 8`, bit `nonce & 255`
        bytes32 appData; // hash of off-chain metadata (quote id, slippage, partner)
        uint256 flags; // bit 0: buy kind; bit 1: partially fillable; bit 2: EIP-1271 signature
        uint256 executedAmount; // sell units for sell intents, buy units for buy intents
        // Where the sell amount goes: address(0) = this settlement; otherwise a genuine Uniswap V2 pair
        // (runtime code hash `uniswapV2PairCodeHash`) or an owner-listed adapter, which swaps what it was
        // sent, saving a transfer. The owner is paid from the settlement either way, so this cannot cost
        // the owner anything, and the balance guard makes the batch bring the payout back.
        address sellTo;
        bytes signature; // 65-byte r,s,v for EOAs; any bytes the owner's EIP-1271 check accepts
    }

    /// @notice A call the settlement makes on the solver's behalf. Only these are allowed (else
    /// `ForbiddenInteraction`): `transfer(address,uint256)` on a token of the batch's `tokens`;
    /// `swap(uint256,uint256,address,bytes)` on a contract whose runtime code is the genuine Uniswap V2
    /// pair's; `swap(address,bool,int256,uint160,bytes)` on a canonical pool of `uniswapV3Factory` whose
    /// input token is in `tokens` (the settlement pays it in `uniswapV3SwapCallback`); any call to an
    /// owner-listed adapter. Never the spender or the settlement itself (`ForbiddenInteractionTarget`).
    struct Interaction {
        address target;
        uint256 value; // wei sent from the settlement's own balance (the ETH guard covers it)
        bytes callData;
    }

    /// @notice One intent was (partly) executed. Volume attribution: `owner` is a user, or a solver
    /// inventory account (see InventoryAccountSet); AMM volume shows in the pools' own Swap events in
    /// the same transaction. (Interactions emit no event of their own: the pools' events say more, and
    /// an event per interaction would cost about 1.6k gas.)
    /// @param sellAmount sell-token units taken from the owner in this fill
    /// @param buyAmount buy-token units paid to the receiver in this fill
    event Fill(
        address indexed owner,
        bytes32 indexed intentId,
        address sellToken,
        address buyToken,
        uint256 sellAmount,
        uint256 buyAmount
    );

    /// @notice A batch settled; `auctionId` ties it to the venue's auction record.
    event Settled(address indexed solver, uint256 indexed auctionId);

    /// @notice `owner` invalidated the nonces set in `mask` of bitmap word `wordPosition`.
    event NoncesInvalidated(address indexed owner, uint256 indexed wordPosition, uint256 mask);

    /// @notice The owner allowed or disallowed `solver` to call settle.
    event SolverSet(address indexed solver, bool allowed);

    /// @notice The owner marked `account` as (or no longer as) a solver inventory account, so that fills
    /// it signs are attributed to inventory rather than to other users.
    event InventoryAccountSet(address indexed account, bool isInventory);

    /// @notice The owner listed (`allowed`) or delisted `adapter` as an interaction target and `sellTo`.
    event AdapterSet(address indexed adapter, bool allowed);

    /// @notice The owner proposed `newOwner`; ownership moves when `newOwner` accepts it.
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);

    /// @notice Ownership moved from `previousOwner` to `newOwner` (at deployment `previousOwner` is zero).
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error NotSolver(address caller);
    error PriceCountMismatch(uint256 tokens, uint256 prices);
    error TokenIndexOutOfRange(uint256 index);
    error ZeroClearingPrice(address token);
    error IntentExpired(bytes32 intentId, uint256 validTo);
    error InvalidSignature(bytes32 intentId);
    error MalleableSignature(bytes32 intentId);
    error NonceAlreadyUsed(address owner, uint256 nonce);
    error IntentCancelled(bytes32 intentId);
    error InvalidExecutedAmount(bytes32 intentId, uint256 executedAmount);
    error OverFill(bytes32 intentId, uint256 alreadyFilled, uint256 executedAmount, uint256 fullAmount);
    error LimitPriceViolated(bytes32 intentId);
    /// @notice An interaction targets the spender or the settlement itself.
    error ForbiddenInteractionTarget(address target);
    error Reentrancy();
    /// @notice `tokens[index]` is not greater than `tokens[index - 1]`: tokens must be strictly
    /// increasing by address, so that each token has exactly one clearing price.
    error UnsortedTokens(uint256 index);
    /// @notice After the batch the settlement holds less of `token` (address(0): ETH) than it held
    /// before, beyond the allowed rounding dust (one base unit per trade rounding in that token).
    error BalanceDecreased(address token, uint256 before, uint256 afterwards);
    /// @notice The interaction is none of the allowed calls (see `Interaction`); `selector` is the first
    /// four bytes of its calldata (zero if shorter).
    error ForbiddenInteraction(address target, bytes4 selector);
    /// @notice A Uniswap V3 swap would make the settlement pay `token`, which is not in `tokens`.
    error UnlistedToken(address token);
    /// @notice `uniswapV3SwapCallback` was called by `caller`, not by the pool the settlement is swapping with.
    error UnexpectedCallback(address caller);
    /// @notice A trade's `sellTo` is neither zero (the settlement), a genuine Uniswap V2 pair nor an adapter.
    error InvalidSellTo(bytes32 intentId, address sellTo);
    /// @notice An owner-only function was called by `caller`.
    error NotOwner(address caller);
    /// @notice `acceptOwnership` was called by `caller`, not the pending owner.
    error NotPendingOwner(address caller);

    // ---- settling ---------------------------------------------------------------------------------

    /// @notice Settle a batch: run `interactions[0]`, pull every trade's sell amount through the
    /// IntentSpender (to the settlement, or to the trade's `sellTo`), run `interactions[1]`, pay every
    /// trade's buy amount, run `interactions[2]`; then check that the settlement lost nothing.
    /// @dev Only allow-listed solvers; not reentrant. `tokens` must be strictly increasing by address.
    /// Every trade must carry a valid signature, be unexpired, not cancelled, not replayed or
    /// over-filled, and respect its limit at the uniform clearing prices; every interaction must be an
    /// allowed call (see `Interaction`); the settlement's balance of every token of `tokens` and of ETH
    /// must not end lower than it started, less one base unit per trade whose owner-favouring rounding
    /// is in that token (a sell-kind trade's buy token, a buy-kind trade's sell token). Any violation
    /// reverts the whole batch.
    /// @param tokens the batch's tokens, strictly increasing by address; trades refer to them by index
    /// @param clearingPrices one price per token, in any common unit; executed amounts follow from them
    /// @param trades the intents executed and by how much
    /// @param interactions calls before, between and after the transfers
    /// @param auctionId the venue's auction this batch answers, echoed in `Settled`
    function settle(
        address[] calldata tokens,
        uint256[] calldata clearingPrices,
        Trade[] calldata trades,
        Interaction[][3] calldata interactions,
        uint256 auctionId
    ) external;

    /// @notice Uniswap V3 swap callback: pays the pool the settlement is swapping with (inside a `swap`
    /// interaction) the amount it is owed of the swap's input token, from the settlement's balance.
    /// @dev Reverts `UnexpectedCallback` unless `msg.sender` is that pool. No approval is ever granted.
    /// @param amount0Delta token0 owed to the pool (positive) or sent by it (negative)
    /// @param amount1Delta token1 owed to the pool (positive) or sent by it (negative)
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata data) external;

    // ---- intents and nonces -----------------------------------------------------------------------

    /// @notice Cancel intents on-chain: set the bits of `mask` in the caller's nonce word `wordPosition`.
    function invalidateNonces(uint256 wordPosition, uint256 mask) external;

    /// @notice True when `owner`'s `nonce` is used (fill-or-kill intent settled) or cancelled.
    function isNonceUsed(address owner, uint256 nonce) external view returns (bool);

    /// @notice Unordered nonces: bit `nonce & 255` of word `nonce >> 8` of `owner` is set once used or cancelled.
    function nonceBitmap(address owner, uint256 wordPosition) external view returns (uint256);

    /// @notice Executed amount of the partially fillable intent `id` so far, in units of its exact side.
    function filledAmount(bytes32 id) external view returns (uint256);

    /// @notice The EIP-712 domain separator; recomputed if the chain forked to a new id.
    function domainSeparatorV4() external view returns (bytes32);

    /// @notice The id (EIP-712 digest) of the intent in `trade`, resolved with `tokens`.
    function intentId(Trade calldata trade, address[] calldata tokens) external view returns (bytes32);

    /// @notice The approval holder; only this settlement can drive it and no interaction may call it.
    function spender() external view returns (IntentSpender);

    // ---- allow-lists ------------------------------------------------------------------------------

    /// @notice True if `solver` may call settle.
    function isSolver(address solver) external view returns (bool);

    /// @notice Allow or disallow `solver` to settle batches. Owner only.
    function setSolver(address solver, bool allowed) external;

    /// @notice True if fills `account` signs are solver inventory (informational: lets anyone attribute volume).
    function isInventoryAccount(address account) external view returns (bool);

    /// @notice Mark `account` as a solver inventory account for volume attribution. Owner only.
    function setInventoryAccount(address account, bool isInventory) external;

    /// @notice True if `adapter` is an owner-listed adapter: any call to it is an allowed interaction and it
    /// may be a trade's `sellTo`.
    function isAdapter(address adapter) external view returns (bool);

    /// @notice List or delist `adapter`. Owner only.
    /// @dev An adapter must hold no right over the settlement's tokens (no allowance, no way to pull
    /// them) and swap only what it is sent. Never list a token: a listed token that is in a batch's
    /// `tokens` is still held to the token rule (transfer only), but outside it any call would pass.
    function setAdapter(address adapter, bool allowed) external;

    // ---- Uniswap recognition (immutables) ---------------------------------------------------------

    /// @notice Runtime code hash of the official UniswapV2Pair: every genuine pair has exactly this code
    /// (the pair has no immutables), and such a contract can take nothing from the settlement that the
    /// settlement did not send it, whichever factory deployed it.
    function uniswapV2PairCodeHash() external view returns (bytes32);

    /// @notice The Uniswap V3 factory whose pools (CREATE2 with `uniswapV3PoolInitCodeHash`) may be swapped with.
    function uniswapV3Factory() external view returns (address);

    /// @notice keccak256 of the UniswapV3Pool creation code (v3-periphery's `POOL_INIT_CODE_HASH`).
    function uniswapV3PoolInitCodeHash() external view returns (bytes32);

    // ---- ownership (two-step) ---------------------------------------------------------------------

    /// @notice The account allowed to manage the allow-lists.
    function owner() external view returns (address);

    /// @notice The account `transferOwnership` named, until it accepts (zero if none).
    function pendingOwner() external view returns (address);

    /// @notice Propose `newOwner` (zero cancels a pending proposal). Owner only; takes effect on
    /// `acceptOwnership`.
    function transferOwnership(address newOwner) external;

    /// @notice The pending owner becomes the owner.
    function acceptOwnership() external;
}
