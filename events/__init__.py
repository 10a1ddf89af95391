"""Public event contracts: what partners and projections rely on. Changes here are versioned."""
