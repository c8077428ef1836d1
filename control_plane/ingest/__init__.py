"""Ingestion: validate call records, store them exactly once, and do their derived work in the
same transaction. ``ingest_records`` is the one entry point for HTTP and embedded delivery."""

from control_plane.ingest.batch import IngestTarget, ingest_records
from control_plane.ingest.derived import DERIVED_WORK, DerivedWork, StoredCall

__all__ = ["DERIVED_WORK", "DerivedWork", "IngestTarget", "StoredCall", "ingest_records"]
