"""Runs TestKit suites for `cargo xtask testkit` (written for this project).

It is run with the Python of TestKit's venv, from xtask, which passes:
    python runner.py [--list-failures] [--strict] [--results DIR] SELECTOR...
    env: TESTKIT_DIR, TEST_DRIVER_NAME, TEST_BACKEND_HOST/PORT, TEST_STUB_HOST,
         XTASK_STUB_LISTEN (interface for TestKit's own servers, 127.0.0.1)

SELECTOR: `stub` (whole stub suite), `tls`, `neo4j` (the real-server suite;
xtask sets TEST_NEO4J_*), a stub folder such as `routing`,
or any dotted unittest name below `tests.`. Folders are discovered
recursively. Each distinct test id runs once, even when TestKit's modules
import a test class into several modules.

Loopback: TestKit starts its stub server and the Go TLS server on 0.0.0.0.
Here `subprocess.Popen` is wrapped so that any argument naming 0.0.0.0:<port>
names XTASK_STUB_LISTEN instead, and `tests.shared.get_ip_addresses` answers
that address, so nothing binds a public interface. No TestKit file changes.

Unless --strict: some stub tests call self.fail("no error mapping is defined
for <name> driver") for drivers TestKit does not know (ours is `rust`). Those
calls are ignored and the tests concerned are listed in the output.
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import time
import unittest

NO_MAPPING = re.compile(r"no error mapping is defined for .* driver")


def loopback_everything(listen):
    real_popen = subprocess.Popen

    def rewrite(arg):
        if isinstance(arg, str) and "0.0.0.0:" in arg:
            return arg.replace("0.0.0.0:", listen + ":")
        return arg

    class LoopbackPopen(real_popen):
        def __init__(self, args, *rest, **kwargs):
            if isinstance(args, (list, tuple)):
                args = [rewrite(a) for a in args]
            else:
                args = rewrite(args)
            super().__init__(args, *rest, **kwargs)

    subprocess.Popen = LoopbackPopen

    import tests.shared

    def loopback_addresses(exclude_loopback=True):
        return [listen]

    tests.shared.get_ip_addresses = loopback_addresses


def ignore_unknown_driver_failures(record):
    real_fail = unittest.TestCase.fail

    def fail(self, msg=None):
        if msg is not None and NO_MAPPING.search(str(msg)):
            record.setdefault(self.id(), str(msg))
            return None
        return real_fail(self, msg)

    unittest.TestCase.fail = fail


def expand(selector):
    if selector in ("stub", "tls", "neo4j"):
        return "tests." + selector
    if selector.startswith("tests."):
        return selector
    return "tests.stub." + selector


def flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from flatten(item)
        else:
            yield item


def collect(root, selectors):
    loader = unittest.TestLoader()
    seen = set()
    found = []
    for sel in selectors:
        name = expand(sel)
        path = os.path.join(root, *name.split("."))
        if os.path.isdir(path):
            suite = loader.discover(path, pattern="test*.py", top_level_dir=root)
        else:
            suite = loader.loadTestsFromName(name)
        for test in flatten(suite):
            if test.id() not in seen:
                seen.add(test.id())
                found.append(test)
    return found, loader.errors


def folder_of(test_id):
    parts = test_id.split(".")
    if len(parts) > 3 and parts[0] == "tests" and parts[1] in ("stub", "neo4j"):
        return parts[1] + "/" + parts[2]
    if len(parts) > 1 and parts[0] == "tests":
        return parts[1]
    return parts[0]


def last_line(text):
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1][:240] if lines else ""


class Tally(unittest.TestResult):
    """Keeps one status per test id: pass, fail or skip."""

    def __init__(self, total, log):
        super().__init__()
        self.status = collections.OrderedDict()
        self.why = {}
        self.sub_skips = collections.Counter()
        self.sub_why = {}
        self.total = total
        self.log = log
        self.count = 0

    def _id(self, test):
        if isinstance(test, unittest.case._SubTest):
            return test.test_case.id()
        return test.id()

    def _bad(self, test, err, kind):
        tid = self._id(test)
        self.status[tid] = "fail"
        self.why.setdefault(tid, kind + ": " + last_line(
            self._exc_info_to_string(err, test)))

    def startTest(self, test):  # noqa: N802
        super().startTest(test)
        self.status.setdefault(self._id(test), "pass")
        self._t0 = time.monotonic()

    def stopTest(self, test):  # noqa: N802
        super().stopTest(test)
        self.count += 1
        tid = self._id(test)
        secs = time.monotonic() - self._t0
        self.log.write(f"{self.status[tid].upper():4s} {secs:6.2f}s {tid}"
                       f"  {self.why.get(tid, '')}\n")
        self.log.flush()
        if self.count % 50 == 0 or self.count == self.total:
            print(f"  ... {self.count}/{self.total} tests", file=sys.stderr,
                  flush=True)

    def addError(self, test, err):  # noqa: N802
        super().addError(test, err)
        self._bad(test, err, "error")

    def addFailure(self, test, err):  # noqa: N802
        super().addFailure(test, err)
        self._bad(test, err, "failure")

    def addSkip(self, test, reason):  # noqa: N802
        super().addSkip(test, reason)
        tid = self._id(test)
        if isinstance(test, unittest.case._SubTest):
            # Some subtests skipped: the test keeps the status of the rest.
            self.sub_skips[tid] += 1
            self.sub_why.setdefault(tid, str(reason)[:240])
            return
        if self.status.get(tid) == "pass":
            self.status[tid] = "skip"
            self.why[tid] = "skipped: " + str(reason)[:240]

    def addSubTest(self, test, subtest, err):  # noqa: N802
        super().addSubTest(test, subtest, err)
        if err is not None and not issubclass(err[0], unittest.SkipTest):
            self._bad(test, err, "subtest")

    def addUnexpectedSuccess(self, test):  # noqa: N802
        super().addUnexpectedSuccess(test)
        self.status[self._id(test)] = "fail"
        self.why[self._id(test)] = "unexpected success"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("selectors", nargs="*")
    ap.add_argument("--list-failures", action="store_true")
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--results", default=".")
    args = ap.parse_args()

    root = os.path.abspath(os.environ["TESTKIT_DIR"])
    listen = os.environ.get("XTASK_STUB_LISTEN", "127.0.0.1")
    os.chdir(root)
    sys.path.insert(0, root)
    # TestKit starts its stub server as `python -m boltstub`.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p)

    loopback_everything(listen)
    neutralised = {}
    if not args.strict:
        ignore_unknown_driver_failures(neutralised)

    selectors = args.selectors or ["stub", "tls"]
    tests, load_errors = collect(root, selectors)
    for err in load_errors:
        print("cannot load tests:", last_line(err), file=sys.stderr)
    print(f"testkit: {len(tests)} distinct tests from {' '.join(selectors)}",
          file=sys.stderr, flush=True)

    os.makedirs(args.results, exist_ok=True)
    log_path = os.path.join(args.results, "tests.log")
    out_path = os.path.join(args.results, "output.log")
    started = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log, \
            open(out_path, "w", encoding="utf-8") as out:
        tally = Tally(len(tests), log)
        real_stdout = sys.stdout
        sys.stdout = out  # TestKit prints stub-server dumps
        try:
            unittest.TestSuite(tests).run(tally)
        finally:
            sys.stdout = real_stdout
    wall = time.monotonic() - started

    per = collections.defaultdict(collections.Counter)
    for tid, status in tally.status.items():
        per[folder_of(tid)][status] += 1
    total = collections.Counter()
    print(f"\n{'suite folder':28s} {'run':>5s} {'passed':>7s} {'failed':>7s}"
          f" {'skipped':>8s}")
    for name in sorted(per):
        c = per[name]
        total.update(c)
        print(f"{name:28s} {c['pass'] + c['fail']:5d} {c['pass']:7d}"
              f" {c['fail']:7d} {c['skip']:8d}")
    print(f"{'all':28s} {total['pass'] + total['fail']:5d} {total['pass']:7d}"
          f" {total['fail']:7d} {total['skip']:8d}   ({wall:.0f}s)")

    if neutralised:
        print(f"\nNOTE: {len(neutralised)} tests called self.fail('no error "
              "mapping is defined for rust driver'); that call was ignored "
              "(TestKit has no error names for this driver; --strict keeps "
              "it). Tests concerned:")
        for tid in neutralised:
            print(f"  {tid}  [{tally.status.get(tid, '?')}]")

    skips = collections.defaultdict(list)
    for tid, status in tally.status.items():
        if status == "skip":
            skips[tally.why.get(tid, "")].append(tid)
    if skips:
        print(f"\nskipped ({total['skip']}), by reason:")
        for why, tids in sorted(skips.items(), key=lambda kv: -len(kv[1])):
            print(f"  {len(tids):4d}  {why[len('skipped: '):]}")

    if tally.sub_skips:
        print("\ntests with skipped subtests (the test's status is that of"
              " the others):")
        for tid, n in tally.sub_skips.items():
            print(f"  {tid} [{tally.status.get(tid, '?')}]: {n} subtests"
                  f" skipped, e.g.: {tally.sub_why[tid]}")

    failed = [tid for tid, s in tally.status.items() if s == "fail"]
    if args.list_failures and failed:
        print(f"\nfailures ({len(failed)}):")
        for tid in failed:
            print(f"  {tid}: {tally.why.get(tid, '')}")
    elif failed:
        print(f"\n{len(failed)} failed (--list-failures lists them; "
              f"per-test log: {log_path})")

    with open(os.path.join(args.results, "results.json"), "w") as f:
        json.dump({"selectors": selectors, "seconds": round(wall, 1),
                   "status": tally.status, "why": tally.why,
                   "skipped_subtests": tally.sub_skips,
                   "neutralised": sorted(neutralised)}, f, indent=1)
    print(f"log: {log_path}")
    print(f"{total['pass']} passed, {total['fail']} failed,"
          f" {total['skip']} skipped")
    return 1 if failed or load_errors else 0


if __name__ == "__main__":
    sys.exit(main())
