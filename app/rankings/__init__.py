"""Rankings (评比) of households by points gained in a month, quarter or year, and posters.

keep.py maintains the summary (app/models/ranking.py) from inside the ledger's own writes;
recount.py checks and rebuilds it; reads.py ranks; views.py and poster.py show and print.
The blueprint lives in views.py so that the ledger can import keep.py without the pages.
"""
