"""Answers from a loaded knowledge base: the index, search, queries, lookups, timeline, stats, graphs, diffs; results as Listings."""
