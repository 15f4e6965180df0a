"""Shops: opening them, the villages each serves, keeper accounts."""
