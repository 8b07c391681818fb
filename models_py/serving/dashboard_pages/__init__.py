"""The dashboard's pages: each lays out what ``dashboard_data`` and friends compute."""
