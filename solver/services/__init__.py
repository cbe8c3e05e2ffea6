"""Async orchestration: the only home of deadlines and concurrency (intake, auctions, settlement)."""
