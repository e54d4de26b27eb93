"""Smoke rows for the core arithmetic, also an example of how op tables are written."""
import pytest
from hypothesis import given

from tests.optable import Row, check_row, shapes

ROWS = [
    Row("add", lambda m, x, y: x + y, shapes(2)),
    Row("mul", lambda m, x, y: x * y, shapes(2)),
    Row("sin", lambda m, x: m.sin(x), shapes(1)),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_row(row):
    @given(row.shapes)
    def check(shape_tuple):
        check_row(row, shape_tuple)
    check()
