"""`agentops pricing …`: the group only wires its commands together, one module each.

Offline, on the price table of this machine: ``import``, ``show``, ``list``
(cli/pricing_table_cmd.py) and ``estimate`` (cli/pricing_estimate_cmd.py). Against the control
plane: ``overrides`` (cli/pricing_overrides_cmd.py), ``unpriced`` and ``reprice``
(cli/pricing_calls_cmd.py).
"""

from __future__ import annotations

import click

from cli.pricing_calls_cmd import reprice_command, unpriced_command
from cli.pricing_estimate_cmd import estimate_command
from cli.pricing_overrides_cmd import overrides
from cli.pricing_table_cmd import import_command, list_command, show_command


@click.group()
def pricing() -> None:
    """Model prices: show, list, estimate, import; org overrides, unpriced models, re-pricing.

    \b
    Examples:
      agentops pricing show gpt-4o
      agentops pricing overrides set --model gpt-4o --input-per-m 2 --output-per-m 8
      agentops pricing reprice --from 2026-11-01T00:00:00Z --to 2026-11-27T00:00:00Z --dry-run
    """


for _command in (import_command, show_command, estimate_command, list_command, overrides,
                 unpriced_command, reprice_command):  # fmt: skip
    pricing.add_command(_command)
