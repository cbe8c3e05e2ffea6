// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent} from "../utils/IntentBuilder.sol";
import {Batch} from "../utils/BatchBuilder.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";
import {TestToken} from "../../src/devnet/TestToken.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @notice settle(), fuzzed: random keys sign random intents; tampering with any signed field fails;
/// executed amounts at random prices are exact to the wei.
contract SettleFuzzTest is SettlementFixture {
    uint256 internal constant N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;
    uint256 internal constant MAX = 1e30;

    struct Params {
        uint256 key;
        uint256 sellAmount;
        uint256 buyAmount;
        uint256 nonce;
        bytes32 appData;
        uint256 validFor;
        bool isBuy;
        bool isPartial;
        bool toReceiver;
    }

    address internal receiver = address(0xBEEF);

    /// @dev A funded owner for `key` and its intent selling WETH for USDC.
    function randomIntent(Params memory p) internal returns (Intent memory i) {
        p.key = bound(p.key, 1, N - 1);
        i = intent().by(p.key).sell(address(weth), bound(p.sellAmount, 1, MAX))
            .buy(address(usdc), bound(p.buyAmount, 1, MAX));
        i.withNonce(p.nonce).withAppData(p.appData).validUntil(block.timestamp + bound(p.validFor, 0, 365 days));
        if (p.isBuy) i.buyKind();
        if (p.isPartial) i.partiallyFillable();
        if (p.toReceiver) i.to(receiver);
        vm.assume(i.owner != receiver && i.owner != maker && i.owner.code.length == 0);
        weth.mint(i.owner, i.sellAmount);
        vm.prank(i.owner);
        weth.approve(address(spender), type(uint256).max);
    }

    /// @dev Prices exactly at the intent's limit, so both kinds execute the full signed amounts.
    function atLimit(Intent memory i) internal view returns (Batch memory) {
        return batch().price(address(weth), i.buyAmount).price(address(usdc), i.sellAmount).price(address(dai), 1);
    }

    function testFuzz_random_keys_sign_random_intents_that_settle(Params memory p) public {
        Intent memory i = randomIntent(p);
        address payee = i.receiver == address(0) ? i.owner : i.receiver;
        uint256 payeeBefore = balance(usdc, payee);

        // The market maker takes the other side: at the limit prices both trades net to zero.
        settle(atLimit(i).add(i).add(mirror(i)));

        assertEq(balance(weth, i.owner), 0, "the owner sold exactly sellAmount");
        assertEq(balance(usdc, payee) - payeeBefore, i.buyAmount, "the receiver got exactly buyAmount");
        if (i.isPartial) assertEq(settlement.filledAmount(i.id()), i.fullAmount());
        else assertTrue(settlement.isNonceUsed(i.owner, i.nonce));
    }

    function testFuzz_tampering_with_any_signed_field_invalidates_the_signature(
        Params memory p,
        uint256 field,
        uint256 delta
    ) public {
        Intent memory i = randomIntent(p);
        bytes memory signature = i.signature();
        delta = bound(delta, 1, type(uint160).max);
        Intent memory tampered = tamper(i.copy(), field % 12, delta);

        Batch memory b = atLimit(i);
        ISettlement.Trade memory t = tampered.trade(b.tokens);
        t.signature = signature;
        settleReverts(b.addTrade(t), abi.encodeWithSelector(ISettlement.InvalidSignature.selector, tampered.id()));
    }

    function tamper(Intent memory i, uint256 field, uint256 delta) internal view returns (Intent memory) {
        if (field == 0) i.owner = address(uint160(i.owner) ^ uint160(delta));
        else if (field == 1) i.sellToken = address(dai);
        else if (field == 2) i.buyToken = address(dai);
        else if (field == 3) i.receiver = address(uint160(i.receiver) ^ uint160(delta));
        else if (field == 4) i.sellAmount ^= delta;
        else if (field == 5) i.buyAmount ^= delta;
        else if (field == 6) i.validTo ^= delta;
        else if (field == 7) i.nonce ^= delta;
        else if (field == 8) i.isBuy = !i.isBuy;
        else if (field == 9) i.isPartial = !i.isPartial;
        else if (field == 10) i.appData ^= bytes32(delta);
        else i.isEip1271 = !i.isEip1271; // not signed, but it changes how the signature is checked
        return i;
    }

    function testFuzz_executed_amounts_are_exact_to_the_wei(
        uint256 pWeth,
        uint256 pUsdc,
        uint256 sellAmount,
        uint256 executed,
        bool isBuy
    ) public {
        pWeth = bound(pWeth, 1, MAX);
        pUsdc = bound(pUsdc, 1, MAX);
        sellAmount = bound(sellAmount, 1, 1e24);
        // Alice's limit is half the clearing price, so it always holds.
        uint256 buyAmount = Math.max(1, Math.mulDiv(sellAmount, pWeth, pUsdc) / 2);
        vm.assume(buyAmount * pUsdc <= sellAmount * pWeth);
        Intent memory i = intent().by(aliceKey).sell(address(weth), sellAmount).buy(address(usdc), buyAmount);
        if (isBuy) i.buyKind();
        executed = bound(executed, 1, i.fullAmount());
        i.partiallyFillable().executing(executed);

        uint256 expectedSell = isBuy ? Math.mulDiv(executed, pUsdc, pWeth) : executed;
        uint256 expectedBuy = isBuy ? executed : Math.mulDiv(executed, pWeth, pUsdc, Math.Rounding.Ceil);

        Batch memory b = batch().price(address(weth), pWeth).price(address(usdc), pUsdc).add(i);
        settle(b.add(counterparty(i, expectedBuy)));

        assertEq(BALANCE * 1e18 - balance(weth, alice), expectedSell, "paid");
        assertEq(balance(usdc, alice) - BALANCE * 1e6, expectedBuy, "received");
    }

    /// @dev The market maker's opposite intent for Alice's fill of `executed` (see `mirror`), with a limit
    /// the random prices always meet: it buys Alice's WETH for at most `usdcOut`, the USDC Alice is owed
    /// (so it pays the floor of what she gets, the ceiling), or sells her the exact USDC she buys. Its
    /// owner-favouring rounding leaves the settlement at most one unit short of the token both trades
    /// round in, which the allowed dust covers (the one-unit buffer pays it out).
    function counterparty(Intent memory i, uint256 usdcOut) internal returns (Intent memory m) {
        usdc.mint(maker, usdcOut); // the random prices can ask more than the maker's initial balance
        usdc.mint(address(settlement), 1); // the rounding buffer
        weth.mint(address(settlement), 1);
        m = intent().by(makerKey).withNonce(makerNonce++);
        if (i.isBuy) m.sell(address(usdc), i.executedAmount()).buy(address(weth), 0);
        else m.buyKind().sell(address(usdc), usdcOut).buy(address(weth), i.executedAmount());
    }
}
