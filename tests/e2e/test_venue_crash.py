"""The venue process (`scripts/venue.py --role api`, keeper in-process) SIGKILLed in the middle of a round and
restarted on the same database and chain: no accepted intent is lost, none is settled twice, balances move
once, and the recorded fills match the chain's Fill events one to one.

Where the kill lands is chosen by polling state, never by timing:
- bidding: the baseline solver's bid is acknowledged and the 3 s bid window is still open (no bid recorded,
  no job queued): the round's intents are IN_AUCTION and must go back to the auctions.
- sent: mining paused; the winner is queued, its intents WON and the keeper's signed settle transaction
  stored (in the mempool, not mined): the restarted keeper must finish with that transaction.
- queued: the round stops between its two concluding writes, queueing the winner's job and marking its
  intents WON (triggers refuse whichever comes second, as if the process died between them; mining paused,
  so nothing is mined meanwhile): after the restart an intent is WON exactly when a job still to be settled
  carries it, and every other one is back in the auctions; each still settles once.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from solver.adapters.chain.devnet import running_devnet
from solver.adapters.chain.manifest import Manifest
from solver.adapters.chain.signer import IntentSigner
from solver.demo import whole
from solver.domain.intent import Eip712Domain, Intent, IntentKind
from solver.venue_demo import body
from tests.adapters.conftest import DATABASE, emptied_postgres_database, postgres  # noqa: F401 (fixture)
from tests.chain_helpers import balance
from tests.e2e.venue_process import VenueStack
from tests.postgres import PostgresServer

pytestmark = pytest.mark.chain

TERMINAL = {"settled", "expired", "cancelled", "failed"}
# Fault injection for "queued": of the two writes that conclude a round (queue the winner's job, mark its
# intents WON), whichever comes second is refused, as if the process died between them. Order-agnostic:
# the job's insert fails once one of its intents is WON; an intent's WON fails once a job carries it.
REFUSE_SECOND_WRITE = {
    "sqlite": """
        CREATE TRIGGER refuse_won BEFORE UPDATE OF status ON intents WHEN NEW.status = 'won'
            AND EXISTS (SELECT 1 FROM settlement_jobs j WHERE instr(j.intent_ids, NEW.intent_id) > 0)
        BEGIN SELECT RAISE(ABORT, 'test: the venue died before marking the winners'); END;
        CREATE TRIGGER refuse_job BEFORE INSERT ON settlement_jobs
            WHEN EXISTS (SELECT 1 FROM intents i WHERE i.status = 'won' AND instr(NEW.intent_ids, i.intent_id) > 0)
        BEGIN SELECT RAISE(ABORT, 'test: the venue died before queueing the winner'); END;""",
    "postgres": """
        CREATE FUNCTION refuse_won() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
            IF NEW.status = 'won' AND EXISTS (SELECT 1 FROM settlement_jobs j
                                              WHERE strpos(j.intent_ids, NEW.intent_id) > 0) THEN
                RAISE EXCEPTION 'test: the venue died before marking the winners';
            END IF; RETURN NEW; END $$;
        CREATE FUNCTION refuse_job() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
            IF EXISTS (SELECT 1 FROM intents i WHERE i.status = 'won' AND strpos(NEW.intent_ids, i.intent_id) > 0) THEN
                RAISE EXCEPTION 'test: the venue died before queueing the winner';
            END IF; RETURN NEW; END $$;
        CREATE TRIGGER refuse_won BEFORE UPDATE ON intents FOR EACH ROW EXECUTE FUNCTION refuse_won();
        CREATE TRIGGER refuse_job BEFORE INSERT ON settlement_jobs FOR EACH ROW EXECUTE FUNCTION refuse_job();""",
}
ALLOW_ALL_WRITES = {
    "sqlite": "DROP TRIGGER IF EXISTS refuse_won; DROP TRIGGER IF EXISTS refuse_job;",
    "postgres": "DROP TRIGGER IF EXISTS refuse_won ON intents; DROP TRIGGER IF EXISTS refuse_job ON settlement_jobs; "
                "DROP FUNCTION IF EXISTS refuse_won(); DROP FUNCTION IF EXISTS refuse_job();",
}  # fmt: skip


# ---- the intents: two CoW pairs, AMM-routed sells, six owners ---------------------------------------------


def signed_intents(manifest: Manifest, now: int) -> list[tuple[Intent, dict[str, object]]]:
    domain = Eip712Domain(manifest.chain_id, manifest.contracts["settlement"])

    def make(who: str, sell: str, buy: str, sell_amt: float, buy_amt: float, nonce: int,
             kind: IntentKind = IntentKind.SELL) -> tuple[Intent, dict[str, object]]:  # fmt: skip
        s, b, owner = manifest.token(sell), manifest.token(buy), manifest.account(who)
        intent = Intent(owner.address, s.address, b.address, whole(s, sell_amt), whole(b, buy_amt), now + 900,
                        nonce, kind=kind)  # fmt: skip
        signature = IntentSigner.from_key(owner.private_key).sign(intent, domain)
        return intent, body(intent, signature, domain)

    return [
        make("user0", "WETH", "USDC", 1, 2_950, 7),  # CoW with user1
        make("user1", "USDC", "WETH", 3_050, 1, 7, IntentKind.BUY),
        make("user4", "WETH", "USDC", 2, 5_800, 7),  # CoW with user5
        make("user5", "USDC", "WETH", 6_100, 2, 7),
        make("user2", "DAI", "WETH", 5_000, 1.6, 7),  # AMM
        make("user3", "WBTC", "WETH", 0.1, 1.9, 7),  # AMM
        make("user5", "WBTC", "WETH", 0.05, 0.95, 8),  # AMM, a second intent of an owner
    ]  # fmt: skip


# ---- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        request.getfixturevalue("postgres")  # the session's server, started outside any event loop
    name: str = request.param
    return name


@pytest.fixture
def stack(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Iterator[VenueStack]:
    """A fresh devnet (one block a second) and an empty database; every process gone afterwards."""
    url, dsn = f"sqlite+aiosqlite:///{tmp_path / 'venue.db'}", None
    if backend == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres")
        url, dsn = asyncio.run(emptied_postgres_database(server)), server.dsn(DATABASE)
    with running_devnet(block_time=1.0) as net:
        s = VenueStack(net, tmp_path, url, dsn)
        try:
            yield s
        finally:
            s.stop_all()
            if backend == "postgres":  # the session's database: a failed "queued" run's triggers must go
                s.execute(ALLOW_ALL_WRITES[backend])


# ---- the kill points --------------------------------------------------------------------------------------


def bid_acknowledged_and_window_open(stack: VenueStack, acknowledged: list[int]) -> int | None:
    """The newest auction the solver's bid was acknowledged for, if its round is still collecting bids."""
    for auction_id in reversed(acknowledged):
        (bids,) = stack.query(f"SELECT count(*) FROM bids WHERE auction_id = {auction_id}")[0]
        queued = stack.query(f"SELECT count(*) FROM settlement_jobs WHERE auction_id = {auction_id}")[0][0]
        if bids == 0 and queued == 0:
            return auction_id
    return None


