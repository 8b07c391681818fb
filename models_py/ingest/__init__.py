"""Getting transactions in: file reading, column mapping, loading into raw, demo data."""
