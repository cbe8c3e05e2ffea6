"""JSON Schemas of the solver protocol's messages, generated from the DTOs (docs/schemas/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from .protocol import SolverMessage, VenueMessage


def schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, for the messages each side sends."""
    return {
        "venue-to-solver.schema.json": TypeAdapter(VenueMessage).json_schema(by_alias=True),
        "solver-to-venue.schema.json": SolverMessage.json_schema(by_alias=True),
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        (directory / name).write_text(render(schema))
        written.append(directory / name)
    return written
