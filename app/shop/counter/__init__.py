"""The counter: a scanned or typed code opens a basket, the sale, receipts and voids (the sale itself
is app/shop/checkout.py, shared with vouchers and the API)."""
