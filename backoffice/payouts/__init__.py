"""Money back to customers: refunds and compensations on any desk's case, what is still refundable on an order,
and the platform's confirmation that the money arrived (A2, A3, A5, A9, L3)."""
