"""python -m csv_enrich"""

from csv_enrich.cli import run

run()
