"""Platform data in from files: the PDD merchant backend's order and after-sales exports (CSV or XLSX)."""
