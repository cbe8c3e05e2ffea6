"""Domain errors: raised by constructors and pure functions that refuse a bad state."""


class DomainError(ValueError):
    """Base class: a value that the venue or the contract would refuse."""


class InvalidIntent(DomainError):
    """An intent whose fields can never settle (zero amounts, same tokens, out-of-range integers)."""


class InvalidBatch(DomainError):
    """A batch that the settlement contract would revert (limit violated, over-fill, bad prices)."""
