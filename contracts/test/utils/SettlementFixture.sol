// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "./BaseTest.sol";
import {Intent, IntentBuilder} from "./IntentBuilder.sol";
import {Batch, BatchBuilder} from "./BatchBuilder.sol";
import {Settlement} from "../../src/Settlement.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";
import {IntentSpender} from "../../src/IntentSpender.sol";
import {TestToken} from "../../src/devnet/TestToken.sol";
import {Uniswap, LiquidityProvider, IUniswapV2Pair, IUniswapV3Pool} from "./Uniswap.sol";

/// @title Shared setup: the official Uniswap V2 and V3 factories, a settlement that recognises them, an
/// allow-listed solver, three tokens, funded users and a funded market maker (solver inventory).
/// @dev Prices are quoted per base unit. With `pWeth = 3000e6` and `pUsdc = 1e18`, one wei of WETH
/// is worth 3000e6 / 1e18 USDC units, i.e. 1 WETH = 3000 USDC.
abstract contract SettlementFixture is BaseTest {
    Settlement internal settlement;
    IntentSpender internal spender;
    TestToken internal weth;
    TestToken internal usdc;
    TestToken internal dai;
    address internal v2Factory;
    address internal v3Factory;
    LiquidityProvider internal liquidity;

    address internal admin;
    address internal solver;
    address internal alice;
    uint256 internal aliceKey;
    address internal bob;
    uint256 internal bobKey;
    address internal carol;
    uint256 internal carolKey;
    address internal maker; // a solver inventory account that takes the other side of single trades
    uint256 internal makerKey;
    uint256 internal makerNonce = 1 << 128; // apart from the nonces tests pick

    uint256 internal constant BALANCE = 1_000_000; // whole tokens minted to each user

    function setUp() public virtual {
        admin = makeAddr("admin");
        solver = makeAddr("solver");
        (alice, aliceKey) = makeAccount("alice");
        (bob, bobKey) = makeAccount("bob");
        (carol, carolKey) = makeAccount("carol");
        (maker, makerKey) = makeAccount("market maker");

        weth = new TestToken("Wrapped Ether", "WETH", 18);
        usdc = new TestToken("USD Coin", "USDC", 6);
        dai = new TestToken("Dai", "DAI", 18);
        vm.label(address(weth), "WETH");
        vm.label(address(usdc), "USDC");
        vm.label(address(dai), "DAI");

        v2Factory = Uniswap.deployV2Factory(admin);
        v3Factory = Uniswap.deployV3Factory();
        settlement = new Settlement(admin, Uniswap.v2PairCodeHash(), v3Factory, Uniswap.V3_POOL_INIT_CODE_HASH);
        spender = settlement.spender();
        vm.label(address(settlement), "Settlement");
        vm.label(address(spender), "IntentSpender");
        vm.startPrank(admin);
        settlement.setSolver(solver, true);
        settlement.setInventoryAccount(maker, true);
        vm.stopPrank();

        fund(alice);
        fund(bob);
        fund(carol);
        fund(maker);
        vm.warp(1_700_000_000);
    }

    // ---- Uniswap ------------------------------------------------------------------------------------

    /// @dev A real V2 pair of `a` and `b` holding `amountA` and `amountB`.
    function v2Pair(TestToken a, TestToken b, uint256 amountA, uint256 amountB) internal returns (IUniswapV2Pair pair) {
        LiquidityProvider provider = liquidityProvider(a, b, amountA, amountB);
        pair = provider.addV2(v2Factory, address(a), address(b), amountA, amountB);
        vm.label(address(pair), string.concat("V2 ", a.symbol(), "/", b.symbol()));
    }

    /// @dev A real V3 pool (fee 0.3 %) of `a` and `b` at the price amountB / amountA, full-range liquidity.
    function v3Pool(TestToken a, TestToken b, uint256 amountA, uint256 amountB) internal returns (IUniswapV3Pool pool) {
        LiquidityProvider provider = liquidityProvider(a, b, amountA, amountB);
        pool = provider.addV3(v3Factory, address(a), address(b), amountA, amountB);
        vm.label(address(pool), string.concat("V3 ", a.symbol(), "/", b.symbol()));
    }

    /// @dev The WETH/USDC V2 pair at 1 WETH = 3000 USDC, 1,000 WETH deep.
    function wethUsdcPair() internal returns (IUniswapV2Pair) {
        return v2Pair(weth, usdc, 1_000e18, 3_000_000e6);
    }

    /// @dev The WETH/USDC V3 pool at 1 WETH = 3000 USDC, about 1,000 WETH deep.
    function wethUsdcPool() internal returns (IUniswapV3Pool) {
        return v3Pool(weth, usdc, 1_000e18, 3_000_000e6);
    }

    /// @dev What `pair` pays for `amountIn` of `tokenIn` sent to it: UniswapV2Library.getAmountOut, the
    /// 0.3 % fee taken from the input.
    function v2AmountOut(IUniswapV2Pair pair, address tokenIn, uint256 amountIn) internal view returns (uint256) {
        (uint256 reserve0, uint256 reserve1,) = pair.getReserves();
        (uint256 reserveIn, uint256 reserveOut) = tokenIn == pair.token0() ? (reserve0, reserve1) : (reserve1, reserve0);
        uint256 inWithFee = amountIn * 997;
        return inWithFee * reserveOut / (reserveIn * 1000 + inWithFee);
    }

    /// @dev Calldata of `pair.swap` paying `amountOut` of `tokenOut` to `to` (empty data: no flash swap).
    function v2Swap(IUniswapV2Pair pair, address tokenOut, uint256 amountOut, address to)
        internal
        view
        returns (bytes memory)
    {
        (uint256 out0, uint256 out1) = tokenOut == pair.token0() ? (amountOut, uint256(0)) : (uint256(0), amountOut);
        return abi.encodeCall(IUniswapV2Pair.swap, (out0, out1, to, ""));
    }

    /// @dev Calldata of `pool.swap` selling exactly `amountIn` of `tokenIn` (no price limit) for `recipient`;
    /// the pool then asks its caller for the input in `uniswapV3SwapCallback`.
    function v3SwapExactIn(IUniswapV3Pool pool, address tokenIn, uint256 amountIn, address recipient)
        internal
        view
        returns (bytes memory)
    {
        bool zeroForOne = tokenIn == pool.token0();
        uint160 limit = zeroForOne ? Uniswap.MIN_SQRT_RATIO + 1 : Uniswap.MAX_SQRT_RATIO - 1;
        return abi.encodeCall(IUniswapV3Pool.swap, (recipient, zeroForOne, int256(amountIn), limit, ""));
    }

    function liquidityProvider(TestToken a, TestToken b, uint256 amountA, uint256 amountB)
        private
        returns (LiquidityProvider provider)
    {
        provider = new LiquidityProvider();
        a.mint(address(provider), amountA * 2);
        b.mint(address(provider), amountB * 2);
    }

    function allowAdapter(address adapter) internal {
        vm.prank(admin);
        settlement.setAdapter(adapter, true);
    }

    /// @dev The market maker's signed intent taking the other side of `i` executing `executed` units of
    /// i's exact side: a buy intent for those units when `i` sells, a sell intent of them when `i` buys,
    /// so the pair nets to rounding dust at any prices. Fill-or-kill, with a limit any prices meet.
    function mirror(Intent memory i, uint256 executed) internal returns (Intent memory m) {
        m = intent().by(makerKey).withNonce(makerNonce++);
        if (i.isBuy) {
            m.sell(i.buyToken, executed).buy(i.sellToken, 0);
        } else {
            m.buyKind().sell(i.buyToken, type(uint128).max).buy(i.sellToken, executed);
        }
    }

    function mirror(Intent memory i) internal returns (Intent memory) {
        return mirror(i, i.executedAmount());
    }

    /// @dev Mints every token to `account` and approves the spender for all of it.
    function fund(address account) internal {
        TestToken[3] memory tokens = [weth, usdc, dai];
        for (uint256 k; k < 3; ++k) {
            tokens[k].mint(account, account == maker ? 1e40 : BALANCE * 10 ** tokens[k].decimals());
            vm.prank(account);
            tokens[k].approve(address(spender), type(uint256).max);
        }
    }

    function intent() internal view returns (Intent memory) {
        return IntentBuilder.intent(address(settlement));
    }

    function batch() internal pure returns (Batch memory) {
        return BatchBuilder.batch();
    }

    /// @dev WETH at 3000 USDC, the batch most tests trade in.
    function wethUsdcBatch() internal view returns (Batch memory) {
        return batch().price(address(weth), 3000e6).price(address(usdc), 1e18);
    }

    function settle(Batch memory b) internal {
        vm.prank(solver);
        b.settleOn(settlement);
    }

    /// @dev Settles `b` as the solver expecting the exact revert data `err`.
    function settleReverts(Batch memory b, bytes memory err) internal {
        vm.expectRevert(err);
        vm.prank(solver);
        b.settleOn(settlement);
    }

    function balance(TestToken token, address account) internal view returns (uint256) {
        return token.balanceOf(account);
    }
}
