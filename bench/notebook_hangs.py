#!/usr/bin/python3
"""How often a notebook's forked children hang: executes one notebook N times, each in a fresh
jfork kernel (through nbclient, as the notebook tests do), and counts the runs with a child the
kernel reported hung (notebook 04 hangs one on purpose: count those as expected), and the runs
that failed.
The kernel runs with JFORK_HANG_BACKTRACE=1, so each hung child's native stack (gdb) is printed.

    /usr/bin/python3 bench/notebook_hangs.py notebooks/04-fork-copies-no-threads.ipynb 20

Needs the jfork kernelspec that Jupyter sees (e.g. JUPYTER_DATA_DIR=bench/.jupyter after
install/run --install-only). A measurement, not a test: rates, not pass/fail.
"""
import argparse
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebook")
    ap.add_argument("runs", type=int, nargs="?", default=10)
    ap.add_argument("--kernel", default="jfork")
    ap.add_argument("--timeout", type=int, default=60, help="per cell, seconds")
    args = ap.parse_args()
    os.environ["JFORK_HANG_BACKTRACE"] = "1"
    hung = failed = 0
    for i in range(args.runs):
        nb = nbformat.read(args.notebook, as_version=4)
        client = NotebookClient(nb, kernel_name=args.kernel, timeout=args.timeout)
        verdict = "ok"
        try:
            client.execute()
        except CellExecutionError as e:
            failed += 1
            verdict = "FAILED: " + str(e).strip().splitlines()[-1][:160]
        texts = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        if any(" hung (" in t for t in texts):
            hung += 1
            verdict += " (a child hung)"
        print("run %d: %s" % (i + 1, verdict), flush=True)
    print("\n| notebook | runs | runs with a hung child | failed runs |")
    print("|---|---|---|---|")
    print("| %s | %d | %d | %d |" % (os.path.basename(args.notebook), args.runs, hung, failed))


if __name__ == "__main__":
    sys.exit(main())
