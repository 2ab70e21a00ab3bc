"""Storage: the SQLite database, its migrations, and the repositories (the only SQL)."""