def winner_sent_and_marked(stack: VenueStack) -> bool:
    """A job whose signed transaction is stored and whose intents are all WON (the round concluded)."""
    statuses, sent = stack.statuses(), stack.query("SELECT DISTINCT auction_id FROM settlement_job_txs")
    jobs = stack.jobs()
    return any(all(statuses[i][0] == "won" for i in jobs[int(a)][1]) for (a,) in sent)


def half_concluded(stack: VenueStack) -> set[str]:
    """Intents of a round whose conclusion stopped between its two writes: a queued job's intents still
    IN_AUCTION, or WON intents that no job carries."""
    statuses, jobs = stack.statuses(), stack.jobs().values()
    carried = {i for _, held in jobs for i in held}
    queued = {i for _, held in jobs if all(statuses[i][0] == "in_auction" for i in held) for i in held}
    return queued | {i for i, (s, _) in statuses.items() if s == "won" and i not in carried}


# ---- the test ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", ["bidding", "sent", "queued"])
def test_a_venue_killed_mid_round_loses_no_intent_and_settles_nothing_twice(
    stack: VenueStack, backend: str, phase: str
) -> None:
    net, m = stack.net, stack.net.manifest
    venue = stack.start_venue("venue-1")
    solver = stack.start_solver()
    stack.wait_for(lambda: solver.events("solver_authenticated"), "the solver logged in")
    if phase != "bidding":
        stack.pause_mining()  # the keeper's transaction waits in the mempool
    if phase == "queued":
        stack.execute(REFUSE_SECOND_WRITE[backend])

    intents = signed_intents(m, int(time.time()))
    holdings = {(i.owner, t) for i, _ in intents for t in (i.sell_token, i.buy_token)}
    before = {(owner, token): balance(net.w3, token, owner) for owner, token in holdings}
    replies = [stack.post_intent(b) for _, b in intents]
    assert [r.status_code for r in replies] == [201] * len(intents), [r.text for r in replies]
    ids = [r.json()["id"].lower() for r in replies]
    by_id = dict(zip(ids, (i for i, _ in intents), strict=True))

    # ---- kill the venue (and only it) mid-round
    seen_half: set[str] = set()
    if phase == "bidding":

        def acknowledged() -> list[int]:
            return [int(e["auction_id"]) for e in solver.events("bid_acknowledged")]

        auction_id = stack.wait_for(
            lambda: bid_acknowledged_and_window_open(stack, acknowledged()), "a bid in an open round"
        )
        venue.kill()
        assert bid_acknowledged_and_window_open(stack, [auction_id]) == auction_id  # killed before the deadline
    elif phase == "sent":
        stack.wait_for(lambda: winner_sent_and_marked(stack), "a signed settle transaction of a concluded round")
        venue.kill()
    else:
        seen_half = stack.wait_for(lambda: half_concluded(stack), "a round stopped between its two concluding writes")
        venue.kill()
        stack.execute(ALLOW_ALL_WRITES[backend])
    assert solver.alive()
    at_kill = stack.statuses()
    assert set(at_kill) == set(ids)  # every accepted intent was stored before its 201
    interrupted = {i for i, (s, _) in at_kill.items() if s == "in_auction"} | half_concluded(stack)
    # The kill did land mid-round. For "queued": the round that hit the injected fault failed, and the venue
    # (still the leader) recovers its intents at its next turn, so the kill may land just after that
    # self-recovery; the half-concluded state was observed before it either way.
    assert interrupted or phase == "sent" or (phase == "queued" and seen_half), at_kill
    stored_txs = stack.signed_transactions()
    assert stack.settled_events() == [] or phase == "bidding"

    # ---- restart on the same database and chain
    stack.start_venue("venue-2")
    stack.wait_for(
        lambda: all(stack.statuses()[i][1] > at_kill[i][1] for i in interrupted), "the restarted venue's recovery"
    )
    # Recovered (and no round concluded since: bids take 3 s): an interrupted intent is WON exactly when a job
    # still to be settled carries it; the others are back in the auctions.
    after, unfinished = stack.statuses(), {i for s, held in stack.jobs().values() if s in ("pending", "sending")
                                           for i in held}  # fmt: skip
    assert {i: after[i][0] == "won" for i in interrupted} == {i: i in unfinished for i in interrupted}, after
    for tx_hash in (h for hashes in stored_txs.values() for h in hashes):  # re-broadcast (or still pending)
        stack.wait_for(functools.partial(stack.pending, tx_hash), "the stored transaction known to the node")
    stack.resume_mining()
    views = stack.wait_for(lambda: _all_terminal(stack, ids), "every accepted intent in a terminal status")

    # ---- nothing lost, nothing twice
    assert {i: v["status"] for i, v in views.items()} == {i: "settled" for i in ids}, stack.outputs()
    chain_fills = [(tx, f) for tx, f in stack.fill_events() if "0x" + f.intent_id.hex() in by_id]
    assert Counter("0x" + f.intent_id.hex() for _, f in chain_fills) == Counter(ids)  # one Fill per intent
    for _, fill in chain_fills:
        intent = by_id["0x" + fill.intent_id.hex()]
        assert fill.owner == intent.owner
        exact = fill.sell_amount if intent.kind is IntentKind.SELL else fill.buy_amount
        assert exact == intent.full_amount  # filled once, in full
        assert int(views["0x" + fill.intent_id.hex()]["filled"]) == intent.full_amount
    settled = stack.settled_events()
    assert all(n == 1 for n in Counter(a for a, _ in settled).values()), settled  # one settle tx per auction
    assert {tx for tx, _ in chain_fills} <= {tx for _, tx in settled}
    jobs = stack.jobs()
    assert sorted(a for a, (s, _) in jobs.items() if s == "settled") == sorted(a for a, _ in settled)
    signed_after, mined = stack.signed_transactions(), {a: tx.lower() for a, tx in settled}
    for auction_id, hashes in stored_txs.items():  # a job signed before the kill: nothing signed anew for it,
        assert signed_after[auction_id] == hashes  # and one of its stored transactions is the one mined
        assert mined[auction_id] in hashes
    if phase == "sent":
        assert stored_txs, "the kill did land with a signed settle transaction in flight"

    moved = {key: 0 for key in holdings}
    for _, fill in chain_fills:
        moved[(fill.owner, fill.sell_token)] -= fill.sell_amount
        moved[(fill.owner, fill.buy_token)] += fill.buy_amount
    after_balances = {key: balance(net.w3, key[1], key[0]) - before[key] for key in holdings}
    assert after_balances == moved  # balances moved exactly once, by exactly the fills

    recorded = Counter((f["txHash"].lower(), f["intentId"].lower(), int(f["executedSell"]), int(f["executedBuy"]))
                       for f in stack.fills())  # fmt: skip
    on_chain = Counter((tx.lower(), "0x" + f.intent_id.hex(), f.sell_amount, f.buy_amount) for tx, f in chain_fills)
    assert recorded == on_chain  # the venue's records match the chain one to one


def _all_terminal(stack: VenueStack, ids: list[str]) -> dict[str, dict[str, Any]] | None:
    views = {i: stack.intent(i) for i in ids}  # every accepted intent still known (404 fails the test)
    return views if all(v["status"] in TERMINAL for v in views.values()) else None
