"""The rendering layer: tables, charts, chapter macros, the site adapter and the print pipeline.

Everything that turns ledger figures into HTML, SVG or PDF lives here; numbers are rounded only
here, through ``units.format``.
"""

import warnings

# jieba 0.42.1 (the site's and the cover's Chinese segmenter) imports pkg_resources, which
# setuptools 80 announces as deprecated on every run; the warning is jieba's, not the user's.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
