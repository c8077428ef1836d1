"""Policies: schema, compiler and evaluator returning a decision with reasons.

Pure code (no I/O frameworks); the policies issue fills it. The package exists now so the
layout, the wheel and the lint rules are in place.
"""
