"""Built-in sandboxes: local HTTP emulators of each CRM's real API.

Every module here (other than `base` and `server`) defines one emulator class and exposes it as
`EMULATOR`; `server.build_sandbox_app()` mounts each under `/<integration name>`.
"""
