"""The LGNetEA domain: aggregates, rules and application services. Imports nothing of ours."""
