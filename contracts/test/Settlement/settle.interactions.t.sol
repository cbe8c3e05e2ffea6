// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent} from "../utils/IntentBuilder.sol";
import {Batch, BatchBuilder} from "../utils/BatchBuilder.sol";
import {BalanceProbe} from "../utils/BalanceProbe.sol";
import {TestAmm} from "../utils/TestAmm.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice settle(): interactions run in three phases around the pulls and the payouts.
contract SettleInteractionsTest is SettlementFixture {
    BalanceProbe internal probe;
    TestAmm internal amm;

    function setUp() public override {
        super.setUp();
        probe = new BalanceProbe();
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
        Batch memory b = wethUsdcBatch().add(aliceSellsOneWeth());
        usdc.mint(address(settlement), 3000e6); // pays Alice from the settlement's own balance
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
        uint256 aliceUsdc = balance(usdc, alice);
        Batch memory b = wethUsdcBatch().add(aliceSellsOneWeth().sellingTo(address(amm)));
        uint256 settlementWeth = balance(weth, address(settlement));
        b.interact(
            BatchBuilder.BETWEEN,
            address(amm),
            abi.encodeCall(TestAmm.swapReceived, (address(weth), address(usdc), address(settlement)))
        );

        settle(b);

        assertEq(balance(weth, address(amm)), 1e18); // the pool got Alice's WETH directly
        assertEq(balance(weth, address(settlement)), settlementWeth); // it never passed through the settlement
        assertEq(balance(usdc, alice), aliceUsdc + 3000e6); // paid at the clearing price
    }

    function test_swaps_through_an_amm_between_the_pulls_and_the_payouts() public {
        Batch memory b = wethUsdcBatch().add(aliceSellsOneWeth());
        b.interact(BatchBuilder.BETWEEN, address(weth), abi.encodeCall(IERC20.approve, (address(amm), 1e18)));
        b.interact(
            BatchBuilder.BETWEEN, address(amm), abi.encodeCall(TestAmm.swap, (address(weth), address(usdc), 1e18))
        );

        settle(b);

        assertEq(balance(usdc, alice), BALANCE * 1e6 + 3000e6, "alice gets the clearing price");
        assertEq(balance(weth, address(amm)), 1e18);
        assertEq(balance(usdc, address(settlement)), 10e6, "the AMM surplus stays in the settlement");
    }

    function test_an_amm_swap_before_the_pulls_has_nothing_to_sell() public {
        Batch memory b = wethUsdcBatch().add(aliceSellsOneWeth());
        b.interact(BatchBuilder.BEFORE, address(weth), abi.encodeCall(IERC20.approve, (address(amm), 1e18)));
        b.interact(
            BatchBuilder.BEFORE, address(amm), abi.encodeCall(TestAmm.swap, (address(weth), address(usdc), 1e18))
        );

        settleReverts(
            b,
            abi.encodeWithSignature("ERC20InsufficientBalance(address,uint256,uint256)", address(settlement), 0, 1e18)
        );
    }

    function test_sends_eth_from_the_settlement_balance() public {
        address payable recipient = payable(makeAddr("eth recipient"));
        (bool ok,) = address(settlement).call{value: 1 ether}("");
        assertTrue(ok, "the settlement accepts ETH");

        settle(batch().interact(BatchBuilder.AFTER, recipient, 0.4 ether, ""));

        assertEq(recipient.balance, 0.4 ether);
        assertEq(address(settlement).balance, 0.6 ether);
    }
}
