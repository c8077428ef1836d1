"""Maintenance scripts for the pricing package (not imported by it)."""
