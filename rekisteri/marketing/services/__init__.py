"""Writes of consent and e-marketing, one module per concern (consents, lists, campaigns)."""
