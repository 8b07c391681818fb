"""Reports rendered from the published warehouse: the Evidence project and the strategic report."""
