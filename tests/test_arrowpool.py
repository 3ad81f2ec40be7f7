"""siks does big Arrow work on jemalloc (or the system allocator), not pyarrow's default mimalloc."""

from __future__ import annotations

import pyarrow as pa

from siks.arrowpool import use_fast_pool
from siks.registry import readers


def test_reading_a_file_switches_the_default_pool(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id_ruta,nama\nR1,SITI\n")
    readers.read_file(path)
    assert pa.default_memory_pool().backend_name in ("jemalloc", "system")
    assert use_fast_pool() == pa.default_memory_pool().backend_name


def test_arrays_made_before_the_switch_stay_readable():
    before = pa.array(["x"] * 1000)
    use_fast_pool()
    after = pa.concat_arrays([before, pa.array(["y"])])
    assert after[0].as_py() == "x" and after[-1].as_py() == "y" and len(after) == 1001
