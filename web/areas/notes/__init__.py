"""Case notes and follow-ups: the pages' forms and the API (docs/workflows/notes.md)."""
