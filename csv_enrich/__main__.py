"""python -m csv_enrich"""

from .cli import main

main()
