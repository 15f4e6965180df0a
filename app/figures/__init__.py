"""The officials' figures: the summaries the writes keep, their recount, the pages and exports.

rollup.py        the figures' rollup, kept by the meetings', issues' and register's writes
regions.py       the same summed for every region above the village, kept by the same writes
rule_points.py   the points by rule, kept by the ledger's writes
region_points.py the same by category name for every region above the village, kept by the
                 same writes and by moves of rules between categories and of villages
recount.py       the rollup recounted (`flask figures verify|rebuild`, cli.py; the nightly job, jobs.py)
reads.py         the figures per village of a region and period
charts.py        the charts of /figures, their tables and .xlsx
views.py         the pages and downloads; they keep the issues blueprint, whose names
                 (`issues.figures_page`, ...) their links and rules already carry

Importing this package loads no pages, so the services that keep the summaries can import it.
"""
