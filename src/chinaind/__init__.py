"""chinaind: a command-line knowledge base of China's industrial policy."""

__version__ = "0.1.0"
# Bumped whenever the shape of cached records changes, so old caches are rebuilt.
SCHEMA_VERSION = 1
