"""Writing records by hand: JSON Schemas, a knowledge base of one's own, record skeletons."""
