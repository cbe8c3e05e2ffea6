// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title Constant-rate swapper standing in for an AMM in interaction tests.
/// @notice `swap` pulls `amountIn` from the caller with transferFrom (the settlement approves it in
/// an earlier interaction) and pays `amountIn * num / den` of the other token from its own reserves.
/// `swapReceived` works like a Uniswap V2 pair instead: it swaps what was sent to it since the last
/// call (tracked in `accounted`) and pays `to`.
contract TestAmm {
    struct Rate {
        uint256 num;
        uint256 den;
    }

    mapping(address => mapping(address => Rate)) public rates;
    mapping(address => uint256) public accounted; // token -> balance already swapped or paid out

    error NoRate(address tokenIn, address tokenOut);
    error InsufficientLiquidity(address token, uint256 available, uint256 wanted);

    event Swapped(address indexed caller, address tokenIn, address tokenOut, uint256 amountIn, uint256 amountOut);

    function setRate(address tokenIn, address tokenOut, uint256 num, uint256 den) external {
        rates[tokenIn][tokenOut] = Rate(num, den);
    }

    function quote(address tokenIn, address tokenOut, uint256 amountIn) public view returns (uint256) {
        Rate memory r = rates[tokenIn][tokenOut];
        if (r.den == 0) revert NoRate(tokenIn, tokenOut);
        return amountIn * r.num / r.den;
    }

    function swap(address tokenIn, address tokenOut, uint256 amountIn) external returns (uint256 amountOut) {
        amountOut = quote(tokenIn, tokenOut, amountIn);
        uint256 reserve = IERC20(tokenOut).balanceOf(address(this));
        if (reserve < amountOut) revert InsufficientLiquidity(tokenOut, reserve, amountOut);
        IERC20(tokenIn).transferFrom(msg.sender, address(this), amountIn);
        IERC20(tokenOut).transfer(msg.sender, amountOut);
        emit Swapped(msg.sender, tokenIn, tokenOut, amountIn, amountOut);
    }

    function swapReceived(address tokenIn, address tokenOut, address to) external returns (uint256 amountOut) {
        uint256 amountIn = IERC20(tokenIn).balanceOf(address(this)) - accounted[tokenIn];
        amountOut = quote(tokenIn, tokenOut, amountIn);
        accounted[tokenIn] += amountIn;
        IERC20(tokenOut).transfer(to, amountOut);
        accounted[tokenOut] = IERC20(tokenOut).balanceOf(address(this));
        emit Swapped(msg.sender, tokenIn, tokenOut, amountIn, amountOut);
    }
}
