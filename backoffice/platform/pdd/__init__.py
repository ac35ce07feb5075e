"""Platform data in from the PDD open platform (POP): the signed client and the incremental sync."""
