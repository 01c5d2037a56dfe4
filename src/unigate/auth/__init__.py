"""OAuth 2: the connect flow, token exchange and refresh on use (docs/api.md, OAuth)."""
