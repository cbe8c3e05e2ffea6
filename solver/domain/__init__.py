"""The pure core: intents, EIP-712 digests, clearing math, batches and fills. No I/O, no clock reads."""
