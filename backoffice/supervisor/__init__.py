"""The supervisors' desk: workload, weekly reports and charts, the audit log and CSV exports."""
