"""Writing the knowledge base out: SQLite (for Datasette and sqlite-utils), CSV folders, and serving it with Datasette."""
