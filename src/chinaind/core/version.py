"""The package version, and the version of the cached record shape."""

__version__ = "0.1.0"
# Bumped whenever the shape of cached records changes, so old caches are rebuilt.
SCHEMA_VERSION = 1
