"""Staff: roles, on-duty state, login lock-out and the notices staff read."""
