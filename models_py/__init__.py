"""retail-retention: the Python side of the warehouse."""
