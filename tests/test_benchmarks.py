"""The notebook benchmark's bookkeeping: which statements and modules make a notebook's floor."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_notebooks", ROOT / "benchmarks" / "notebooks.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_import_statements_are_the_top_level_imports_in_order_and_magics_do_not_break_them():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%matplotlib inline\nimport numpy as np\nx = 1"),
        nbformat.v4.new_markdown_cell("import nothing"),
        nbformat.v4.new_code_cell("def f():\n    import json\nfrom pathlib import Path, PurePath"),
    ]
    assert bench.import_statements(nb) == ["import numpy as np", "from pathlib import Path, PurePath"]


def test_deferred_imports_are_the_late_modules_in_load_order():
    after_imports = ["sys", "torch", "numpy"]
    after_run = ["sys", "torch", "numpy", "torch._dynamo", "sympy", "__main__", "torch._dynamo.utils",
                 "<ipython-input>", "sympy.core"]
    late = bench.deferred_imports(after_imports, after_run)
    assert late == ["torch._dynamo", "sympy", "torch._dynamo.utils", "sympy.core"]
    assert bench.roots(late) == ["torch._dynamo", "sympy"]


def test_the_floor_cell_loads_the_modules_and_skips_one_that_cannot_be_imported():
    cell = bench.import_sources(["json.decoder", "no_such_module_here", "colorsys"])
    assert bench.import_sources([]) == []
    check = cell[0] + "import sys\nprint('json.decoder' in sys.modules, 'colorsys' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-W", "error", "-c", check], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "True"]
