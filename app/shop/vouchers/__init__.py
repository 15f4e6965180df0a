"""Vouchers: a household orders ahead with its points held, the shop hands the goods over; unused
vouchers expire (a periodic job)."""
