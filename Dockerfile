# One image for every service of docker-compose.yml: the venue's Python services (api, auction, solver,
# keeper) and the devnet chain. It holds the installed `solver` package, the entry points in scripts/, our
# compiled contracts and the official Uniswap artifacts (the devnet deployment reads them), and the pinned
# native anvil binary from npm (the same 1.7.1 the tests run).

# Stage 1: the npm chain toolchain (package-lock.json pins it) and our contracts compiled with it.
FROM node:20-bookworm-slim AS contracts
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tools ./tools
COPY contracts ./contracts
RUN cd contracts && ../node_modules/@foundry-rs/forge-linux-amd64/bin/forge build --quiet --skip test

# Stage 2: the Python services.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SOLVER_PROJECT_ROOT=/app
WORKDIR /app
COPY pyproject.toml ./
COPY solver ./solver
RUN pip install --no-cache-dir .
COPY scripts ./scripts
COPY --from=contracts /src/contracts/out ./contracts/out
COPY --from=contracts /src/node_modules/@uniswap ./node_modules/@uniswap
COPY --from=contracts /src/node_modules/@foundry-rs/anvil-linux-amd64 ./node_modules/@foundry-rs/anvil-linux-amd64
RUN useradd --system --uid 10001 --home-dir /app venue && mkdir -p /devnet && chown venue /devnet
USER venue
EXPOSE 8080
CMD ["python", "scripts/venue.py", "--role", "all"]
