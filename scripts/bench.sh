#!/usr/bin/env bash
# Runs every Cairn benchmark and writes docs/bench/REPORT.md from their JSON, with PNG plots of
# latency and throughput (each figure a ratio against a reference measured in the same run where
# one exists):
#   1. inference overhead: host-function path against raw `ort` (scripts/bench-inference.sh)
#   2. job -> receipt latency, interval sealing and Aura    } scripts/bench-jobs.sh
#   3. receipts against balance transfers per second        }
#   8. sealed jobs: image jobs per block against inline;    }
#      fetching and opening a sealed input against the run  }
#   4. lineage RPC at 100,000 models, depth 64 (scripts/bench-rpc.sh)
#   5. release build of the node: warm (a node source touched); cold only with --cold-build
#   6. CUDA against CPU: needs an NVIDIA GPU (reported as such without one)
#   7. verification: checkpoint commitments, sampled audits against k = 2, one dispute's segment
#      against a full re-execution (scripts/bench-verification.sh; docs/bench/verification.md)
#   9. market integrity: each strategy's profit and loss in the adversarial simulation
#      (scripts/simulate.sh; docs/security.md)
#
# Usage: scripts/bench.sh [--quick] [--cold-build]
#   --quick: every part at a small size and no build timing, report to a temporary directory
#   (scripts/test.sh runs it to keep the harness working; times are not asserted).
#   --cold-build: also times a release build of the node into an empty target directory
#   (about 40 minutes on 2 cores; outside the 20-minute budget of the default run).

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

quick=()
cold=0
while [ $# -gt 0 ]; do
	case "$1" in
		--quick) quick=(--quick); shift ;;
		--cold-build) cold=1; shift ;;
		*) echo "unknown argument: $1 (expected --quick or --cold-build)" >&2; exit 2 ;;
	esac
done
if [ ${#quick[@]} -gt 0 ]; then
	export CAIRN_BENCH_OUT="${CAIRN_BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench.XXXXXX")}"
fi
out="${CAIRN_BENCH_OUT:-$CAIRN_ROOT/docs/bench}"
mkdir -p "$out"
started=$SECONDS

ensure_prerequisites
build_node

if [ ${#quick[@]} -eq 0 ]; then
	say "5. warm release build: a node source file touched, then cargo build"
	touch "$CAIRN_ROOT/node/src/command.rs"
	build_started=$SECONDS
	build_node
	warm=$((SECONDS - build_started))
	cold_seconds=null
	if [ "$cold" = 1 ]; then
		say "5. cold release build into an empty target directory"
		cold_target="$(mktemp -d "${TMPDIR:-/tmp}/cairn-cold-target.XXXXXX")"
		build_started=$SECONDS
		(cd "$CAIRN_ROOT" && CARGO_TARGET_DIR="$cold_target" cargo build "${CAIRN_CARGO_FLAGS[@]}" -p cairn-node)
		cold_seconds=$((SECONDS - build_started))
		rm -rf "$cold_target"
	fi
	python3 - "$out/build.json" "$warm" "$cold_seconds" "$CAIRN_ROOT" <<-'PY'
	import datetime, json, subprocess, sys

	path, warm, cold, root = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
	try:
	    previous = json.load(open(path))
	except (OSError, ValueError):
	    previous = {}
	commit = subprocess.run(["git", "-C", root, "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
	date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
	result = {"warm": {"seconds": warm, "commit": commit, "date": date}, "cold": previous.get("cold")}
	if cold != "null":
	    result["cold"] = {"seconds": int(cold), "commit": commit, "date": date}
	json.dump(result, open(path, "w"), indent=1)
	PY
fi

say "1. inference overhead"
"$CAIRN_ROOT/scripts/bench-inference.sh" "${quick[@]}"
say "2, 3, 8. job latency, throughput, sealed jobs"
"$CAIRN_ROOT/scripts/bench-jobs.sh" "${quick[@]}"
say "4. lineage RPC"
"$CAIRN_ROOT/scripts/bench-rpc.sh" "${quick[@]}"
say "7. verification"
"$CAIRN_ROOT/scripts/bench-verification.sh" "${quick[@]}"
say "9. market integrity: the adversarial simulation"
"$CAIRN_ROOT/scripts/simulate.sh" "${quick[@]}"

gpu=null
command -v nvidia-smi >/dev/null && gpu="\"$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1)\""
ensure_bench_python
"$CAIRN_BENCH_PYTHON" "$CAIRN_ROOT/scripts/bench_report.py" "$out" "$CAIRN_ROOT" "$gpu" "$((SECONDS - started))"
say "report: $out/REPORT.md ($((SECONDS - started)) s)"
