// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseTest} from "./BaseTest.sol";
import {Intent, IntentBuilder} from "./IntentBuilder.sol";
import {Batch, BatchBuilder} from "./BatchBuilder.sol";
import {Settlement} from "../../src/Settlement.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";
import {IntentSpender} from "../../src/IntentSpender.sol";
import {TestToken} from "../../src/devnet/TestToken.sol";

/// @title Shared setup: a settlement, an allow-listed solver, three tokens, funded users.
/// @dev Prices are quoted per base unit. With `pWeth = 3000e6` and `pUsdc = 1e18`, one wei of WETH
/// is worth 3000e6 / 1e18 USDC units, i.e. 1 WETH = 3000 USDC.
abstract contract SettlementFixture is BaseTest {
    Settlement internal settlement;
    IntentSpender internal spender;
    TestToken internal weth;
    TestToken internal usdc;
    TestToken internal dai;

    address internal admin;
    address internal solver;
    address internal alice;
    uint256 internal aliceKey;
    address internal bob;
    uint256 internal bobKey;
    address internal carol;
    uint256 internal carolKey;

    uint256 internal constant BALANCE = 1_000_000; // whole tokens minted to each user

    function setUp() public virtual {
        admin = makeAddr("admin");
        solver = makeAddr("solver");
        (alice, aliceKey) = makeAccount("alice");
        (bob, bobKey) = makeAccount("bob");
        (carol, carolKey) = makeAccount("carol");

        weth = new TestToken("Wrapped Ether", "WETH", 18);
        usdc = new TestToken("USD Coin", "USDC", 6);
        dai = new TestToken("Dai", "DAI", 18);
        vm.label(address(weth), "WETH");
        vm.label(address(usdc), "USDC");
        vm.label(address(dai), "DAI");

        settlement = new Settlement(admin);
        spender = settlement.spender();
        vm.label(address(settlement), "Settlement");
        vm.label(address(spender), "IntentSpender");
        vm.prank(admin);
        settlement.setSolver(solver, true);

        fund(alice);
        fund(bob);
        fund(carol);
        vm.warp(1_700_000_000);
    }

    /// @dev Mints every token to `account` and approves the spender for all of it.
    function fund(address account) internal {
        TestToken[3] memory tokens = [weth, usdc, dai];
        for (uint256 k; k < 3; ++k) {
            tokens[k].mint(account, BALANCE * 10 ** tokens[k].decimals());
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
