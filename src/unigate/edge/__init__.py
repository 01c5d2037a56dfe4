"""The HTTP edge: routes, wire formats, query parsing, authentication. Nothing CRM-specific."""
