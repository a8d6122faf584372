"""The compiled cache: the scan of record files, the SQLite database and its refresh, loading a knowledge base."""
