"""The areas of the programme's work, each a package with its pages and its API side by side:
what both receive and carry out (`requests`), the pages people use (`pages`, Jinja2 + htmx,
not part of the OpenAPI schema) and the JSON API for partner systems and scripts (`api`, under
/api/v1). An area uses web.kit and no other area (an import-linter contract checks it)."""
