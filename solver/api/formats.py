"""The text formats of the API's fields, one regular expression each: the OpenAPI document declares it as the
field's `pattern` (`documented`), and the edge enforces exactly it (`matches`), with the refusal code the field
calls for (`malformed` for addresses, ids and hex; `invalid_amount` for amounts). What the pattern refuses is
refused, what it admits is read (ranges, e.g. an amount's, are checked on the value); schemathesis holds the
document and the answers together (tests/api/test_fuzz.py).
"""

from __future__ import annotations

import re

from pydantic.config import JsonDict

from solver.domain.intake import RejectCode, Rejected
from solver.domain.primitives import address

ADDRESS = r"^0x[0-9a-fA-F]{40}$"  # any case: the checksum of mixed-case input is not enforced
BYTES32 = r"^0x[0-9a-fA-F]{64}$"
HEX_BYTES = r"^0x(?:[0-9a-fA-F]{2})*$"
DECIMAL = r"^[0-9]{1,78}$"  # a uint256 has 78 digits at most; its range is checked on the value


def documented(pattern: str) -> JsonDict:
    """A field's `json_schema_extra`: the pattern in the document; the edge checks it (`matches`)."""
    return {"pattern": pattern}


def matches(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text) is not None


def address_of(text: str, name: str) -> str:
    """The checksummed address of a field of the ADDRESS format; Rejected(MALFORMED) otherwise."""
    if not matches(ADDRESS, text):
        raise Rejected(RejectCode.MALFORMED, f"{name} must be 0x followed by 40 hex digits")
    return address(text)  # never raises: the pattern admits only hex addresses
