"""Spreadsheets in and out, for every import and export (households, regions, the shop's reports).

read.py reads an upload safely into rows of text; pending.py keeps a checked upload until it is
confirmed; write.py makes .xlsx workbooks whose text cells never become formulas.
"""
