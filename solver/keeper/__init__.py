"""The keeper: takes won solutions and gets each one mined exactly once (see domain.settlement_job)."""
