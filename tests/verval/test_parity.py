"""Issue #11 point 2: the whole pipeline on one kabupaten finds the same on DuckDB and on Spark — the same
codes on the same persons, the same duplicate clusters, match weights within `parity.TOLERANCE`."""

from __future__ import annotations

from siks.verval import parity

from .conftest import SPARK

pytestmark = list(SPARK)


def test_duckdb_and_spark_find_the_same(duckdb_outcome, spark_outcome):
    duck = parity.results(duckdb_outcome.engine)
    spark = parity.results(spark_outcome.engine)
    assert len(duck["findings"]) > 1000 and len(duck["clusters"]) > 10  # a kabupaten, not a toy
    assert len({r["code"] for r in duck["findings"]}) >= 15  # most checks found something to compare
    cmp = parity.compare(duck, spark)
    assert parity.same(cmp), cmp
