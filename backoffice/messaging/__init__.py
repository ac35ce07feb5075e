"""Talking to customers: the outbox and its channels, message templates, quick phrases and auto-replies."""
