#!/usr/bin/env bash
# Runs the adversarial simulation of the job market (pallets/inference/src/simulation.rs: honest,
# cheating and silent providers, providers on another runtime build, honest requesters and
# requesters attacking with their own Sybil providers, through the mock runtime's real calls and
# hooks) and writes each strategy's profit and loss to docs/bench/integrity.json (or
# $CAIRN_BENCH_OUT), which scripts/bench_report.py puts in REPORT.md, section 9. The test fails
# if an adversarial strategy profits or an honest provider loses.
# Usage: scripts/simulate.sh [--quick]   (default 600 rounds, about 2 400 jobs; --quick: 60)

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

rounds="${CAIRN_SIM_ROUNDS:-600}"
if [ "${1:-}" = --quick ]; then
	rounds=60
elif [ $# -gt 0 ]; then
	echo "unknown argument: $1 (expected --quick)" >&2
	exit 2
fi
out="${CAIRN_BENCH_OUT:-$CAIRN_ROOT/docs/bench}"
mkdir -p "$out"
cd "$CAIRN_ROOT"
say "adversarial simulation: $rounds rounds -> $out/integrity.json"
CAIRN_SIM_ROUNDS="$rounds" CAIRN_SIM_OUT="$out/integrity.json" \
	cargo test "${CAIRN_CARGO_FLAGS[@]}" -p pallet-inference --lib simulation -- --ignored --nocapture
