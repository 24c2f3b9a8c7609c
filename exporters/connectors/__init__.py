"""Connectors: how accepted ERP exports (the outbox) reach the ERP. ``file`` writes
ERP-importable CSV files; a remote sync agent uses the GraphQL outbox API instead."""
