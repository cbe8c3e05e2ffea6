// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @dev The file cheatcodes that forge 1.7 implements but the npm forge-std 1.1.2 `Vm` interface predates.
interface VmFiles {
    function readFile(string calldata path) external view returns (string memory);
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);
    function getCode(string calldata artifactPath) external view returns (bytes memory);
}

interface IUniswapV2Factory {
    function createPair(address tokenA, address tokenB) external returns (address pair);
}

interface IUniswapV2Pair {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
    function mint(address to) external returns (uint256 liquidity);
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
    function skim(address to) external;
    function sync() external;
}

interface IUniswapV3Factory {
    function createPool(address tokenA, address tokenB, uint24 fee) external returns (address pool);
    function getPool(address tokenA, address tokenB, uint24 fee) external view returns (address pool);
}

interface IUniswapV3Pool {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function fee() external view returns (uint24);
    function initialize(uint160 sqrtPriceX96) external;
    function mint(address recipient, int24 tickLower, int24 tickUpper, uint128 amount, bytes calldata data)
        external
        returns (uint256 amount0, uint256 amount1);
    function swap(
        address recipient,
        bool zeroForOne,
        int256 amountSpecified,
        uint160 sqrtPriceLimitX96,
        bytes calldata data
    ) external returns (int256 amount0, int256 amount1);
}

/// @title The official Uniswap builds from the npm packages, deployed in forge (real pairs and pools).
/// @notice V2 comes from the v2-core npm package's `build` (waffle JSON: `bytecode` without 0x, runtime
/// code at `evm.deployedBytecode.object`), V3 from the v3-core package's `artifacts` (hardhat JSON). Nothing is
/// re-implemented: the factories deploy the pairs and pools from their own embedded creation code.
library Uniswap {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    VmFiles private constant files = VmFiles(address(uint160(uint256(keccak256("hevm cheat code")))));

    string internal constant V2_FACTORY = "../node_modules/@uniswap/v2-core/build/UniswapV2Factory.json";
    string internal constant V2_PAIR = "../node_modules/@uniswap/v2-core/build/UniswapV2Pair.json";
    string internal constant V3_FACTORY =
        "../node_modules/@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json";
    string internal constant V3_POOL =
        "../node_modules/@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json";

    /// @dev v3-periphery's PoolAddress.POOL_INIT_CODE_HASH (the mainnet value).
    bytes32 internal constant V3_POOL_INIT_CODE_HASH = 0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54;
    uint160 internal constant MIN_SQRT_RATIO = 4295128739; // TickMath.MIN_SQRT_RATIO
    uint160 internal constant MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723582342; // TickMath
    int24 internal constant FULL_RANGE_3000 = 887220; // the widest tick multiple of 60 (fee 3000's spacing)

    function deployV2Factory(address feeToSetter) internal returns (address factory) {
        bytes memory code = files.parseJsonBytes(files.readFile(V2_FACTORY), ".bytecode");
        factory = create(abi.encodePacked(code, abi.encode(feeToSetter)));
        vm.label(factory, "UniswapV2Factory");
    }

    /// @notice keccak256 of the UniswapV2Pair runtime code in the npm build.
    function v2PairCodeHash() internal view returns (bytes32) {
        return keccak256(files.parseJsonBytes(files.readFile(V2_PAIR), ".evm.deployedBytecode.object"));
    }

    function deployV3Factory() internal returns (address factory) {
        factory = create(files.getCode(V3_FACTORY));
        vm.label(factory, "UniswapV3Factory");
    }

    /// @notice keccak256 of the UniswapV3Pool creation code in the npm build.
    function v3PoolInitCodeHash() internal view returns (bytes32) {
        return keccak256(files.getCode(V3_POOL));
    }

    function create(bytes memory initCode) private returns (address deployed) {
        assembly ("memory-safe") {
            deployed := create(0, add(initCode, 0x20), mload(initCode))
        }
        require(deployed != address(0), "Uniswap: deployment failed");
    }
}

/// @title Seeds Uniswap liquidity from its own token balance (mint tokens to it first).
contract LiquidityProvider {
    /// @notice Creates the (a, b) V2 pair if needed and adds `amountA` of `a` and `amountB` of `b`.
    function addV2(address factory, address a, address b, uint256 amountA, uint256 amountB)
        external
        returns (IUniswapV2Pair pair)
    {
        pair = IUniswapV2Pair(IUniswapV2Factory(factory).createPair(a, b));
        IERC20(a).transfer(address(pair), amountA);
        IERC20(b).transfer(address(pair), amountB);
        pair.mint(address(this));
    }

    /// @notice Creates the (a, b, fee 0.3 %) V3 pool at the price `amountB / amountA` and adds a full-range
    /// position worth about `amountA` of `a` and `amountB` of `b`.
    function addV3(address factory, address a, address b, uint256 amountA, uint256 amountB)
        external
        returns (IUniswapV3Pool pool)
    {
        pool = IUniswapV3Pool(IUniswapV3Factory(factory).createPool(a, b, 3000));
        (uint256 amount0, uint256 amount1) = a < b ? (amountA, amountB) : (amountB, amountA);
        pool.initialize(uint160(Math.sqrt(Math.mulDiv(amount1, 1 << 192, amount0))));
        uint128 liquidity = uint128(Math.sqrt(amount0 * amount1));
        pool.mint(address(this), -Uniswap.FULL_RANGE_3000, Uniswap.FULL_RANGE_3000, liquidity, "");
    }

    function uniswapV3MintCallback(uint256 owed0, uint256 owed1, bytes calldata) external {
        IUniswapV3Pool pool = IUniswapV3Pool(msg.sender);
        if (owed0 > 0) IERC20(pool.token0()).transfer(msg.sender, owed0);
        if (owed1 > 0) IERC20(pool.token1()).transfer(msg.sender, owed1);
    }
}
