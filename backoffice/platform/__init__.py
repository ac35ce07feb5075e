"""Platform data: orders, customers and parcels from PDD, imports of its exports and the open-platform sync."""
