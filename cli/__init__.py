"""The `klaxon` command: entry point, command groups, `make run`."""
