#!/usr/bin/env bash
# Runs every check and test of Cairn and ends with `N passed, N failed`:
#   formatting, clippy (warnings are errors), all Rust tests (unit, benchmark and integration
#   tests, with the runtime-benchmarks feature; inference tests use the ONNX Runtime library and
#   test models that scripts/fetch-onnxruntime.sh caches), then the end-to-end suite against
#   real nodes and the network suite against a four-validator testnet (scripts/testnet.sh).
# Exits non-zero when anything fails.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
set +e

passed=0
failed=0
failures=()
log_dir="$(mktemp -d "${TMPDIR:-/tmp}/cairn-test.XXXXXX")"

# Records a check that counts as one test.
check() {
	local name="$1"
	shift
	say "$name: $*"
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$name")
	fi
}

# Adds the counts of `cargo test` output in $1 (its "test result:" lines).
count_cargo_tests() {
	local counts
	counts=$(awk '/^test result:/ {
		for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i }
	} END { print p + 0, f + 0 }' "$1")
	passed=$((passed + ${counts% *}))
	failed=$((failed + ${counts#* }))
}

ensure_prerequisites || exit 1
ensure_onnxruntime || exit 1

cd "$CAIRN_ROOT"

check "rustfmt" cargo fmt --all -- --check
if ! build_node; then
	failed=$((failed + 1))
	failures+=("build")
	echo "${passed} passed, ${failed} failed"
	exit 1
fi
check "clippy" cargo clippy "${CAIRN_CARGO_FLAGS[@]}" --workspace --all-targets -- -D warnings

say "cargo test ${CAIRN_CARGO_FLAGS[*]} --workspace --no-fail-fast"
cargo test "${CAIRN_CARGO_FLAGS[@]}" --workspace --no-fail-fast 2>&1 | tee "$log_dir/cargo-test.log"
cargo_status=${PIPESTATUS[0]}
count_cargo_tests "$log_dir/cargo-test.log"
if [ "$cargo_status" != 0 ] && ! grep -qE '^test result: FAILED' "$log_dir/cargo-test.log"; then
	# The tests did not build or a harness crashed: count it.
	failed=$((failed + 1))
	failures+=("cargo test (exit $cargo_status)")
elif [ "$cargo_status" != 0 ]; then
	failures+=("cargo test")
fi

ensure_npm_packages || { failed=$((failed + 1)); failures+=("npm ci"); }
ensure_openlineage_python || { failed=$((failed + 1)); failures+=("openlineage-python"); }
say "client, end-to-end and network suites: node --test (client/test, tests/e2e, tests/network)"
# Every test sets its own timeout (at most 7 minutes); this one catches a test that sets none.
(cd tests && node --test --test-concurrency=1 --test-timeout=600000 --test-reporter=spec --test-reporter-destination=stdout \
	--test-reporter=tap --test-reporter-destination="$log_dir/e2e.tap" ../client/test/ e2e/ network/)
e2e_status=$?
e2e_pass=$(grep -E '^# pass ' "$log_dir/e2e.tap" | awk '{print $3}')
e2e_fail=$(grep -E '^# fail ' "$log_dir/e2e.tap" | awk '{print $3}')
passed=$((passed + ${e2e_pass:-0}))
failed=$((failed + ${e2e_fail:-0}))
if [ "$e2e_status" != 0 ]; then
	failures+=("end-to-end")
	[ -z "$e2e_fail" ] || [ "$e2e_fail" = 0 ] && failed=$((failed + 1))
fi

# The benchmark suite, in its quick mode (every part small, times not asserted): keeps it working.
check "bench suite (scripts/bench.sh --quick)" "$CAIRN_ROOT/scripts/bench.sh" --quick

if [ ${#failures[@]} -gt 0 ]; then
	# The failed end-to-end tests with their errors, here at the end where a log's tail shows them.
	[ -f "$log_dir/e2e.tap" ] && awk '
		/^ *not ok / { show = 1; shown = 0; print; next }
		/^ *(ok|not ok) / || /^# / { show = 0 }
		show && shown < 40 { print; shown++ }
	' "$log_dir/e2e.tap"
	echo "failed: ${failures[*]} (logs in $log_dir)"
fi
echo "${passed} passed, ${failed} failed"
[ ${#failures[@]} -eq 0 ]
