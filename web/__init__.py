"""The web app: FastAPI app factory, routers, Jinja2 templates with htmx, translations."""
