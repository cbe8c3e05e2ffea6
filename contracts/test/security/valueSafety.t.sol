// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent} from "../utils/IntentBuilder.sol";
import {Batch, BatchBuilder} from "../utils/BatchBuilder.sol";
import {IUniswapV2Pair, IUniswapV3Pool, Uniswap} from "../utils/Uniswap.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @dev Answers token0/token1/fee exactly like the canonical WETH/USDC pool, but the V3 factory did not
/// deploy it: its `swap` asks the caller, in the callback, for the caller's whole balance of the input
/// token and gives nothing back.
contract FakeV3Pool {
    address public immutable token0;
    address public immutable token1;
    uint24 public constant fee = 3000;

    constructor(address a, address b) {
        (token0, token1) = a < b ? (a, b) : (b, a);
    }

    function swap(address, bool zeroForOne, int256, uint160, bytes calldata data) external returns (int256, int256) {
        int256 owed = int256(IERC20(zeroForOne ? token0 : token1).balanceOf(msg.sender));
        (int256 amount0, int256 amount1) = zeroForOne ? (owed, int256(0)) : (int256(0), owed);
        ISettlement(msg.sender).uniswapV3SwapCallback(amount0, amount1, data);
        return (amount0, amount1);
    }
}

/// @dev An owner-listed adapter (mis)used to claim a V3 swap payment while no swap is under way.
contract CallbackCaller {
    function claim(address token, int256 amount) external {
        ISettlement(msg.sender).uniswapV3SwapCallback(amount, amount, abi.encode(token));
    }
}

/// @dev Where stolen value would go: accepts ETH and tokens, does nothing else.
contract Collector {
    receive() external payable {}

    function collect() external payable {}
}

