"""The published event contracts' documentation: the AsyncAPI document (page, JSON, YAML) and the
JSON Schemas (page and API). Public: partners read them before they have credentials."""
