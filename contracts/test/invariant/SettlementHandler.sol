// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "../utils/BaseTest.sol";
import {Intent, IntentBuilder} from "../utils/IntentBuilder.sol";
import {Batch, BatchBuilder} from "../utils/BatchBuilder.sol";
import {Settlement} from "../../src/Settlement.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";
import {TestToken} from "../../src/devnet/TestToken.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Uniswap} from "../utils/Uniswap.sol";

/// @title Drives the settlement with random valid and invalid batches.
/// @notice Three owners trade three tokens. Each batch holds at most one trade per owner, and each
/// owner has its own receiver, so balance deltas tell exactly what each fill paid and received.
/// A market maker (solver inventory) signs the opposite side of every owner's trade, after all of
/// them, so each valid batch nets to rounding dust: the settlement's balance guard lets it settle, and
/// an invalid trade (always trade 0) still fails first with its own error. The settlement holds a
/// buffer of every token that pays that dust out (one base unit per trade at most).
contract SettlementHandler is BaseTest {
    Settlement public settlement;
    TestToken[3] internal tokens;
    address internal admin;
    address public solver;
    address public solver2;
    uint256[3] internal keys;
    address[3] internal owners;
    address[3] internal receivers;
    mapping(address => uint256) internal nextNonce;
    address internal maker; // inventory account taking the other side of every trade
    uint256 internal makerKey;

    // ---- ghost state ----------------------------------------------------------------------------
    mapping(address => bool) public ghostAllowed; // who the admin allow-listed, tracked independently
    uint256 public limitViolations; // fills that paid more per unit received than the signed limit
    uint256 public overExecutions; // intents whose token flows exceeded the signed amount
    uint256 public nonSolverSettles; // successful settles by callers not allow-listed at the time
    uint256 public unexpectedSuccesses; // batches built to be invalid that settled anyway
    uint256 public validBatchFailures; // batches built to be valid that reverted (handler sanity)
    uint256 public wrongErrors; // batches built to be invalid that reverted for another reason
    uint256 public successfulSettles;
    uint256 public settlementLosses; // settled batches after which the settlement held less of a token
    // than before, beyond one base unit per trade
    Intent[] internal fokIntents; // settled fill-or-kill intents
    mapping(bytes32 => uint256) public fokFills;
    Intent[] internal partialIntents; // partially fillable intents that have been filled at least once
    mapping(bytes32 => uint256) public ghostFilled; // exact-side units that actually moved
    mapping(bytes32 => bool) internal cancelled;

    /// @dev One trade and the balances it is judged by.
    struct Leg {
        Intent intent;
        address payee;
        uint256 sellBefore;
        uint256 buyBefore;
    }

    constructor() {
        admin = makeAddr("inv admin");
        solver = makeAddr("inv solver");
        solver2 = makeAddr("inv solver 2");
        settlement = new Settlement(admin, Uniswap.v2PairCodeHash(), address(0), Uniswap.V3_POOL_INIT_CODE_HASH);
        vm.prank(admin);
        settlement.setSolver(solver, true);
        ghostAllowed[solver] = true;
        for (uint256 k; k < 3; ++k) {
            tokens[k] = new TestToken("T", "T", 18);
            tokens[k].mint(address(settlement), 1e30); // the buffer (only rounding dust is ever paid from it)
        }
        address spender = address(settlement.spender());
        (maker, makerKey) = makeAccount("inv maker");
        vm.prank(admin);
        settlement.setInventoryAccount(maker, true);
        for (uint256 k; k < 3; ++k) {
            tokens[k].mint(maker, 1e50); // a trade moves at most 1e24 * 1e9 / 1e3 = 1e30 units
            vm.prank(maker);
            tokens[k].approve(spender, type(uint256).max);
        }
        string[3] memory names = ["owner0", "owner1", "owner2"];
        for (uint256 o; o < 3; ++o) {
            (owners[o], keys[o]) = makeAccount(names[o]);
            receivers[o] = address(uint160(0xbeef0 + o));
            for (uint256 k; k < 3; ++k) {
                tokens[k].mint(owners[o], 1e30);
                vm.prank(owners[o]);
                tokens[k].approve(spender, type(uint256).max);
            }
        }
    }

    // ---- actions --------------------------------------------------------------------------------

    /// @notice A batch of 1-3 trades by distinct owners at random prices. `mode` 0-4 is valid;
    /// 5 violates trade 0's limit, 6 expires it, 7 signs it with another key, 8 fills a
    /// fill-or-kill trade partially.
    function settleRandomBatch(uint256 seed, uint256 mode) external {
        mode = mode % 9;
        (Batch memory b, Leg[] memory legs) = randomBatch(seed, mode);
        bytes4[9] memory expected = [
            bytes4(0),
            0,
            0,
            0,
            0,
            ISettlement.LimitPriceViolated.selector,
            ISettlement.IntentExpired.selector,
            ISettlement.InvalidSignature.selector,
            ISettlement.InvalidExecutedAmount.selector
        ];
        execute(b, legs, solver, expected[mode]);
    }

    /// @notice A valid batch sent by anyone but the allow-listed solver.
    function settleAsStranger(address caller, uint256 seed) external {
        if (caller == solver || caller == solver2) caller = address(0xdead);
        (Batch memory b, Leg[] memory legs) = randomBatch(seed, 0);
        execute(b, legs, caller, ISettlement.NotSolver.selector);
    }

    /// @notice A valid batch sent by a second solver the admin toggles on and off.
    function settleAsSolver2(uint256 seed) external {
        (Batch memory b, Leg[] memory legs) = randomBatch(seed, 0);
        execute(b, legs, solver2, ghostAllowed[solver2] ? bytes4(0) : ISettlement.NotSolver.selector);
    }

    function toggleSolver2() external {
        bool allowed = !ghostAllowed[solver2];
        vm.prank(admin);
        settlement.setSolver(solver2, allowed);
        ghostAllowed[solver2] = allowed;
    }

    /// @notice Fills more of a partially fillable intent; `overFill` asks one unit beyond what is left.
    function refillPartial(uint256 seed, bool overFill) external {
        if (partialIntents.length == 0) return;
        Intent memory i = partialIntents[seed % partialIntents.length];
        bytes32 id = i.id();
        uint256 remaining = i.fullAmount() - Math.min(ghostFilled[id], i.fullAmount());
        uint256 executed = overFill || remaining == 0 ? remaining + 1 : bound(seed >> 8, 1, remaining);
        i.executing(executed);
        bytes4 expected = block.timestamp > i.validTo
            ? ISettlement.IntentExpired.selector
            : cancelled[id]
                ? ISettlement.IntentCancelled.selector
                : overFill || remaining == 0 ? ISettlement.OverFill.selector : bytes4(0);
        executeAlone(i, expected);
    }

    /// @notice Replays a settled fill-or-kill intent; it must never settle twice.
    function replayFillOrKill(uint256 seed) external {
        if (fokIntents.length == 0) return;
        Intent memory i = fokIntents[seed % fokIntents.length];
        executeAlone(
            i, block.timestamp > i.validTo ? ISettlement.IntentExpired.selector : ISettlement.NonceAlreadyUsed.selector
        );
    }

    /// @notice The owner of a partially filled intent cancels the rest of it.
    function cancelPartial(uint256 seed) external {
        if (partialIntents.length == 0) return;
        Intent memory i = partialIntents[seed % partialIntents.length];
        vm.prank(i.owner);
        settlement.invalidateNonces(i.nonce >> 8, 1 << (i.nonce & 255));
        cancelled[i.id()] = true;
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 3 days));
    }

    // ---- building -------------------------------------------------------------------------------

    function rand(uint256 seed, uint256 salt) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, salt)));
    }

    function randomBatch(uint256 seed, uint256 mode) internal returns (Batch memory b, Leg[] memory legs) {
        b = BatchBuilder.batch();
        for (uint256 k; k < 3; ++k) {
            b.price(address(tokens[k]), bound(rand(seed, k), 1e3, 1e9));
        }
        legs = new Leg[](1 + seed % 3);
        for (uint256 n; n < legs.length; ++n) {
            uint256 o = (seed / 3 + n) % 3;
            Intent memory i = randomIntent(b, o, rand(seed, 10 + n));
            if (n == 0) spoil(i, b, o, mode);
            legs[n] = Leg(i, i.receiver == address(0) ? i.owner : i.receiver, 0, 0);
            b.add(i);
        }
        for (uint256 n; n < legs.length; ++n) {
            b.add(mirror(legs[n].intent));
        }
    }

    /// @dev The maker's fill-or-kill intent taking the other side of `i`'s executed amount: a buy intent
    /// for the units `i` sells, or a sell intent of the units `i` buys, with a limit any of these prices
    /// meets (the pair then nets to at most one unit of rounding in the token both trades round in).
    function mirror(Intent memory i) internal returns (Intent memory m) {
        uint256 executed = i.executedAmount();
        m = IntentBuilder.intent(address(settlement)).by(makerKey).withNonce(nextNonce[maker]++);
        if (i.isBuy) m.sell(i.buyToken, executed).buy(i.sellToken, 0);
        else m.buyKind().sell(i.buyToken, type(uint128).max).buy(i.sellToken, executed);
    }

    function randomIntent(Batch memory b, uint256 o, uint256 r) internal returns (Intent memory i) {
        uint256 s = r % 3;
        uint256 t = (s + 1 + (r >> 8) % 2) % 3;
        uint256 sellAmount = bound(rand(r, 1), 1e12, 1e24);
        uint256 exact = Math.mulDiv(sellAmount, b.prices[s], b.prices[t]); // buy units at the clearing price
        i = IntentBuilder.intent(address(settlement)).by(keys[o]).sell(address(tokens[s]), sellAmount)
            .buy(address(tokens[t]), exact * (50 + rand(r, 2) % 51) / 100).withNonce(nextNonce[owners[o]]++)
            .validUntil(block.timestamp + 30 days).withAppData(bytes32(r));
        if (r & (1 << 16) != 0) i.buyKind();
        if (r & (1 << 17) != 0) i.to(receivers[o]);
        if (r & (1 << 18) != 0) i.partiallyFillable().executing(bound(rand(r, 3), 1, i.fullAmount()));
    }

    function spoil(Intent memory i, Batch memory b, uint256 o, uint256 mode) internal view {
        if (mode == 5) {
            uint256 s = IntentBuilder.indexOf(b.tokens, i.sellToken);
            uint256 t = IntentBuilder.indexOf(b.tokens, i.buyToken);
            i.buyAmount = Math.mulDiv(i.sellAmount, b.prices[s], b.prices[t]) + 1;
            if (i.isPartial) i.executing(1);
        } else if (mode == 6) {
            i.validTo = block.timestamp - 1;
        } else if (mode == 7) {
            i.signedWith(keys[(o + 1) % 3]);
        } else if (mode == 8) {
            i.isPartial = false;
            i.executing(i.fullAmount() - 1);
        }
    }

    // ---- executing and accounting ---------------------------------------------------------------

    /// @dev A one-trade batch at prices exactly at the intent's limit (so it respects it).
    function executeAlone(Intent memory i, bytes4 expectedError) internal {
        Batch memory b = BatchBuilder.batch();
        for (uint256 k; k < 3; ++k) {
            address token = address(tokens[k]);
            b.price(token, token == i.sellToken ? i.buyAmount : token == i.buyToken ? i.sellAmount : 1);
        }
        Leg[] memory legs = new Leg[](1);
        legs[0] = Leg(i, i.receiver == address(0) ? i.owner : i.receiver, 0, 0);
        execute(b.add(i).add(mirror(i)), legs, solver, expectedError);
    }

    /// @dev Settles as `caller`; `expectedError` is the selector it must revert with, zero if none.
    function execute(Batch memory b, Leg[] memory legs, address caller, bytes4 expectedError) internal {
        for (uint256 n; n < legs.length; ++n) {
            legs[n].sellBefore = TestToken(legs[n].intent.sellToken).balanceOf(legs[n].intent.owner);
            legs[n].buyBefore = TestToken(legs[n].intent.buyToken).balanceOf(legs[n].payee);
        }
        b.sort(); // the settlement takes its tokens in increasing address order
        uint256[3] memory held;
        for (uint256 k; k < 3; ++k) {
            held[k] = tokens[k].balanceOf(address(settlement));
        }
        vm.prank(caller);
        try settlement.settle(b.tokens, b.prices, b.trades, b.interactions, b.auctionId) {
            ++successfulSettles;
            for (uint256 k; k < 3; ++k) {
                if (tokens[k].balanceOf(address(settlement)) + b.trades.length < held[k]) ++settlementLosses;
            }
            if (expectedError != 0) ++unexpectedSuccesses;
            if (!ghostAllowed[caller]) ++nonSolverSettles;
            for (uint256 n; n < legs.length; ++n) {
                account(legs[n]);
            }
        } catch (bytes memory reason) {
            if (expectedError == 0) ++validBatchFailures;
            else if (reason.length < 4 || bytes4(reason) != expectedError) ++wrongErrors;
        }
    }

    function account(Leg memory leg) internal {
        Intent memory i = leg.intent;
        uint256 paid = leg.sellBefore - TestToken(i.sellToken).balanceOf(i.owner);
        uint256 received = TestToken(i.buyToken).balanceOf(leg.payee) - leg.buyBefore;
        // received / paid >= buyAmount / sellAmount
        if (received * i.sellAmount < paid * i.buyAmount) ++limitViolations;
        bytes32 id = i.id();
        if (i.isPartial) {
            if (ghostFilled[id] == 0) partialIntents.push(i);
            ghostFilled[id] += i.isBuy ? received : paid;
            if (ghostFilled[id] > i.fullAmount()) ++overExecutions;
        } else {
            if (fokFills[id]++ == 0) fokIntents.push(i);
            if ((i.isBuy ? received : paid) > i.fullAmount()) ++overExecutions;
        }
    }

    // ---- views for the invariants ---------------------------------------------------------------

    function fokCount() external view returns (uint256) {
        return fokIntents.length;
    }

    function fokIntent(uint256 k) external view returns (Intent memory) {
        return fokIntents[k];
    }

    function partialCount() external view returns (uint256) {
        return partialIntents.length;
    }

    function partialIntent(uint256 k) external view returns (Intent memory) {
        return partialIntents[k];
    }
}
