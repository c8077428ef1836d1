"""Pydantic request and response models of the API (the OpenAPI document is built from them)."""
