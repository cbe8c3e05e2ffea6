# The two commands a newcomer needs: `make run` and `make test`. Both set up on first use.
FORGE := node_modules/@foundry-rs/forge-linux-amd64/bin/forge
PY := .venv/bin/python

.PHONY: setup run demo-batch test test-contracts test-python bench bench-intake bench-round bench-e2e fuzz-api devnet lint

setup:
	@bash scripts/setup.sh

run: setup ## the whole venue on embedded defaults: devnet, API, auctions, baseline solver, keeper, demo intents
	@$(PY) scripts/venue.py

demo-batch: setup ## one hand-built batch of every fill kind settled directly (no venue)
	@$(PY) scripts/demo.py

test: setup ## forge tests, then pytest (unit, adapters on anvil, end-to-end)
	@cd contracts && ../$(FORGE) test
	@$(PY) -m pytest

bench: setup ## gas table: ours vs GPv2, measured from receipts on anvil
	@$(PY) scripts/gas_bench.py

bench-intake: setup ## intake throughput on one uvicorn worker: signed intents at a target rate (ARGS="--seconds 20")
	@$(PY) scripts/bench_intake.py $(ARGS)

bench-round: setup ## one round at scale: 1,000 intents, 10 solvers over WebSocket, stage timings (ARGS="--rounds 20")
	@$(PY) scripts/bench_round.py $(ARGS)

bench-e2e: setup ## the whole venue on the devnet: intents POSTed at a steady rate, POST-to-settled latency (ARGS="--rate 8")
	@$(PY) scripts/bench_e2e.py $(ARGS)

fuzz-api: setup ## schemathesis over every API operation on the embedded venue, every check: no 5xx, no undocumented status (ARGS="--max-examples 200 --seed N")
	@$(PY) scripts/fuzz_api.py $(ARGS)

devnet: setup ## start the devnet alone and keep it running
	@$(PY) scripts/devnet.py

lint: setup
	@$(PY) -m ruff check solver tests scripts
	@$(PY) -m mypy
	@.venv/bin/lint-imports
