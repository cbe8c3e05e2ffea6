"""Delivery: the HTTP intake API and the solvers' WebSocket protocol. DTOs stop here."""
