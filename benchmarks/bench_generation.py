"""P5, generation throughput: completion tokens/s of the miner's generation stage against a raw client.

Ours: ``mine --until generate`` as shipped (``run_miner``): datatrove's InferenceRunner with our
endpoint server (readiness probe, OpenAI client with retries, failure accounting, checkpoints and
request cache, progress) writing the generated documents.
Peer: a raw ``openai.AsyncOpenAI`` client sending the same chat requests (same prompts from
``build_messages``, same model, temperature and max_tokens) with the same concurrency
(an ``asyncio.Semaphore``) and nothing else.

Both talk to the same local server in the same run: llama-cpp-python's server on SmolLM2-135M-
Instruct's GGUF (the `real-model` extra), greedy (temperature 0) so both get the same replies and
the same token counts, on the first PAGES shipped Common Crawl pages (the CPU stages run once,
untimed). Completion tokens come from the server's ``usage``. Rounds alternate ours/peer; the best
round of each is reported. Target (issue 12): ours >= 0.9x the peer.

llama-cpp-python's server computes one request at a time, so a client can only lose throughput by
leaving it idle; each round also reports how long the server computed (its log's ``total time``
lines). On a busy 2-core machine the server's own speed varies up to 2x between rounds with the
same requests, which the tokens/s ratio absorbs; the busy share (server compute / wall time)
compares the clients alone.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from crossthink_data.mining import MinerConfig, run_miner
from crossthink_data.mining.generation import DEFAULT_QUESTIONS_PER_DOC, build_messages
from crossthink_data.mining.pipeline import read_jsonl_folder
from crossthink_data.sources import DEMO_DATA_DIR

PAGES = 8
MAX_TOKENS = 128
CONCURRENCY = 4
ROUNDS = 2


def miner_config(output: Path, server) -> MinerConfig:
    cfg = MinerConfig(
        input=str(DEMO_DATA_DIR / "common_crawl"), output=str(output), glob="*.warc.gz", limit=PAGES
    )
    cfg.generation = replace(
        cfg.generation,
        model=server.model,
        endpoint_url=server.base_url,
        temperature=0.0,
        max_tokens=MAX_TOKENS,
        max_concurrent=CONCURRENCY,
    )
    return cfg


def ours(base: Path, round_dir: Path, server) -> tuple[int, float]:
    """(completion tokens, seconds) of the generation stage on a copy of the CPU stages' output."""
    shutil.copytree(base, round_dir)
    cfg = miner_config(round_dir, server)
    start = time.perf_counter()
    run_miner(cfg, "generate")
    seconds = time.perf_counter() - start
    results = [d["metadata"]["rollout_results"] for d in read_jsonl_folder(str(round_dir / "generate"))]
    results = [r[0] if isinstance(r, list) else r for r in results]
    assert len(results) == PAGES and all(r["ok"] for r in results), "generation failed in the benchmark"
    return sum(r["usage"]["completion_tokens"] for r in results), seconds


async def _peer(documents: list, server) -> int:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=server.base_url, api_key="EMPTY")
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(document) -> int:
        async with gate:
            reply = await client.chat.completions.create(
                model=server.model,
                messages=build_messages(document, DEFAULT_QUESTIONS_PER_DOC),
                temperature=0.0,
                max_tokens=MAX_TOKENS,
            )
            return reply.usage.completion_tokens

    try:
        return sum(await asyncio.gather(*(one(d) for d in documents)))
    finally:
        await client.close()


def peer(documents: list, server) -> tuple[int, float]:
    start = time.perf_counter()
    tokens = asyncio.run(_peer(documents, server))
    return tokens, time.perf_counter() - start


def server_seconds(log_path: str, skip_lines: int) -> tuple[float, int]:
    """Seconds the llama.cpp server spent computing replies (its ``total time`` lines after
    ``skip_lines``), and the log's line count. The server answers one request at a time, so wall
    time minus this is time spent outside it: our overhead, or the peer's, apart from a busy
    machine slowing the server itself."""
    lines = Path(log_path).read_text(errors="replace").splitlines()
    total = 0.0
    for line in lines[skip_lines:]:
        if "total time =" in line:
            total += float(line.split("total time =")[1].split("ms")[0]) / 1000
    return total, len(lines)


def main() -> None:
    from datatrove.data import Document

    from crossthink_data.serve import start_server, stop_server
    from crossthink_train.real_model import gguf_path

    work = Path(tempfile.mkdtemp(prefix="bench_generation_"))
    server = start_server(gguf_path(), "llama-cpp", log_dir=work)
    try:
        base = work / "base"
        run_miner(miner_config(base, server), "domain")  # the CPU stages, once, untimed
        documents = [
            Document(text=d["text"], id=d["id"], metadata=d["metadata"])
            for d in read_jsonl_folder(str(base / "domain"))
        ]
        assert len(documents) == PAGES, f"{len(documents)} pages reached generation, expected {PAGES}"
        peer(documents[:1], server)  # load the model's weights into memory before timing
        best = {"ours": 0.0, "peer": 0.0}
        busy = {"ours": 0.0, "peer": 0.0}  # share of the wall time the server spent on the requests
        _, seen = server_seconds(server.log_path, 0)
        for number in range(ROUNDS):
            for name in ("ours", "peer"):
                if name == "ours":
                    tokens, seconds = ours(base, work / f"round{number}", server)
                else:
                    tokens, seconds = peer(documents, server)
                computing, seen = server_seconds(server.log_path, seen)
                rate = tokens / seconds
                best[name] = max(best[name], rate)
                busy[name] = max(busy[name], computing / seconds)
                print(
                    f"round {number + 1} {name}: {tokens} completion tokens in {seconds:.1f} s = {rate:.1f} "
                    f"tok/s (the server computed for {computing:.1f} s of it)"
                )
        ratio = best["ours"] / best["peer"]
        print(
            f"P5 generation ({PAGES} pages, max_tokens {MAX_TOKENS}, concurrency {CONCURRENCY}, "
            f"llama-cpp SmolLM2-135M): ours {best['ours']:.1f} tok/s, raw AsyncOpenAI {best['peer']:.1f} "
            f"tok/s -> {ratio:.2f}x (target >= 0.9x)"
        )
        # The server answers one request at a time, and on a shared machine its own speed varies
        # between rounds more than any client overhead: the share of wall time it was busy with
        # the requests compares the clients themselves.
        print(
            f"P5 server busy share: ours {busy['ours']:.1%}, raw client {busy['peer']:.1%} -> "
            f"{busy['ours'] / busy['peer']:.3f}x"
        )
    finally:
        stop_server(server)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
