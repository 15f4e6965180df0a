"""Forms of the ledger's pages, one module per blueprint: forms/points.py for views/points.py,
forms/rulebook.py for views/rulebook.py and views/settlement.py, forms/claims.py, forms/notice.py.
Shape checks only; the rules live in app/ledger/'s services.
"""
