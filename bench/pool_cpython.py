#!/usr/bin/python3
"""CPython's side of bench/pool_bench.py: the same Pool measurements with multiprocessing.

    /usr/bin/python3 bench/pool_cpython.py fork|spawn [--tiny 100000] [--reps 15]

Prints one JSON object on stdout (times in milliseconds). A file, not `python -c`, because spawn
workers import the main module to find the functions.
"""
import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import time


def double(x):
    return x * 2


def one():
    return 1


def inc(x):
    return x + 1


def churn(mb):
    """Builds and drops mb MB of garbage in 1 MB pieces, each written (a calloc'ed bytearray would not be)."""
    s = 0
    for i in range(mb):
        b = b"\x01" * (1 << 20)
        s += len(b)
    return s


def count_primes(below):
    c = 0
    for n in range(2, below):
        d = 2
        while d * d <= n:
            if n % d == 0:
                break
            d += 1
        else:
            c += 1
    return c


def announce(q):
    q.put(os.getpid())


def ms(t0):
    return (time.perf_counter() - t0) * 1000.0


def median(values):
    return statistics.median(values)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("method", choices=["fork", "spawn"])
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--tiny", type=int, default=100_000)
    ap.add_argument("--round-trips", type=int, default=2000)
    ap.add_argument("--churn-mb", type=int, default=2048)
    ap.add_argument("--primes-below", type=int, default=150_000)
    args = ap.parse_args()
    ctx = mp.get_context(args.method)
    res = {"method": args.method, "python": sys.version.split()[0]}
    ten_k = list(range(10_000))

    # pool start-up: Pool(2) until both workers have run their initializer
    ready, first = [], []
    for _ in range(max(3, args.reps // 3)):
        q = ctx.SimpleQueue()
        t0 = time.perf_counter()
        p = ctx.Pool(2, initializer=announce, initargs=(q,))
        q.get()
        q.get()
        ready.append(ms(t0))
        p.terminate()
        p.join()
        t0 = time.perf_counter()
        with ctx.Pool(2) as p:
            p.apply(one)
            first.append(ms(t0))
    res["ready2_ms"] = median(ready)
    res["first_result_ms"] = median(first)

    # map(double, 10,000 ints): create + map + close/join, and on an existing pool
    cold = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        p = ctx.Pool(2)
        out = p.map(double, ten_k)
        p.close()
        p.join()
        cold.append(ms(t0))
        assert out[-1] == 19_998
    res["map10k_create_ms"] = median(cold)
    with ctx.Pool(2) as p:
        p.map(double, ten_k)
        warm = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            p.map(double, ten_k)
            warm.append(ms(t0))
        res["map10k_warm_ms"] = median(warm)

        big = list(range(args.tiny))
        t0 = time.perf_counter()
        p.map(double, big)
        res["map_tiny_us_per_item"] = ms(t0) * 1000.0 / args.tiny
        t0 = time.perf_counter()
        n = sum(1 for _ in p.imap(double, big, 1))
        assert n == args.tiny
        res["imap1_tiny_us_per_task"] = ms(t0) * 1000.0 / args.tiny

        for i in range(200):
            p.apply(inc, (i,))
        rt = []
        for i in range(args.round_trips):
            t0 = time.perf_counter()
            p.apply(inc, (i,))
            rt.append(ms(t0))
        res["apply_rt_ms"] = median(rt)

        bounds = [args.primes_below] * 4
        t0 = time.perf_counter()
        seq = [count_primes(b) for b in bounds]
        seq_ms = ms(t0)
        t0 = time.perf_counter()
        par = p.map(count_primes, bounds, 1)
        par_ms = ms(t0)
        assert seq == par
        res["primes_below"] = args.primes_below
        res["primes_speedup"] = seq_ms / par_ms

        t0 = time.perf_counter()
        got = p.map(churn, [args.churn_mb, args.churn_mb], 1)
        res["churn_ms"] = ms(t0)
        res["churn_ok"] = got == [args.churn_mb << 20] * 2
    res["load"] = "%.2f, %.2f, %.2f" % os.getloadavg()
    print(json.dumps(res))


if __name__ == "__main__":
    main()
