"""The register in and out: .xlsx/.csv import with a preview then all or nothing (reader.py reads
and checks a file, importer.py keeps the pending upload and writes it), .xlsx export (exporter.py),
and their pages (views.py). The region tree's import and export reuse the reader and exporter."""
