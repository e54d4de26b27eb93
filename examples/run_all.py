"""Run every example program in this folder, failing loudly if one fails."""
import pathlib
import runpy
import sys

here = pathlib.Path(__file__).parent
for path in sorted(here.glob("*.py")):
    if path.name == "run_all.py":
        continue
    print(f"=== {path.name}")
    sys.argv = [str(path)]
    runpy.run_path(str(path), run_name="__main__")
