"""Signed webhooks: subscriptions, an outbox of deliveries, and the worker task that sends them."""
