"""Turning results into text: the one renderer (table, JSON, CSV, TSV, YAML, ids), trees, graph formats, validation reports."""
