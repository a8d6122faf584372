"""The record model: kinds and references, Pydantic models, YAML reading, validation, migration, dates, figures, search text."""
