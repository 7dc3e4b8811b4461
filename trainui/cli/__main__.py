"""`python -m trainui.cli`, as the tests and benchmarks start the server (the console script's twin)."""
from . import main

main()
