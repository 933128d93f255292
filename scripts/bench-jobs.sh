#!/usr/bin/env bash
# Benchmarks the core loop on a dev provider node (Alice, the bundled tiny model in its store,
# real ONNX Runtime): job -> receipt latency in blocks and seconds with interval sealing (1 s)
# and with Aura (6 s slots), and receipts against balance transfers per second, each burst
# saturating the pool; the offchain-worker path of sealed jobs on the light models
# (`light_squeezenet`, `light_resnet50`) as the provider node logs it (the 588 KiB input fetched
# from a gateway node over loopback, opened, run on 2 inference threads as the host-path
# benchmark runs them, outputs sealed), with interval sealing (200 ms: blocks keep coming, so a
# receipt the pool lost is retried instead of waiting for a next transaction that never comes);
# and image-sized jobs per block, sealed against inline, with 6 s blocks. Writes
# docs/bench/jobs.json (or under $CAIRN_BENCH_OUT).
#
# Usage: scripts/bench-jobs.sh [--quick]
#   --quick: a few jobs and transfers, JSON to a temporary directory (keeps the harness working;
#   times are not asserted).

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

interval_jobs=20
aura_jobs=5
load_jobs=1000
load_transfers=6000
ocw_rounds=15
space_jobs=2000
out="${CAIRN_BENCH_OUT:-$CAIRN_ROOT/docs/bench}/jobs.json"
while [ $# -gt 0 ]; do
	case "$1" in
		--quick) interval_jobs=3; aura_jobs=0; load_jobs=40; load_transfers=200; ocw_rounds=2; space_jobs=64; out="${CAIRN_BENCH_OUT:-$(mktemp -d)}/jobs.json"; shift ;;
		*) echo "unknown argument: $1 (expected --quick)" >&2; exit 2 ;;
	esac
done

ensure_onnxruntime
ensure_npm_packages
[ -x "$CAIRN_NODE_BIN" ] || build_node

work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-jobs.XXXXXX")"
trap 'rc=$?; [ "$rc" = 0 ] || tail -n 30 "$work"/*/node.log >&2 2>/dev/null; stop_bench_node; rm -rf "$work"' EXIT
store="$work/models"
for model in "$CAIRN_ROOT"/offchain-workers/models/tiny_affine{,_tuned,_distilled}.onnx \
	"$CAIRN_TEST_MODELS"/light_{squeezenet,resnet50}.onnx; do
	"$CAIRN_NODE_BIN" model import "$model" --model-store "$store" --onnxruntime-lib "$ORT_DYLIB_PATH" >/dev/null
done

# Runs tests/bench/jobs.mjs with $2.. against a fresh provider node sealing by $1 (with the
# node arguments in $node_args besides); JSON to stdout.
node_args=()
# The provider node's network key: the ocw mode's gateway node names it to peer with it.
node_key=0000000000000000000000000000000000000000000000000000000000000b0b
measure() {
	local sealing="$1"
	shift
	local base="$work/$sealing-$RANDOM"
	mkdir -p "$base"
	start_bench_node "$base" --sealing "$sealing" --model-store "$store" \
		--onnxruntime-lib "$ORT_DYLIB_PATH" --pool-limit 20000 --pool-kbytes 200000 "${node_args[@]}"
	CAIRN_BENCH_HTTP="http://127.0.0.1:$BENCH_RPC_PORT" CAIRN_BENCH_WS="ws://127.0.0.1:$BENCH_RPC_PORT" \
		CAIRN_BENCH_NODE_LOG="$base/node.log" CAIRN_BENCH_P2P_PORT=$((BENCH_RPC_PORT + 1)) \
		CAIRN_BENCH_NODE_KEY="$node_key" \
		node "$CAIRN_ROOT/tests/bench/jobs.mjs" "$@"
	stop_bench_node
}

say "job -> receipt latency, interval sealing (1 s): $interval_jobs jobs"
measure 1000 --mode latency --jobs "$interval_jobs" >"$work/interval.json"
if [ "$aura_jobs" -gt 0 ]; then
	say "job -> receipt latency, Aura (6 s slots): $aura_jobs jobs"
	measure aura --mode latency --jobs "$aura_jobs" >"$work/aura.json"
else
	echo null >"$work/aura.json"
fi
say "throughput, interval sealing (1 s): $load_transfers transfers, then $load_jobs jobs"
measure 1000 --mode throughput --jobs "$load_jobs" --transfers "$load_transfers" >"$work/load.json"

say "offchain-worker path of sealed jobs, interval sealing (200 ms), 2 inference threads: $ocw_rounds rounds of the light models"
node_args=(--inference-threads 2 --node-key "$node_key")
measure 200 --mode ocw --rounds "$ocw_rounds" >"$work/ocw.json"
node_args=()

say "image-sized jobs per block, interval sealing (6 s): $space_jobs sealed requests"
measure 6000 --mode blockspace --jobs "$space_jobs" >"$work/blockspace.json"

mkdir -p "$(dirname "$out")"
python3 - "$work" "$out" "$CAIRN_ROOT" <<'PY'
import datetime, json, os, subprocess, sys

work, out, root = sys.argv[1:4]
load = lambda name: json.load(open(os.path.join(work, name)))
git = ["git", "-C", root, "describe", "--always", "--dirty"]
result = {
    "commit": subprocess.run(git, capture_output=True, text=True).stdout.strip(),
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "latency": {"interval1s": load("interval.json"), "aura6s": load("aura.json")},
    "throughput": load("load.json"),
    "ocwPath": load("ocw.json"),
    "blockSpace": load("blockspace.json"),
}
json.dump(result, open(out, "w"), indent=1)
t = result["throughput"]
print(f"receipts {t['receipts']['perSecond']:.1f}/s, transfers {t['transfers']['perSecond']:.1f}/s, ratio {t['ratio']:.2f}")
b = result["blockSpace"]
print(f"image jobs per block: {b['sealed']['maxPerBlock']} sealed, {b['inline']['perBlock']} inline")
PY
say "results: $out"
