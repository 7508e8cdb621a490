"""Bench peer: the official Python driver (`neo4j` on PyPI, with or without
`neo4j-rust-ext`), run by `cargo xtask bench`.

Runs one workload `--warmup` times unmeasured (streams with a tenth of the
rows), then `--runs` times, and
prints one JSON line per measured run (wall seconds, process CPU seconds,
operations) and a last line with the driver version. The workloads and
their query texts are the same in every peer (see docs/benchmarks.md).
"""

import argparse
import asyncio
import importlib.util
import json
import sys
import time

import neo4j
from neo4j import AsyncGraphDatabase, GraphDatabase

Q_INTS = "UNWIND range(1, {n}) AS x RETURN x"
Q_MAPS = ("UNWIND range(1, {n}) AS i RETURN {{id: i, name: 'name-' + toString(i), "
          "score: i * 0.5, tags: ['a', 'b'], active: i % 2 = 0}} AS m")
Q_ONE = "RETURN 1"
Q_PARAM = "RETURN $i"
Q_CREATE = "CREATE (:Bench {i: $i})"


def stream(a, driver, query):
    n = 0
    with driver.session(database=a.db) as s:
        for rec in s.run(query):
            rec[0]
            n += 1
    return n


def small_seq(a, driver):
    with driver.session(database=a.db) as s:
        for _ in range(a.ops):
            s.run(Q_ONE).consume()
    return a.ops


def tx_write(a, driver):
    def work(tx, i):
        tx.run(Q_CREATE, i=i).consume()

    with driver.session(database=a.db) as s:
        for i in range(a.ops):
            s.execute_write(work, i)
    return a.ops


async def small_par_async(a, driver):
    counter = iter(range(a.ops))

    async def worker():
        done = 0
        for i in counter:
            async with driver.session(database=a.db) as s:
                r = await s.run(Q_PARAM, i=i)
                rec = await r.single()
                assert rec[0] == i
            done += 1
        return done

    done = await asyncio.gather(*(worker() for _ in range(a.conc)))
    return sum(done)


def connect(a):
    for _ in range(a.ops):
        with GraphDatabase.driver(a.uri, auth=(a.user, a.password)) as d:
            d.verify_connectivity()
    return a.ops


def main():
    p = argparse.ArgumentParser()
    for name in ("uri", "user", "password", "db", "workload"):
        p.add_argument("--" + name, required=True)
    for name, default in (("warmup", 1), ("runs", 3), ("rows", 0), ("ops", 0), ("conc", 16)):
        p.add_argument("--" + name, type=int, default=default)
    a = p.parse_args()
    auth = (a.user, a.password)
    driver = GraphDatabase.driver(a.uri, auth=auth)
    adriver = None
    loop = None
    if a.workload == "small_par":
        loop = asyncio.new_event_loop()
        adriver = AsyncGraphDatabase.driver(a.uri, auth=auth)

    def once(warm):
        w = a.workload
        rows = max(1, a.rows // 10) if warm else a.rows
        if w == "stream_ints":
            return stream(a, driver, Q_INTS.format(n=rows))
        if w == "stream_maps":
            return stream(a, driver, Q_MAPS.format(n=rows))
        if w == "small_seq":
            return small_seq(a, driver)
        if w == "small_par":
            return loop.run_until_complete(small_par_async(a, adriver))
        if w == "tx_write":
            return tx_write(a, driver)
        if w == "connect":
            return connect(a)
        sys.exit("unknown workload " + w)

    total = 0
    for i in range(a.warmup + a.runs):
        c0, w0 = time.process_time(), time.perf_counter()
        ops = once(i < a.warmup)
        w1, c1 = time.perf_counter(), time.process_time()
        total += ops
        if i >= a.warmup:
            print(json.dumps({"wall_s": w1 - w0, "cpu_s": c1 - c0, "ops": ops}), flush=True)
    if adriver is not None:
        loop.run_until_complete(adriver.close())
    driver.close()
    ext = importlib.util.find_spec("neo4j._rust") is not None  # neo4j-rust-ext
    print(json.dumps({"done": True, "total_ops": total,
                      "version": neo4j.__version__ + (" + rust-ext" if ext else "")}), flush=True)


if __name__ == "__main__":
    main()
