"""The scheduled report summary by email (daily or weekly) for supervisors and admins."""
