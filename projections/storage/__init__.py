"""The ONE SQLite/PostgreSQL kit: portable SQL (`?` placeholders) on either database, and the
read-model database built on it. Infra's accounts and vault keep their tables with it too."""
