// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent} from "../utils/IntentBuilder.sol";
import {Batch, BatchBuilder} from "../utils/BatchBuilder.sol";
import {BalanceProbe} from "../utils/BalanceProbe.sol";
import {TestAmm} from "../utils/TestAmm.sol";
import {IUniswapV2Pair, IUniswapV3Pool} from "../utils/Uniswap.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @dev An adapter that hands back the ETH it is sent (like one refunding what a swap did not use).
contract EthReturner {
    uint256 public received;

    function giveBack() external payable {
        received += msg.value;
        (bool ok,) = msg.sender.call{value: msg.value}("");
        require(ok, "EthReturner: refund failed");
    }
}

/// @notice settle(): interactions run in three phases around the pulls and the payouts, against real
/// Uniswap pairs and pools or owner-listed adapters.
contract SettleInteractionsTest is SettlementFixture {
    BalanceProbe internal probe;
    TestAmm internal amm;

    function setUp() public override {
        super.setUp();
        probe = new BalanceProbe();
        allowAdapter(address(probe)); // the settlement may call an owner-listed adapter with anything
        amm = new TestAmm();
        amm.setRate(address(weth), address(usdc), 3010e6, 1e18); // 1 WETH -> 3010 USDC
        usdc.mint(address(amm), 1_000_000e6);
    }

    function record(uint256 tag, address token, address account) internal pure returns (bytes memory) {
        return abi.encodeCall(BalanceProbe.record, (tag, token, account));
    }

    function aliceSellsOneWeth() internal returns (Intent memory) {
        return intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6);
    }

    function test_runs_phase_0_before_the_pulls_phase_1_between_and_phase_2_after_the_payouts() public {
        Intent memory i = aliceSellsOneWeth();
        Batch memory b = wethUsdcBatch().add(i).add(mirror(i)); // the market maker buys Alice's WETH
        b.interact(BatchBuilder.BEFORE, address(probe), record(0, address(weth), address(settlement)));
        b.interact(BatchBuilder.BEFORE, address(probe), record(0, address(usdc), alice));
        b.interact(BatchBuilder.BETWEEN, address(probe), record(1, address(weth), address(settlement)));
        b.interact(BatchBuilder.BETWEEN, address(probe), record(1, address(usdc), alice));
        b.interact(BatchBuilder.AFTER, address(probe), record(2, address(usdc), alice));

        settle(b);

        assertEq(probe.count(), 5);
        assertSnapshot(0, 0, 0); // nothing pulled yet
        assertSnapshot(1, 0, BALANCE * 1e6); // nothing paid yet
        assertSnapshot(2, 1, 1e18); // Alice's WETH pulled
        assertSnapshot(3, 1, BALANCE * 1e6); // still not paid
        assertSnapshot(4, 2, BALANCE * 1e6 + 3000e6); // paid
    }

    function assertSnapshot(uint256 index, uint256 tag, uint256 expectedBalance) internal view {
        (uint256 gotTag, uint256 gotBalance) = probe.snapshots(index);
        assertEq(gotTag, tag, "phase");
        assertEq(gotBalance, expectedBalance, "balance seen");
    }

    function test_sends_the_sell_amount_straight_to_a_pool_named_by_sell_to() public {
        IUniswapV2Pair pair = wethUsdcPair();
        uint256 out = v2AmountOut(pair, address(weth), 1e18); // about 2988 USDC
        uint256 aliceUsdc = balance(usdc, alice);
        uint256 pairWeth = balance(weth, address(pair));
        // WETH priced at what the pair pays for Alice's 1 WETH, in USDC units per 1e18 wei.
        Batch memory b = batch().price(address(weth), out).price(address(usdc), 1e18);
        b.add(aliceSellsOneWeth().sellingTo(address(pair)));
        b.interact(BatchBuilder.BETWEEN, address(pair), v2Swap(pair, address(usdc), out, address(settlement)));

        settle(b);

        assertEq(balance(weth, address(pair)), pairWeth + 1e18); // the pair got Alice's WETH directly
        assertEq(balance(weth, address(settlement)), 0); // it never passed through the settlement
        assertEq(balance(usdc, alice), aliceUsdc + out); // paid at the clearing price
        assertEq(balance(usdc, address(settlement)), 0);
    }

    function test_sends_the_sell_amount_straight_to_an_adapter_named_by_sell_to() public {
        allowAdapter(address(amm));
        uint256 aliceUsdc = balance(usdc, alice);
        Batch memory b = wethUsdcBatch().add(aliceSellsOneWeth().sellingTo(address(amm)));
        b.interact(
            BatchBuilder.BETWEEN,
            address(amm),
            abi.encodeCall(TestAmm.swapReceived, (address(weth), address(usdc), address(settlement)))
        );

        settle(b);

        assertEq(balance(weth, address(amm)), 1e18); // the adapter got Alice's WETH directly
        assertEq(balance(weth, address(settlement)), 0); // it never passed through the settlement
        assertEq(balance(usdc, alice), aliceUsdc + 3000e6); // paid at the clearing price
        assertEq(balance(usdc, address(settlement)), 10e6, "the adapter's surplus stays in the settlement");
    }

    function test_swaps_through_a_v2_pair_between_the_pulls_and_the_payouts() public {
        IUniswapV2Pair pair = wethUsdcPair();
        uint256 out = v2AmountOut(pair, address(weth), 1e18);
        Batch memory b = batch().price(address(weth), 2950e6).price(address(usdc), 1e18).add(aliceSellsOneWeth());
        b.interact(BatchBuilder.BETWEEN, address(weth), abi.encodeCall(IERC20.transfer, (address(pair), 1e18)));
        b.interact(BatchBuilder.BETWEEN, address(pair), v2Swap(pair, address(usdc), out, address(settlement)));

        settle(b);

        assertEq(balance(usdc, alice), BALANCE * 1e6 + 2950e6, "alice gets the clearing price");
        assertEq(balance(weth, address(settlement)), 0);
        assertEq(balance(usdc, address(settlement)), out - 2950e6, "the AMM surplus stays in the settlement");
    }

    function test_swaps_through_a_v3_pool_paying_it_in_the_swap_callback() public {
        IUniswapV3Pool pool = wethUsdcPool();
        uint256 poolWeth = balance(weth, address(pool));
        Batch memory b = batch().price(address(weth), 2950e6).price(address(usdc), 1e18).add(aliceSellsOneWeth());
        b.interact(BatchBuilder.BETWEEN, address(pool), v3SwapExactIn(pool, address(weth), 1e18, address(settlement)));

        settle(b);

        assertEq(balance(usdc, alice), BALANCE * 1e6 + 2950e6, "alice gets the clearing price");
        assertEq(balance(weth, address(pool)), poolWeth + 1e18, "the pool was paid Alice's WETH in the callback");
        assertEq(balance(weth, address(settlement)), 0);
        assertGe(balance(usdc, address(settlement)), 1, "the AMM surplus stays in the settlement");
        assertEq(weth.allowance(address(settlement), address(pool)), 0, "no approval");
    }

    function test_an_amm_swap_before_the_pulls_has_nothing_to_sell() public {
        IUniswapV2Pair pair = wethUsdcPair();
        Batch memory b = wethUsdcBatch().add(aliceSellsOneWeth());
        b.interact(BatchBuilder.BEFORE, address(weth), abi.encodeCall(IERC20.transfer, (address(pair), 1e18)));
        b.interact(
            BatchBuilder.BEFORE,
            address(pair),
            v2Swap(pair, address(usdc), v2AmountOut(pair, address(weth), 1e18), address(settlement))
        );

        settleReverts(
            b,
            abi.encodeWithSignature("ERC20InsufficientBalance(address,uint256,uint256)", address(settlement), 0, 1e18)
        );
    }

    function test_sends_eth_from_the_settlement_balance_to_an_adapter_that_returns_it() public {
        EthReturner returner = new EthReturner();
        allowAdapter(address(returner));
        vm.deal(address(settlement), 1 ether);

        settle(
            batch().interact(BatchBuilder.AFTER, address(returner), 0.4 ether, abi.encodeCall(EthReturner.giveBack, ()))
        );

        assertEq(returner.received(), 0.4 ether, "the interaction carried the value");
        assertEq(address(settlement).balance, 1 ether, "and the settlement got it back");
    }

    function test_refuses_to_send_eth_from_the_settlement_balance_to_a_plain_account() public {
        address payable recipient = payable(makeAddr("eth recipient"));
        (bool ok,) = address(settlement).call{value: 1 ether}("");
        assertTrue(ok, "the settlement accepts ETH");

        settleReverts(
            batch().interact(BatchBuilder.AFTER, recipient, 0.4 ether, ""),
            abi.encodeWithSelector(ISettlement.ForbiddenInteraction.selector, recipient, bytes4(0))
        );

        assertEq(recipient.balance, 0);
        assertEq(address(settlement).balance, 1 ether);
    }
}
