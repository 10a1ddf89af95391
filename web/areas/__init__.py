"""The areas of the programme's work, each a package with its pages and its API side by side:

- `requests`: what both receive and carry out (request models, the resource a path names and
  who may reach it, the commands), so that a page is exactly as strict as its API;
- `pages`: the pages people use (Jinja2 + htmx; not part of the OpenAPI schema);
- `api`: the JSON API for partner systems and scripts (under /api/v1, documented by OpenAPI).

Each is a module, or a package of them when the area holds several resources (cases, audit).
An area uses web.kit and no other area; its pages and its API never import each other.
Import-linter contracts check both."""
