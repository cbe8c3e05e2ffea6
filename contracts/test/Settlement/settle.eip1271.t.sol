// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementFixture} from "../utils/SettlementFixture.sol";
import {Intent} from "../utils/IntentBuilder.sol";
import {Batch} from "../utils/BatchBuilder.sol";
import {Eip1271Wallet} from "../utils/Eip1271Wallet.sol";
import {ISettlement} from "../../src/interfaces/ISettlement.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice settle(): intents owned by EIP-1271 contract wallets.
contract SettleEip1271Test is SettlementFixture {
    Eip1271Wallet internal wallet;
    address internal walletOwner;
    uint256 internal walletOwnerKey;

    function setUp() public override {
        super.setUp();
        (walletOwner, walletOwnerKey) = makeAccount("wallet owner");
        wallet = new Eip1271Wallet(walletOwner);
        weth.mint(address(wallet), 10e18);
        vm.prank(walletOwner);
        wallet.execute(address(weth), abi.encodeCall(IERC20.approve, (address(spender), type(uint256).max)));
    }

    function walletSells() internal view returns (Intent memory) {
        return intent().byWallet(address(wallet), walletOwnerKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6);
    }

    function bobBuys() internal returns (Intent memory) {
        return intent().by(bobKey).buyKind().sell(address(usdc), 3000e6).buy(address(weth), 1e18);
    }

    function invalid(Intent memory i) internal view returns (bytes memory) {
        return abi.encodeWithSelector(ISettlement.InvalidSignature.selector, i.id());
    }

    function test_settles_an_intent_the_wallet_accepts() public {
        settle(wethUsdcBatch().add(walletSells()).add(bobBuys()));

        assertEq(balance(weth, address(wallet)), 9e18);
        assertEq(balance(usdc, address(wallet)), 3000e6);
    }

    function test_reverts_when_the_wallet_rejects_the_signature() public {
        Intent memory i = walletSells().signedWith(bobKey);

        settleReverts(wethUsdcBatch().add(i), invalid(i));
    }

    function test_reverts_when_the_owner_contract_has_no_isValidSignature() public {
        Intent memory i = walletSells();
        i.owner = address(usdc); // a contract without EIP-1271: the staticcall reverts

        settleReverts(wethUsdcBatch().add(i), invalid(i));
    }

    function test_reverts_when_an_eoa_owner_claims_the_eip1271_scheme() public {
        Intent memory i = intent().by(aliceKey).sell(address(weth), 1e18).buy(address(usdc), 2900e6);
        i.isEip1271 = true; // an EOA has no code: the staticcall returns nothing

        settleReverts(wethUsdcBatch().add(i), invalid(i));
    }

    function test_reverts_when_a_wallet_intent_omits_the_eip1271_flag() public {
        Intent memory i = walletSells();
        i.isEip1271 = false; // ecrecover yields the EOA, never the wallet address

        settleReverts(wethUsdcBatch().add(i), invalid(i));
    }

    function test_reverts_when_the_wallet_returns_a_short_answer() public {
        Intent memory i = walletSells();
        ShortAnswer short = new ShortAnswer();
        vm.etch(address(wallet), address(short).code);

        settleReverts(wethUsdcBatch().add(i), invalid(i));
    }
}

/// @dev Answers isValidSignature with the magic value but only 4 bytes of return data.
contract ShortAnswer {
    fallback() external {
        assembly {
            mstore(0, 0x1626ba7e00000000000000000000000000000000000000000000000000000000)
            return(0, 4)
        }
    }
}
