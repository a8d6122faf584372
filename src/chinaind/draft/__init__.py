"""Drafting records from a newsletter or news text: read, find, link, propose (`chinaind draft`)."""
