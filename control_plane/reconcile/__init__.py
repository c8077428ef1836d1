"""Reconciliation with the provider's bill (pure): read the provider's own usage/cost export,
compare it per UTC day and model with what the proxies captured, report the drift."""

from control_plane.reconcile.bills import PROVIDERS, BillFormatError, BillLine, parse_bill
from control_plane.reconcile.compare import Captured, Reconciliation, ReconLine, reconcile

__all__ = [
    "PROVIDERS",
    "BillFormatError",
    "BillLine",
    "Captured",
    "ReconLine",
    "Reconciliation",
    "parse_bill",
    "reconcile",
]
