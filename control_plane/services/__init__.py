"""Domain rules that sit between handlers and store functions."""
