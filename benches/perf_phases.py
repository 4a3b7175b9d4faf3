#!/usr/bin/env python3
"""Splits a `perf record -g` profile of `airlock sign` into its phases.

Reads `perf script -F tid,time,ip,sym` output on stdin. Each sample is put in the first
phase (in the order below) whose marker appears anywhere in its call stack. For each
phase it prints the CPU time sampled (samples / frequency), the share of all samples
and the wall-clock window from the first to the last sample of that phase, so that
off-CPU time (fsync, waiting for I/O) shows up as a window much longer than the CPU
time in it.

Usage: perf script -i perf.data -F tid,time,ip,sym | perf_phases.py --freq 999
"""

import argparse
import collections
import re
import sys

# (phase, markers): the first phase with a marker in the stack wins. Innermost details
# (the CSR self-signature check inside the intake) come before their callers.
PHASES = [
    ("intake: CSR self-signature verify", ["intake::read_folder"], ["verify_signature"]),
    ("intake: read + parse files", ["intake::read_folder"], None),
    ("policy: judge items", ["policy::evaluate"], None),
    ("ledger: open + replay", ["ledger::Ledger::open"], None),
    ("exit: drop state", ["drop_in_place<airlock::state::State>", "drop_in_place<airlock::ops::Session>"], None),
    ("unlock: age scrypt", ["scrypt::"], None),
    ("unlock: decrypt + key check", ["unlock_active", "Signer::new"], None),
    ("sign: CA signature", ["issue::sign_batch", "issue::sign"], ["Signer::sign", "KeyPair", "EcdsaKeyPair", "RsaKeyPair"]),
    ("sign: parse-back + verify", ["issue::check_issued"], None),
    ("sign: encode TBS + other", ["issue::sign_batch", "issue::sign"], None),
    ("ledger: build + append entries", ["ledger::Ledger::append", "for airlock::state::CertIssued>::serialize", "to_value<airlock::state::CertIssued>", "drop_in_place<airlock::state::CertIssued>"], None),
    ("ledger: seal + commit (fsync)", ["ledger::Ledger::seal", "ledger::Ledger::commit"], None),
    ("outputs: build files", ["output_files", "sha256sums", "Report::to_bytes"], None),
    ("outputs: write_new (create, fsync, link, fsync dir)", ["write_new", "write_outputs"], None),
    ("report printing", ["cli::batch::print_review", "cli::output"], None),
]


HEADER = re.compile(r"^\s*\d+\s+(\d+\.\d+):\s*$")


def samples(stream):
    """Yields (time, [frames]) per sample."""
    time = None
    frames = []
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if time is not None:
                yield time, frames
            time, frames = None, []
            continue
        header = HEADER.match(line)
        if header:
            # "  tid  seconds:" (the tid is right-aligned)
            time = float(header.group(1))
            frames = []
        else:
            frames.append(line.strip())
    if time is not None:
        yield time, frames


def classify(frames):
    stack = "\n".join(frames)
    for name, markers, inner in PHASES:
        if any(marker in stack for marker in markers):
            if inner is None or any(marker in stack for marker in inner):
                return name
    return "other (start-up, rayon idle, kernel, unattributed)"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--freq", type=float, default=999.0, help="perf record -F")
    args = parser.parse_args()
    count = collections.Counter()
    first = {}
    last = {}
    start = end = None
    total = 0
    for time, frames in samples(sys.stdin):
        phase = classify(frames)
        count[phase] += 1
        first.setdefault(phase, time)
        last[phase] = time
        start = time if start is None else min(start, time)
        end = time if end is None else max(end, time)
        total += 1
    if not total:
        print("no samples", file=sys.stderr)
        return 1
    print(f"{total} samples, {total / args.freq:.2f} s CPU over {end - start:.2f} s of wall clock")
    print()
    print("| phase | CPU s | share | wall window (s from start) |")
    print("| --- | ---: | ---: | --- |")
    order = sorted(count, key=lambda phase: first[phase])
    for phase in order:
        print(
            f"| {phase} | {count[phase] / args.freq:.2f} | {100 * count[phase] / total:.1f}% "
            f"| {first[phase] - start:.2f} to {last[phase] - start:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
