"""Used by every layer: typed errors and exit codes, escaping of untrusted text, where data and cache live, safe file writes."""
