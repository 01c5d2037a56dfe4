"""The engine: one unified call, performed on any integration described by its files."""
