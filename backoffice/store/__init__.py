"""The store's own settings: SLA limits, business hours and holidays, money, defaults of a new store."""
