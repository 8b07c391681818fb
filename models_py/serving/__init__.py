"""What answers requests: the scoring API over the published warehouse and the publication it follows."""
