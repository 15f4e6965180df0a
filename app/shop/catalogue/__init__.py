"""The catalogue: products, their stock and photos, which shop a user works with, the household's
shop page."""
