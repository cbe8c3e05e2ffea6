// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {IntentSpender} from "./IntentSpender.sol";
import {IntentLib} from "./libraries/IntentLib.sol";
import {ClearingLib} from "./libraries/ClearingLib.sol";
import {SignatureLib} from "./libraries/SignatureLib.sol";
import {BalanceLib} from "./libraries/BalanceLib.sol";

/// @title Settlement
/// @notice Settles batches of EIP-712 signed intents at one uniform clearing price per token, with
/// AMM interactions and solver inventory (intents the solver's inventory account signs at solve time)
/// as counterparties. Users approve the IntentSpender this contract deploys, never this contract.
///
/// Value safety, enforced here whoever the allow-listed solver is: after `settle`, the settlement
/// holds at least what it held before, token by token (and in ETH), less at most one base unit per
/// trade of rounding dust, and no allowance or other lasting right over the settlement's tokens
/// outlives the batch. How:
/// - `tokens` must be strictly increasing by address, so each token has one clearing price;
/// - the settlement's balance of every token of `tokens` and of ETH is read before the interactions
///   and checked after them (BalanceLib); a token outside `tokens` cannot be moved at all;
/// - interactions are restricted to calls that grant nothing lasting: `transfer` on a batch token,
///   `swap` on a genuine Uniswap V2 pair (it can take only what was sent to it), `swap` on a canonical
///   Uniswap V3 pool (paid exactly what it is owed in `uniswapV3SwapCallback`, no approval), and calls
///   to adapters the owner listed; never the spender or the settlement itself;
/// - a trade's `sellTo` is the settlement, a genuine V2 pair or an adapter.
contract Settlement is ISettlement {
    using SafeTransferLib for address;

    bytes4 private constant TRANSFER = 0xa9059cbb; // transfer(address,uint256)
    bytes4 private constant V2_SWAP = 0x022c0d9f; // swap(uint256,uint256,address,bytes)
    bytes4 private constant V3_SWAP = 0x128acb08; // swap(address,bool,int256,uint160,bytes)

    /// @inheritdoc ISettlement
    IntentSpender public immutable spender;
    /// @inheritdoc ISettlement
    bytes32 public immutable uniswapV2PairCodeHash;
    /// @inheritdoc ISettlement
    address public immutable uniswapV3Factory;
    /// @inheritdoc ISettlement
    bytes32 public immutable uniswapV3PoolInitCodeHash;

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("IntentSettlement");
    bytes32 private constant VERSION_HASH = keccak256("1");
    uint256 private immutable cachedChainId;
    bytes32 private immutable cachedDomainSeparator;

    /// @inheritdoc ISettlement
    address public owner;
    /// @inheritdoc ISettlement
    address public pendingOwner;
    /// @inheritdoc ISettlement
    mapping(address => bool) public isSolver;
    /// @inheritdoc ISettlement
    mapping(address => bool) public isInventoryAccount;
    /// @inheritdoc ISettlement
    mapping(address => bool) public isAdapter;
    /// @inheritdoc ISettlement
    mapping(address => mapping(uint256 => uint256)) public nonceBitmap;
    /// @inheritdoc ISettlement
    mapping(bytes32 => uint256) public filledAmount;

    bool private transient settling; // reentrancy lock, cleared at the end of the transaction anyway
    address private transient swapPool; // the V3 pool of the swap interaction under way, until it is paid
    address private transient swapToken; // the token the settlement pays that pool

    /// @param initialOwner manages the allow-lists (solvers, inventory accounts, adapters)
    /// @param v2PairCodeHash runtime code hash of the official UniswapV2Pair
    /// @param v3Factory the official UniswapV3Factory of this chain
    /// @param v3PoolInitCodeHash keccak256 of the UniswapV3Pool creation code
    constructor(address initialOwner, bytes32 v2PairCodeHash, address v3Factory, bytes32 v3PoolInitCodeHash) {
        owner = initialOwner;
        emit OwnershipTransferred(address(0), initialOwner);
        spender = new IntentSpender();
        uniswapV2PairCodeHash = v2PairCodeHash;
        uniswapV3Factory = v3Factory;
        uniswapV3PoolInitCodeHash = v3PoolInitCodeHash;
        cachedChainId = block.chainid;
        cachedDomainSeparator = _buildDomainSeparator();
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Accept ETH (e.g. from unwrapping WETH in an interaction).
    receive() external payable {}

    // ---- settling ---------------------------------------------------------------------------------

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
        _checkSorted(tokens);

        uint256[] memory before = BalanceLib.snapshot(tokens);
        uint256[] memory dust = new uint256[](tokens.length);
        _interact(tokens, interactions[0]);
        // What each trade owes its receiver, kept between the pull and the payout phases: three words
        // per trade (token, receiver, amount).
        uint256 payouts = _allocate(trades.length * 0x60);
        bytes32 domainSeparator = domainSeparatorV4();
        for (uint256 i; i < trades.length; ++i) {
            Trade calldata trade = trades[i];
            (address token, address receiver, uint256 amount) =
                _executeTrade(tokens, clearingPrices, trade, domainSeparator);
            assembly ("memory-safe") {
                let p := add(payouts, mul(i, 0x60))
                mstore(p, token)
                mstore(add(p, 0x20), receiver)
                mstore(add(p, 0x40), amount)
                // The owner-favouring rounding may cost the settlement one unit: of the buy token for a
                // sell intent (paid rounded up), of the sell token for a buy intent (charged rounded
                // down). The index is in range: _executeTrade checked it.
                let index := calldataload(add(trade, 0x20)) // buyTokenIndex
                if and(calldataload(add(trade, 0x120)), 1) { index := calldataload(trade) } // sellTokenIndex
                let d := add(add(dust, 0x20), shl(5, index))
                mstore(d, add(mload(d), 1))
            }
        }
        _interact(tokens, interactions[1]);
        for (uint256 i; i < trades.length; ++i) {
            address token;
            address receiver;
            uint256 amount;
            assembly ("memory-safe") {
                let p := add(payouts, mul(i, 0x60))
                token := mload(p)
                receiver := mload(add(p, 0x20))
                amount := mload(add(p, 0x40))
            }
            token.safeTransfer(receiver, amount);
        }
        _interact(tokens, interactions[2]);
        BalanceLib.check(tokens, before, dust);

        emit Settled(msg.sender, auctionId);
        settling = false;
    }

    /// @inheritdoc ISettlement
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        address pool = swapPool;
        if (msg.sender != pool) revert UnexpectedCallback(msg.sender);
        swapPool = address(0); // paid once per swap
        // A canonical pool owes exactly one positive delta: the input token's.
        swapToken.safeTransfer(pool, uint256(amount0Delta > 0 ? amount0Delta : amount1Delta));
    }

    // ---- intents and nonces -----------------------------------------------------------------------

    /// @inheritdoc ISettlement
    function invalidateNonces(uint256 wordPosition, uint256 mask) external {
        nonceBitmap[msg.sender][wordPosition] |= mask;
        emit NoncesInvalidated(msg.sender, wordPosition, mask);
    }

    /// @inheritdoc ISettlement
    function isNonceUsed(address owner_, uint256 nonce) external view returns (bool) {
        return nonceBitmap[owner_][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @inheritdoc ISettlement
    function domainSeparatorV4() public view returns (bytes32) {
        return block.chainid == cachedChainId ? cachedDomainSeparator : _buildDomainSeparator();
    }

    /// @inheritdoc ISettlement
    function intentId(Trade calldata trade, address[] calldata tokens) external view returns (bytes32) {
        return IntentLib.digest(
            domainSeparatorV4(), IntentLib.structHash(trade, tokens[trade.sellTokenIndex], tokens[trade.buyTokenIndex])
        );
    }

    // ---- allow-lists and ownership ----------------------------------------------------------------

    /// @inheritdoc ISettlement
    function setSolver(address solver, bool allowed) external onlyOwner {
        isSolver[solver] = allowed;
        emit SolverSet(solver, allowed);
    }

    /// @inheritdoc ISettlement
    function setInventoryAccount(address account, bool isInventory) external onlyOwner {
        isInventoryAccount[account] = isInventory;
        emit InventoryAccountSet(account, isInventory);
    }

    /// @inheritdoc ISettlement
    function setAdapter(address adapter, bool allowed) external onlyOwner {
        isAdapter[adapter] = allowed;
        emit AdapterSet(adapter, allowed);
    }

    /// @inheritdoc ISettlement
    function transferOwnership(address newOwner) external onlyOwner {
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(msg.sender, newOwner);
    }

    /// @inheritdoc ISettlement
    function acceptOwnership() external {
        if (msg.sender != pendingOwner) revert NotPendingOwner(msg.sender);
        emit OwnershipTransferred(owner, msg.sender);
        owner = msg.sender;
        pendingOwner = address(0);
    }

    // ---- internals --------------------------------------------------------------------------------

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    /// @dev Reverts `UnsortedTokens(i)` at the first token not greater than its predecessor (and, as
    /// the ABI decoder would, on an address with dirty upper bits).
    function _checkSorted(address[] calldata tokens) private pure {
        uint256 index;
        assembly ("memory-safe") {
            let previous := 0
            let dirty := 0
            for { let i := 0 } lt(i, tokens.length) { i := add(i, 1) } {
                let token := calldataload(add(tokens.offset, shl(5, i)))
                dirty := or(dirty, shr(160, token))
                // (`gt(i, 0)`, not `i`: `and` is bitwise, and `and(1, i)` is zero at every even index)
                if and(iszero(gt(token, previous)), gt(i, 0)) {
                    index := i
                    break
                }
                previous := token
            }
            if dirty { revert(0x00, 0x00) }
        }
        if (index != 0) revert UnsortedTokens(index);
    }

    /// @dev `size` bytes of fresh memory (not zeroed).
    function _allocate(uint256 size) private pure returns (uint256 pointer) {
        assembly ("memory-safe") {
            pointer := mload(0x40)
            mstore(0x40, add(pointer, size))
        }
    }

    /// @dev Verifies one trade, pulls its sell amount and returns what it is owed: (buy token, receiver,
    /// buy amount).
    function _executeTrade(
        address[] calldata tokens,
        uint256[] calldata prices,
        Trade calldata trade,
        bytes32 domainSeparator
    ) private returns (address, address, uint256) {
        (uint256 sellIndex, uint256 buyIndex) = (trade.sellTokenIndex, trade.buyTokenIndex);
        if (sellIndex >= tokens.length) revert TokenIndexOutOfRange(sellIndex);
        if (buyIndex >= tokens.length) revert TokenIndexOutOfRange(buyIndex);
        address sellToken = tokens[sellIndex];
        address buyToken = tokens[buyIndex];
        bytes32 id = IntentLib.digest(domainSeparator, IntentLib.structHash(trade, sellToken, buyToken));

        address owner_ = trade.owner;
        _checkSignature(id, owner_, trade);
        if (block.timestamp > trade.validTo) revert IntentExpired(id, trade.validTo);

        (uint256 executedSell, uint256 executedBuy) =
            _executedAmounts(id, trade, prices[sellIndex], prices[buyIndex], sellToken, buyToken);
        _consume(id, owner_, trade);

        address sellTo = trade.sellTo;
        if (sellTo == address(0)) {
            sellTo = address(this);
        } else if (sellTo.codehash != uniswapV2PairCodeHash && !isAdapter[sellTo]) {
            revert InvalidSellTo(id, sellTo);
        }
        _pull(sellToken, owner_, sellTo, executedSell);
        address receiver = trade.receiver == address(0) ? owner_ : trade.receiver;
        emit Fill(owner_, id, sellToken, buyToken, executedSell, executedBuy);
        return (buyToken, receiver, executedBuy);
    }

    /// @dev `spender.pull(token, from, to, amount)`, bubbling its revert (the spender has code: this
    /// contract deployed it, so no code-size check).
    function _pull(address token, address from, address to, uint256 amount) private {
        address spender_ = address(spender);
        bytes4 selector = IntentSpender.pull.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 0x04), token)
            mstore(add(m, 0x24), from)
            mstore(add(m, 0x44), to)
            mstore(add(m, 0x64), amount)
            if iszero(call(gas(), spender_, 0, m, 0x84, codesize(), 0x00)) {
                returndatacopy(m, 0x00, returndatasize())
                revert(m, returndatasize())
            }
        }
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
    function _consume(bytes32 id, address owner_, Trade calldata trade) private {
        uint256 flags = trade.flags;
        uint256 fullAmount = flags & IntentLib.FLAG_BUY == 0 ? trade.sellAmount : trade.buyAmount;
        uint256 executed = trade.executedAmount;
        uint256 nonce = trade.nonce;
        uint256 bit = 1 << (nonce & 0xff);
        mapping(uint256 => uint256) storage words = nonceBitmap[owner_];
        uint256 word = words[nonce >> 8];
        if (flags & IntentLib.FLAG_PARTIAL == 0) {
            if (executed != fullAmount) revert InvalidExecutedAmount(id, executed);
            if (word & bit != 0) revert NonceAlreadyUsed(owner_, nonce);
            words[nonce >> 8] = word | bit;
        } else {
            if (word & bit != 0) revert IntentCancelled(id);
            uint256 filled = filledAmount[id];
            if (executed > fullAmount - filled) revert OverFill(id, filled, executed, fullAmount);
            filledAmount[id] = filled + executed;
        }
    }

    function _checkSignature(bytes32 id, address owner_, Trade calldata trade) private view {
        SignatureLib.Result result = trade.flags & IntentLib.FLAG_EIP1271 == 0
            ? SignatureLib.checkEoa(id, owner_, trade.signature)
            : SignatureLib.checkEip1271(id, owner_, trade.signature);
        if (result == SignatureLib.Result.Malleable) revert MalleableSignature(id);
        if (result != SignatureLib.Result.Valid) revert InvalidSignature(id);
    }

    /// @dev Runs `calls` after checking each against the interaction rules (see ISettlement.Interaction).
    function _interact(address[] calldata tokens, Interaction[] calldata calls) private {
        for (uint256 i; i < calls.length; ++i) {
            Interaction calldata interaction = calls[i];
            address target = interaction.target;
            uint256 value = interaction.value;
            bytes calldata data = interaction.callData;
            bool v3Swap = _authorize(tokens, target, data);
            assembly ("memory-safe") {
                let m := mload(0x40)
                calldatacopy(m, data.offset, data.length)
                if iszero(call(gas(), target, value, m, data.length, codesize(), 0x00)) {
                    returndatacopy(m, 0x00, returndatasize()) // bubble the callee's revert data
                    revert(m, returndatasize())
                }
            }
            if (v3Swap) {
                swapPool = address(0);
                swapToken = address(0);
            }
        }
    }

    /// @dev Reverts unless the call is allowed; true when it is a V3 pool swap (its pool and input token
    /// are then recorded for the callback).
    function _authorize(address[] calldata tokens, address target, bytes calldata data) private returns (bool) {
        if (target == address(spender) || target == address(this)) revert ForbiddenInteractionTarget(target);
        bytes4 selector = data.length < 4 ? bytes4(0) : bytes4(data[:4]);
        if (_isListed(tokens, target)) {
            // A token of the batch: its balance is guarded, so sending it is safe; approvals and
            // anything else could outlive the batch.
            if (selector != TRANSFER) revert ForbiddenInteraction(target, selector);
            return false;
        }
        if (selector == V2_SWAP) {
            if (target.codehash == uniswapV2PairCodeHash) return false;
        } else if (selector == V3_SWAP && data.length >= 0x44) {
            (bool canonical, address token0, address token1) = _canonicalV3Pool(target);
            if (canonical) {
                // swap(recipient, zeroForOne, ...): the settlement pays token0 when zeroForOne.
                address tokenIn = uint256(bytes32(data[0x24:0x44])) != 0 ? token0 : token1;
                if (!_isListed(tokens, tokenIn)) revert UnlistedToken(tokenIn);
                swapPool = target;
                swapToken = tokenIn;
                return true;
            }
        }
        if (!isAdapter[target]) revert ForbiddenInteraction(target, selector);
        return false;
    }

    /// @dev Binary search of the strictly increasing `tokens`.
    function _isListed(address[] calldata tokens, address token) private pure returns (bool found) {
        assembly ("memory-safe") {
            let low := 0
            let high := tokens.length
            for {} lt(low, high) {} {
                let mid := shr(1, add(low, high))
                let t := calldataload(add(tokens.offset, shl(5, mid)))
                if eq(t, token) {
                    found := 1
                    break
                }
                switch lt(t, token)
                case 1 { low := add(mid, 1) }
                default { high := mid }
            }
        }
    }

    /// @dev True if `pool` is where `uniswapV3Factory` deploys the pool of the (token0, token1, fee) it
    /// reports, so its code is the genuine pool's; with those tokens.
    function _canonicalV3Pool(address pool) private view returns (bool canonical, address token0, address token1) {
        address factory = uniswapV3Factory;
        bytes32 initCodeHash = uniswapV3PoolInitCodeHash;
        assembly ("memory-safe") {
            let mask := 0xffffffffffffffffffffffffffffffffffffffff
            mstore(0x00, 0x0dfe1681) // token0()
            // (`and` evaluates its arguments right to left: the call before its returndatasize)
            let ok := and(gt(returndatasize(), 0x1f), staticcall(gas(), pool, 0x1c, 0x04, 0x00, 0x20))
            token0 := and(mload(0x00), mask)
            mstore(0x00, 0xd21220a7) // token1()
            ok := and(ok, and(gt(returndatasize(), 0x1f), staticcall(gas(), pool, 0x1c, 0x04, 0x00, 0x20)))
            token1 := and(mload(0x00), mask)
            mstore(0x00, 0xddca3f43) // fee()
            ok := and(ok, and(gt(returndatasize(), 0x1f), staticcall(gas(), pool, 0x1c, 0x04, 0x00, 0x20)))
            let fee := and(mload(0x00), 0xffffff)
            // salt = keccak256(abi.encode(token0, token1, fee)), in free memory (not allocated)
            let m := mload(0x40)
            mstore(m, token0)
            mstore(add(m, 0x20), token1)
            mstore(add(m, 0x40), fee)
            let salt := keccak256(m, 0x60)
            // CREATE2 address: keccak256(0xff ++ factory ++ salt ++ initCodeHash)[12:]
            mstore(m, or(shl(160, 0xff), factory))
            mstore(add(m, 0x20), salt)
            mstore(add(m, 0x40), initCodeHash)
            canonical := and(ok, eq(and(keccak256(add(m, 0x0b), 0x55), mask), pool))
        }
    }
}
