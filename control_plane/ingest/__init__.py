"""Ingestion: validate call records, store them exactly once, and do their derived work in the
same transaction. ``batch.ingest_records`` is the one entry point for HTTP and embedded
delivery. This package's ``__init__`` imports nothing: the derived work (budgets, alerts)
imports ``derived.StoredCall`` from here, and ``batch`` imports that work."""
