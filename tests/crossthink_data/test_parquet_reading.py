"""Parquet is read batch by batch in constant memory, by our readers and by the datatrove reader.

pyarrow 26 pre-buffers ``ParquetFile`` reads by default and keeps what it read until the reader is
done, so a pass over a file held memory in proportion to the file (the 1M-row build's export held
973 MiB). Every reader goes through :func:`crossthink_data.storage.parquet_file`; these tests
measure a pass in a fresh process (the peak RSS, ``VmHWM``) on a file several times larger than
what the pass may keep.
"""

from __future__ import annotations

import random
import string
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datatrove.pipeline.readers import ParquetReader

from crossthink_data.rows import make_reader, row_adapter
from tests.helpers.paths import REPO_ROOT, TEST_DATA

ROWS = 300_000  # ~125 MiB uncompressed, row groups of 1,000 rows as datatrove's writer makes them

PASS = """
import sys
sys.path.insert(0, sys.argv[3])

def peak_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

from crossthink_data import storage
from crossthink_data.rows import make_reader

path, how = sys.argv[1], sys.argv[2]
if how == "parquet_file":
    with open(path, "rb") as handle:
        parquet = storage.parquet_file(handle)
        before = peak_kib()
        for batch in parquet.iter_batches(batch_size=1000):
            pass
else:  # the datatrove reader make_reader builds, as every curation stage reads its input
    reader = make_reader(path)
    next(reader.run())  # imports and the first batch are not the pass
    before = peak_kib()
    for document in reader.run():
        pass
print((peak_kib() - before) / 1024)
"""


@pytest.fixture(scope="module")
def big_parquet(tmp_path_factory) -> Path:
    rng = random.Random(7)
    texts = ["".join(rng.choices(string.ascii_letters + " ", k=400)) for _ in range(2000)]
    table = pa.table(
        {
            "id": [f"{i:020x}" for i in range(ROWS)],
            "question": [f"{texts[i % 2000]} {i}" for i in range(ROWS)],
            "source": ["mmlu_train"] * ROWS,
            "answer": [str(i % 4) for i in range(ROWS)],  # the reader rejects a row without its gold
        }
    )
    path = tmp_path_factory.mktemp("parquet") / "rows.parquet"
    pq.write_table(table, path, row_group_size=1000, compression="none")
    return path


@pytest.mark.parametrize("how", ["parquet_file", "make_reader"])
def test_a_pass_over_a_file_keeps_a_fraction_of_it(big_parquet: Path, how: str) -> None:
    file_mib = big_parquet.stat().st_size / 2**20
    result = subprocess.run(
        [sys.executable, "-c", PASS, str(big_parquet), how, str(REPO_ROOT)],
        capture_output=True,
        text=True,
        check=True,
    )
    grown_mib = float(result.stdout.strip().splitlines()[-1])
    # with pyarrow's pre-buffering the pass grew by 1.27x the file (160 MiB for 125 MiB); without, ~30 MiB
    assert grown_mib < 0.5 * file_mib, (
        f"a pass over {file_mib:.0f} MiB grew the peak RSS by {grown_mib:.0f} MiB"
    )


def test_make_reader_reads_the_documents_datatrove_reads() -> None:
    """Our reader subclass replaces datatrove's read_file: same documents, ids and metadata."""
    folder = TEST_DATA / "train" / "crossthink_sample" / "data" / "mcq"
    ours = list(make_reader(str(folder)).run())
    theirs = list(ParquetReader(str(folder), adapter=row_adapter, glob_pattern="**/*.parquet").run())
    assert len(ours) == len(theirs) > 0
    for mine, reference in zip(ours, theirs):
        assert (mine.text, mine.id, mine.metadata) == (reference.text, reference.id, reference.metadata)
