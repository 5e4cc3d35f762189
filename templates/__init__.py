"""The rendering layer: tables, charts, chapter macros, the site adapter and the print pipeline.

Everything that turns ledger figures into HTML, SVG or PDF lives here; numbers are rounded only
here, through ``units.format``.
"""
