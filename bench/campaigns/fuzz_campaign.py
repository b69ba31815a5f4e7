"""A long fuzzing campaign over every file reader (the CI runs 150 inputs a
reader; this runs as many as asked) and a report of what it fed each one.

It runs ``tests/io/test_fuzz.py`` with ``FUZZ_EXAMPLES`` set, in its own
process, and prints, per test, the inputs tried and the outcome. An input
that breaks a reader fails its test with hypothesis's minimal example: save
it in ``tests/fuzz_corpus`` as ``<reader>-<what>.<ext>`` so that every later
run replays it.

Usage::

    python bench/campaigns/fuzz_campaign.py [--examples 20000] [--json out.json]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_campaign(examples):
    """Run the fuzz tests with ``examples`` inputs each.

    Returns
    -------
    results : list of dict
        One a test: ``name``, ``outcome`` (PASSED/FAILED/SKIPPED) and
        ``inputs`` (an upper bound: hypothesis stops early when a test's
        input space is small).
    seconds : float
        Wall time of the campaign.
    """
    env = dict(os.environ, FUZZ_EXAMPLES=str(examples), PYTHONPATH=ROOT)
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "fuzz", "-v", "-p", "no:cacheprovider",
         os.path.join(ROOT, "tests", "io", "test_fuzz.py")],
        env=env, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    results = []
    for line in completed.stdout.splitlines():
        match = re.match(r".*::(\S+) (PASSED|FAILED|SKIPPED|ERROR)", line)
        if match:
            results.append({"name": match.group(1), "outcome": match.group(2),
                            "inputs": examples})
    if completed.returncode not in (0, 1) or not results:
        sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise SystemExit("the fuzz tests did not run")
    if completed.returncode == 1:
        sys.stderr.write(completed.stdout[-8000:])
    return results, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=20000,
                        help="inputs a fuzz test (default 20000)")
    parser.add_argument("--json", help="also write the results there")
    args = parser.parse_args(argv)
    results, seconds = run_campaign(args.examples)
    print(f"fuzz campaign: up to {args.examples} inputs a test, {seconds:.0f} s")
    for result in results:
        print(f"  {result['outcome']:8} {result['name']}")
    failed = [r for r in results if r["outcome"] in ("FAILED", "ERROR")]
    print(f"{len(results) - len(failed)} of {len(results)} tests held")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"examples": args.examples, "seconds": seconds, "results": results},
                      out, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
