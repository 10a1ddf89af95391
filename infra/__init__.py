"""Infrastructure, in layers (each imports only those below it; pyproject.toml's import contracts
check it):
- `cli/`: the `lgnet` command line, one module per command group;
- `runtime.py`, which runs the parts in one process tree, and `demo/`, the demo data generator;
- `bootstrap.py`: the composition root;
- `pipeline/`: the relay, the projector, the partner feed, replay;
- `audit/`: the audit chain store, signed checkpoints, evidence, the auditors' event browser;
- `nats/` (the embedded server, permissions, credentials, streams, shared JetStream helpers),
  `publishing/` (domain events to CloudEvent messages), `finance_allocations.py`, and the event
  store, the personal-data vault and the accounts;
- `settings.py`."""
