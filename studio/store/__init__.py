"""Project storage: the SQLite connection owner, numbered migrations, repositories."""
