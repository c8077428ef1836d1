"""Authentication (passwords, tokens, API keys) and authorisation (the permission table)."""
