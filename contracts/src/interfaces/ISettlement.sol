// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Batch settlement of signed intents at uniform clearing prices.
/// @notice Types, events and errors shared by the settlement, its tests and off-chain encoders.
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
        // Where the sell amount goes: address(0) = this settlement; a pool that swaps what it holds
        // (Uniswap V2 style) receives it directly, saving a transfer. The owner is paid from the
        // settlement either way, so this cannot cost the owner anything.
        address sellTo;
        bytes signature; // 65-byte r,s,v for EOAs; any bytes the owner's EIP-1271 check accepts
    }

    /// @notice A call the settlement makes on the solver's behalf (AMM swaps, approvals, unwraps).
    struct Interaction {
        address target;
        uint256 value; // wei sent from the settlement's own balance
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
    error ForbiddenInteractionTarget(address target);
    error Reentrancy();

    /// @notice Settle a batch: run `interactions[0]`, pull every trade's sell amount through the
    /// IntentSpender (to the settlement, or to the trade's `sellTo`), run `interactions[1]`, pay every
    /// trade's buy amount, run `interactions[2]`.
    /// @dev Only allow-listed solvers; not reentrant. Every trade must carry a valid signature, be
    /// unexpired, not cancelled, not replayed or over-filled, and respect its limit at the uniform
    /// clearing prices; any violation reverts the whole batch.
    /// @param tokens the batch's tokens; trades refer to them by index
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

    /// @notice Cancel intents on-chain: set the bits of `mask` in the caller's nonce word `wordPosition`.
    function invalidateNonces(uint256 wordPosition, uint256 mask) external;

    /// @notice True when `owner`'s `nonce` is used (fill-or-kill intent settled) or cancelled.
    function isNonceUsed(address owner, uint256 nonce) external view returns (bool);
}
