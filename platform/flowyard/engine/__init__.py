"""The pure workflow engine core: conditions, data mapping, the workflow document, validation."""
