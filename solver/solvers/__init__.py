"""Solvers that connect to the venue over its WebSocket protocol (docs/protocol.md), as third parties do."""
