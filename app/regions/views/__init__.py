"""The region pages, all on the regions blueprint (app/regions/__init__.py) under /regions:
overview.py (the villages with their figures), manage.py (change the tree by hand, over
app/regions/manage.py), tree.py (import and export the tree), rulebook_templates.py (officials
publish rulebook templates, committees adopt them). Their forms are in app/regions/forms.py.
"""
from app.regions.views import manage, overview, rulebook_templates, tree  # noqa: F401