/// @notice Value safety: a malicious allow-listed solver cannot take the settlement's own tokens (its
/// buffer: surplus, rounding reserve, anything sent to it) nor users' funds, whatever batch it sends.
/// One test per attack: each asserts the exact custom error that stops it and that no balance moved
/// (settlement, users, maker, solver, attacker, and the pools involved). The honest routes it must
/// still allow close the file.
contract ValueSafetyTest is SettlementFixture {
    uint256 internal constant BUFFER_WETH = 10e18;
    uint256 internal constant BUFFER_USDC = 30_000e6;
    uint256 internal constant BUFFER_DAI = 10_000e18; // a token the batches below do not list
    uint256 internal constant BUFFER_ETH = 1 ether;

    address internal attacker;
    address[] internal watched;
    string[] internal watchedNames;

    function setUp() public override {
        super.setUp();
        attacker = makeAddr("attacker");
        weth.mint(address(settlement), BUFFER_WETH);
        usdc.mint(address(settlement), BUFFER_USDC);
        dai.mint(address(settlement), BUFFER_DAI);
        vm.deal(address(settlement), BUFFER_ETH);
        watch(address(settlement), "settlement");
        watch(alice, "alice");
        watch(bob, "bob");
        watch(carol, "carol");
        watch(maker, "maker");
        watch(solver, "solver");
        watch(attacker, "attacker");
    }

    // ---- balances ---------------------------------------------------------------------------------

    function watch(address account, string memory name) internal {
        watched.push(account);
        watchedNames.push(name);
    }

    /// @dev Every watched account's WETH, USDC, DAI and ETH, four words per account.
    function balances() internal view returns (uint256[] memory b) {
        b = new uint256[](watched.length * 4);
        for (uint256 k; k < watched.length; ++k) {
            address account = watched[k];
            b[4 * k] = weth.balanceOf(account);
            b[4 * k + 1] = usdc.balanceOf(account);
            b[4 * k + 2] = dai.balanceOf(account);
            b[4 * k + 3] = account.balance;
        }
    }

    function assertUnchanged(uint256[] memory before) internal view {
        uint256[] memory afterwards = balances();
        string[4] memory assets = [" WETH", " USDC", " DAI", " ETH"];
        for (uint256 k; k < afterwards.length; ++k) {
            assertEq(afterwards[k], before[k], string.concat(watchedNames[k / 4], assets[k % 4], " changed"));
        }
    }

    function decreased(address token, uint256 before, uint256 afterwards) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ISettlement.BalanceDecreased.selector, token, before, afterwards);
    }

    function forbidden(address target, bytes4 selector) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ISettlement.ForbiddenInteraction.selector, target, selector);
    }

    // ---- intents ----------------------------------------------------------------------------------

    function aliceSells() internal returns (Intent memory) {
        return intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6);
    }

    function bobBuys() internal returns (Intent memory) {
        return intent().by(bobKey).buyKind().sell(address(usdc), 3100e6).buy(address(weth), 1e18);
    }

    /// @dev An honest batch: Alice sells Bob 1 WETH at 3000 USDC. It nets to zero in both tokens.
    function cow() internal returns (Batch memory) {
        return wethUsdcBatch().add(aliceSells()).add(bobBuys());
    }

    function test_the_honest_cow_settles_and_leaves_the_buffer_as_it_was() public {
        settle(cow());

        assertEq(balance(weth, address(settlement)), BUFFER_WETH);
        assertEq(balance(usdc, address(settlement)), BUFFER_USDC);
        assertEq(balance(usdc, alice), BALANCE * 1e6 + 3000e6);
        assertEq(balance(weth, bob), BALANCE * 1e18 + 1e18);
    }

    // ---- (a) the buffer, transferred out ----------------------------------------------------------

    function test_a_transfer_of_the_buffer_after_the_payouts_reverts_BalanceDecreased() public {
        Batch memory b = cow();
        b.interact(BatchBuilder.AFTER, address(usdc), abi.encodeCall(IERC20.transfer, (solver, 1_000e6)));
        uint256[] memory before = balances();

        settleReverts(b, decreased(address(usdc), BUFFER_USDC, BUFFER_USDC - 1_000e6));
        assertUnchanged(before);
    }

    // ---- (b) a lasting approval -------------------------------------------------------------------

    function test_an_approval_of_a_batch_token_reverts_ForbiddenInteraction() public {
        Batch memory b = cow();
        bytes memory approveAll = abi.encodeCall(IERC20.approve, (attacker, type(uint256).max));
        b.interact(BatchBuilder.AFTER, address(usdc), approveAll);
        uint256[] memory before = balances();

        settleReverts(b, forbidden(address(usdc), IERC20.approve.selector));
        assertEq(usdc.allowance(address(settlement), attacker), 0, "no allowance outlives the batch");
        assertUnchanged(before);
    }

    function test_an_approval_of_a_token_outside_the_batch_reverts_ForbiddenInteraction() public {
        Batch memory b = cow(); // DAI is not in it, but the settlement holds some
        bytes memory approveAll = abi.encodeCall(IERC20.approve, (attacker, type(uint256).max));
        b.interact(BatchBuilder.AFTER, address(dai), approveAll);
        uint256[] memory before = balances();

        settleReverts(b, forbidden(address(dai), IERC20.approve.selector));
        assertEq(dai.allowance(address(settlement), attacker), 0, "no allowance outlives the batch");
        assertUnchanged(before);
    }

    // ---- (c) skimming what an unsigned sellTo sent ------------------------------------------------

    function test_skimming_a_pair_named_as_sell_to_reverts_ForbiddenInteraction() public {
        IUniswapV2Pair pair = wethUsdcPair();
        watch(address(pair), "pair");
        // Alice's WETH goes to the pair as an excess over its reserves; `skim` would hand it to the
        // attacker while Alice is paid from the buffer.
        Batch memory b = wethUsdcBatch().add(aliceSells().sellingTo(address(pair)));
        b.interact(BatchBuilder.AFTER, address(pair), abi.encodeCall(IUniswapV2Pair.skim, (attacker)));
        uint256[] memory before = balances();

        settleReverts(b, forbidden(address(pair), IUniswapV2Pair.skim.selector));
        assertUnchanged(before);
    }

    function test_a_sell_to_that_is_not_a_genuine_pair_or_adapter_reverts_InvalidSellTo() public {
        Collector collector = new Collector();
        IUniswapV3Pool pool = wethUsdcPool(); // canonical, but a V3 pool pulls its input in a callback
        address[3] memory sinks = [attacker, address(collector), address(pool)];
        uint256[] memory before = balances();

        for (uint256 k; k < sinks.length; ++k) {
            Intent memory i = aliceSells().sellingTo(sinks[k]);
            settleReverts(
                wethUsdcBatch().add(i).add(mirror(i)),
                abi.encodeWithSelector(ISettlement.InvalidSellTo.selector, i.id(), sinks[k])
            );
        }
        assertUnchanged(before);
    }

    function test_a_pair_swap_to_the_attacker_of_what_sell_to_sent_reverts_BalanceDecreased() public {
        IUniswapV2Pair pair = wethUsdcPair();
        watch(address(pair), "pair");
        // The pair swaps Alice's WETH for the attacker; Alice's 3000 USDC would come from the buffer.
        Batch memory b = wethUsdcBatch().add(aliceSells().sellingTo(address(pair)));
        uint256 out = v2AmountOut(pair, address(weth), 1e18);
        b.interact(BatchBuilder.BETWEEN, address(pair), v2Swap(pair, address(usdc), out, attacker));
        uint256[] memory before = balances();

        settleReverts(b, decreased(address(usdc), BUFFER_USDC, BUFFER_USDC - 3000e6));
        assertUnchanged(before);
    }

    // ---- (d) one token, two prices ----------------------------------------------------------------

    function test_a_duplicate_token_with_two_prices_reverts_UnsortedTokens() public {
        // Carol colludes: she buys 2 WETH for 3000 USDC at a WETH price of 1500 and sells 1 WETH for
        // 3000 USDC at 3000, netting 1 WETH from the buffer if WETH could be listed twice.
        Intent memory buysCheap =
            intent().by(carolKey).sell(address(usdc), 3000e6).buy(address(weth), 2e18).withNonce(1);
        Intent memory sellsDear =
            intent().by(carolKey).sell(address(weth), 1e18).buy(address(usdc), 3000e6).withNonce(2);
        bool wethFirst = address(weth) < address(usdc);
        (uint256 cheap, uint256 dear, uint256 u) = wethFirst ? (0, 1, 2) : (1, 2, 0);
        Batch memory b = batch().inInsertionOrder();
        b.tokens = new address[](3);
        b.prices = new uint256[](3);
        (b.tokens[cheap], b.tokens[dear], b.tokens[u]) = (address(weth), address(weth), address(usdc));
        (b.prices[cheap], b.prices[dear], b.prices[u]) = (1500e6, 3000e6, 1e18);
        ISettlement.Trade memory buy = buysCheap.trade(b.tokens);
        buy.buyTokenIndex = cheap;
        ISettlement.Trade memory sell = sellsDear.trade(b.tokens);
        sell.sellTokenIndex = dear;
        b.addTrade(buy).addTrade(sell);
        uint256[] memory before = balances();

        // Otherwise sorted: the second WETH is the first token not greater than its predecessor.
        settleReverts(b, abi.encodeWithSelector(ISettlement.UnsortedTokens.selector, dear));
        assertUnchanged(before);
    }

    // ---- (e) inflated prices ----------------------------------------------------------------------

    function test_inflated_prices_paying_a_colluding_user_from_the_buffer_revert_BalanceDecreased() public {
        // Carol signs a sale of 1 WETH for at least 4000 USDC; the solver prices WETH at 5000 and
        // brings no counterparty, so her USDC would be the settlement's.
        Intent memory carolSells = intent().by(carolKey).sell(address(weth), 1e18).buy(address(usdc), 4000e6);
        Batch memory b = batch().price(address(weth), 5000e6).price(address(usdc), 1e18).add(carolSells);
        uint256[] memory before = balances();

        settleReverts(b, decreased(address(usdc), BUFFER_USDC, BUFFER_USDC - 5000e6));
        assertUnchanged(before);
    }

    // ---- (f) uneven amounts -----------------------------------------------------------------------

    function test_trades_paying_out_more_than_they_take_in_revert_BalanceDecreased() public {
        // Alice is owed 3000 USDC for her WETH, but Bob's partially fillable order is executed for
        // only 1500 USDC: half of Alice's pay would come from the buffer.
        Intent memory bobPartial = intent().by(bobKey).partiallyFillable().sell(address(usdc), 3000e6)
            .buy(address(weth), 0.99e18).executing(1500e6);
        Batch memory b = wethUsdcBatch().add(aliceSells()).add(bobPartial);
        uint256[] memory before = balances();

        settleReverts(b, decreased(address(usdc), BUFFER_USDC, BUFFER_USDC - 1500e6));
        assertUnchanged(before);
    }

    // ---- rounding dust ----------------------------------------------------------------------------

    /// @dev 1 wei of WETH at 3000.000000001 USDC per WETH is worth 3e-9 USDC units and is paid one unit
    /// (rounded up for the owner): each such fill costs the settlement exactly one USDC unit.
    function weiSale(uint256 key) internal returns (Intent memory) {
        return intent().by(key).partiallyFillable().sell(address(weth), 1e18).buy(address(usdc), 1).executing(1);
    }

    function oddPrices() internal view returns (Batch memory) {
        return BatchBuilder.batch().price(address(weth), 3000e6 + 1).price(address(usdc), 1e18);
    }

    function test_rounding_dust_of_one_unit_per_trade_is_allowed() public {
        settle(oddPrices().add(weiSale(aliceKey)).add(weiSale(bobKey)));

        assertEq(balance(usdc, address(settlement)), BUFFER_USDC - 2, "one USDC unit per trade");
        assertEq(balance(weth, address(settlement)), BUFFER_WETH + 2);
        assertEq(balance(usdc, alice), BALANCE * 1e6 + 1);
        assertEq(balance(usdc, bob), BALANCE * 1e6 + 1);
    }

    function test_a_second_unit_of_dust_per_trade_reverts_BalanceDecreased() public {
        uint256[] memory before = balances();
        // Two rounding trades (two units allowed) and one more unit out.
        Batch memory b = oddPrices().add(weiSale(aliceKey)).add(weiSale(bobKey));
        b.interact(BatchBuilder.AFTER, address(usdc), abi.encodeCall(IERC20.transfer, (solver, 1)));
        settleReverts(b, decreased(address(usdc), BUFFER_USDC, BUFFER_USDC - 3));

        // One trade paid two units: 1 wei of WETH at 1.000000000000000001 USDC units per wei, rounded up.
        b = BatchBuilder.batch().price(address(weth), 1e18 + 1).price(address(usdc), 1e18).add(weiSale(aliceKey));
        settleReverts(b, decreased(address(usdc), BUFFER_USDC, BUFFER_USDC - 2));
        assertUnchanged(before);
    }

    // ---- ETH --------------------------------------------------------------------------------------

    function test_eth_taken_out_with_an_interaction_value_reverts_BalanceDecreased() public {
        Collector sink = new Collector();
        allowAdapter(address(sink)); // an adapter may be sent ETH, but the ETH guard still holds
        Batch memory b = cow();
        b.interact(BatchBuilder.AFTER, address(sink), 0.4 ether, abi.encodeCall(Collector.collect, ()));
        uint256[] memory before = balances();

        settleReverts(b, decreased(address(0), BUFFER_ETH, BUFFER_ETH - 0.4 ether));
        assertEq(address(sink).balance, 0);
        assertUnchanged(before);
    }

    // ---- Uniswap V3 -------------------------------------------------------------------------------

    function test_a_fake_v3_pool_reverts_ForbiddenInteraction() public {
        IUniswapV3Pool pool = wethUsdcPool();
        FakeV3Pool fake = new FakeV3Pool(address(weth), address(usdc));
        // It answers exactly what the canonical pool answers; only its address gives it away.
        assertEq(fake.token0(), pool.token0());
        assertEq(fake.token1(), pool.token1());
        assertEq(uint256(fake.fee()), uint256(pool.fee()));
        Batch memory b = cow();
        bytes memory swap = abi.encodeCall(
            IUniswapV3Pool.swap, (attacker, address(usdc) == fake.token0(), int256(1), Uniswap.MIN_SQRT_RATIO + 1, "")
        );
        b.interact(BatchBuilder.BETWEEN, address(fake), swap);
        uint256[] memory before = balances();

        settleReverts(b, forbidden(address(fake), IUniswapV3Pool.swap.selector));
        assertUnchanged(before);
    }

    function test_the_swap_callback_outside_a_swap_reverts_UnexpectedCallback() public {
        IUniswapV3Pool pool = wethUsdcPool();
        uint256[] memory before = balances();

        // Called directly by anyone, even by the canonical pool: no swap is under way.
        vm.expectRevert(abi.encodeWithSelector(ISettlement.UnexpectedCallback.selector, attacker));
        vm.prank(attacker);
        settlement.uniswapV3SwapCallback(int256(BUFFER_USDC), int256(BUFFER_USDC), "");
        vm.expectRevert(abi.encodeWithSelector(ISettlement.UnexpectedCallback.selector, address(pool)));
        vm.prank(address(pool));
        settlement.uniswapV3SwapCallback(int256(BUFFER_USDC), int256(BUFFER_USDC), "");

        // Called during a batch, by an adapter, between the interactions' swaps.
        CallbackCaller caller = new CallbackCaller();
        allowAdapter(address(caller));
        Batch memory b = cow();
        b.interact(
            BatchBuilder.BETWEEN,
            address(caller),
            abi.encodeCall(CallbackCaller.claim, (address(usdc), int256(BUFFER_USDC)))
        );
        settleReverts(b, abi.encodeWithSelector(ISettlement.UnexpectedCallback.selector, address(caller)));
        assertUnchanged(before);
    }

    function test_a_v3_swap_paying_a_token_outside_the_batch_reverts_UnlistedToken() public {
        IUniswapV3Pool pool = v3Pool(weth, dai, 1_000e18, 3_000_000e18); // canonical
        watch(address(pool), "WETH/DAI pool");
        // Sell the settlement's DAI (not a token of the batch) for WETH sent to the attacker.
        Batch memory b = cow();
        b.interact(BatchBuilder.BETWEEN, address(pool), v3SwapExactIn(pool, address(dai), BUFFER_DAI, attacker));
        uint256[] memory before = balances();

        settleReverts(b, abi.encodeWithSelector(ISettlement.UnlistedToken.selector, address(dai)));
        assertUnchanged(before);
    }

    // ---- the honest routes still work -------------------------------------------------------------

    function test_a_sale_through_a_genuine_v2_pair_named_as_sell_to_settles() public {
        IUniswapV2Pair pair = wethUsdcPair();
        uint256 out = v2AmountOut(pair, address(weth), 1e18); // about 2988 USDC
        Intent memory i = aliceSells().sellingTo(address(pair));
        Batch memory b = batch().price(address(weth), 2950e6).price(address(usdc), 1e18).add(i);
        b.interact(BatchBuilder.BETWEEN, address(pair), v2Swap(pair, address(usdc), out, address(settlement)));

        settle(b);

        assertGe(balance(usdc, alice) - BALANCE * 1e6, i.buyAmount, "alice gets at least her limit");
        assertEq(balance(usdc, alice), BALANCE * 1e6 + 2950e6, "at the clearing price");
        assertEq(balance(weth, alice), BALANCE * 1e18 - 1e18);
        assertGe(balance(usdc, address(settlement)), BUFFER_USDC, "the buffer does not decrease");
        assertEq(balance(usdc, address(settlement)), BUFFER_USDC + out - 2950e6, "it keeps the surplus");
        assertEq(balance(weth, address(settlement)), BUFFER_WETH, "the WETH went straight to the pair");
    }

    function test_a_sale_through_a_canonical_v3_pool_paid_in_the_callback_settles() public {
        IUniswapV3Pool pool = wethUsdcPool();
        uint256 poolWeth = balance(weth, address(pool));
        Intent memory i = aliceSells();
        Batch memory b = batch().price(address(weth), 2950e6).price(address(usdc), 1e18).add(i);
        b.interact(BatchBuilder.BETWEEN, address(pool), v3SwapExactIn(pool, address(weth), 1e18, address(settlement)));

        settle(b);

        assertGe(balance(usdc, alice) - BALANCE * 1e6, i.buyAmount, "alice gets at least her limit");
        assertEq(balance(usdc, alice), BALANCE * 1e6 + 2950e6, "at the clearing price");
        assertGe(balance(usdc, address(settlement)), BUFFER_USDC, "the buffer does not decrease");
        assertEq(balance(weth, address(settlement)), BUFFER_WETH, "the pool was paid exactly Alice's WETH");
        assertEq(balance(weth, address(pool)), poolWeth + 1e18);
        assertEq(weth.allowance(address(settlement), address(pool)), 0, "and never approved");
    }

    // ---- adapters ---------------------------------------------------------------------------------

    function test_the_owner_lists_and_unlists_an_adapter_emitting_AdapterSet() public {
        Collector adapter = new Collector();
        bytes memory call = abi.encodeCall(Collector.collect, ());

        vm.expectEmit(true, true, true, true, address(settlement));
        emit ISettlement.AdapterSet(address(adapter), true);
        vm.prank(admin);
        settlement.setAdapter(address(adapter), true);
        assertTrue(settlement.isAdapter(address(adapter)));
        settle(cow().interact(BatchBuilder.AFTER, address(adapter), call));

        vm.expectEmit(true, true, true, true, address(settlement));
        emit ISettlement.AdapterSet(address(adapter), false);
        vm.prank(admin);
        settlement.setAdapter(address(adapter), false);
        assertFalse(settlement.isAdapter(address(adapter)));
        settleReverts(
            batch().interact(BatchBuilder.AFTER, address(adapter), call),
            forbidden(address(adapter), Collector.collect.selector)
        );
    }

    function test_only_the_owner_can_list_an_adapter() public {
        address[2] memory callers = [solver, attacker];
        for (uint256 k; k < callers.length; ++k) {
            vm.expectRevert(abi.encodeWithSelector(ISettlement.NotOwner.selector, callers[k]));
            vm.prank(callers[k]);
            settlement.setAdapter(attacker, true);
        }
        assertFalse(settlement.isAdapter(attacker));
    }
}
