"""Model catalogue, versioned price table and exact cost maths. Pure: no I/O but the bundled
data file, nothing else of ours imported."""

from pricing._codec import PriceFormatError
from pricing._cost import (
    billed_counts,
    diff_costs,
    estimate_worst_case_cost,
    max_output_tokens,
    price_call,
    reprice,
    service_tier_name,
)
from pricing._importer import derive_table, import_table
from pricing._table import PriceTable, load_bundled_table
from pricing._types import (
    MISSING_RATE,
    NO_USAGE,
    RATE_CLASSES,
    SERVICE_TIERS,
    TOKEN_CLASSES,
    UNPRICED_MODEL,
    Cost,
    CostDiff,
    ModelPrice,
    PriceOverride,
    RateSet,
    Usage,
)

__all__ = [
    "MISSING_RATE",
    "NO_USAGE",
    "RATE_CLASSES",
    "SERVICE_TIERS",
    "TOKEN_CLASSES",
    "UNPRICED_MODEL",
    "Cost",
    "CostDiff",
    "ModelPrice",
    "PriceFormatError",
    "PriceOverride",
    "PriceTable",
    "RateSet",
    "Usage",
    "billed_counts",
    "derive_table",
    "diff_costs",
    "estimate_worst_case_cost",
    "import_table",
    "load_bundled_table",
    "max_output_tokens",
    "price_call",
    "reprice",
    "service_tier_name",
]
