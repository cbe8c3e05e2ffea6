"""Chain adapters: the devnet, contract artifacts, the settlement encoder and submitter."""
