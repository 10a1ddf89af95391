"""The `lgnet` command line: one module per command group, assembled by `infra.cli.main`."""
