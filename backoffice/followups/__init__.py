"""Follow-up coupon campaigns (A9, A10, L3): scheduling, sending exactly once, coupons and their results."""
