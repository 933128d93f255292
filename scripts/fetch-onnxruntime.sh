#!/usr/bin/env bash
# Fetches what inference needs into a cache, from PyPI only (no model hub):
#   - ONNX Runtime's shared library, from the `onnxruntime` wheel (`--gpu`: `onnxruntime-gpu`,
#     which also needs CUDA 12 and cuDNN 9 on the machine);
#   - the real-architecture test models and their reference outputs that the `onnx` wheel ships
#     under onnx/backend/test/data/light/.
# Prints the paths; `--print-env` prints `export` lines instead, for `eval`.
#
# Usage: scripts/fetch-onnxruntime.sh [--gpu] [--print-env]

set -euo pipefail

ORT_VERSION=1.31.1
ONNX_VERSION=1.23.2
CAIRN_CACHE="${CAIRN_CACHE:-$HOME/.cache/cairn}"

flavour=cpu
print_env=0
for arg in "$@"; do
	case "$arg" in
	--gpu) flavour=gpu ;;
	--print-env) print_env=1 ;;
	-h | --help)
		sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "unknown argument '$arg' (expected --gpu or --print-env)" >&2
		exit 2
		;;
	esac
done

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

case "$(uname -m)" in
x86_64) platform=manylinux_2_28_x86_64 ;;
aarch64) platform=manylinux_2_28_aarch64 ;;
*)
	echo "no ONNX Runtime wheel for $(uname -m); set ORT_DYLIB_PATH to a library you built" >&2
	exit 1
	;;
esac

ensure_pip() {
	if python3 -m pip --version >/dev/null 2>&1; then return; fi
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		log "apt-get install python3-pip"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
	else
		echo "python3 with pip is required to fetch wheels from PyPI" >&2
		exit 1
	fi
}

# Downloads one wheel (binary, for CPython 3.11 on this platform: the files we take do not depend
# on the Python version) into $2.
download_wheel() {
	local requirement="$1" into="$2"
	ensure_pip
	log "pip download $requirement"
	python3 -m pip download --quiet --no-deps --only-binary=:all: --platform "$platform" \
		--python-version 3.11 --implementation cp --abi cp311 --dest "$into" "$requirement"
}

# Extracts members of a wheel whose names match a regular expression into a directory (flat).
extract() {
	python3 - "$@" <<'PY'
import os, re, shutil, sys, zipfile
wheel, pattern, into = sys.argv[1], re.compile(sys.argv[2]), sys.argv[3]
os.makedirs(into, exist_ok=True)
count = 0
with zipfile.ZipFile(wheel) as archive:
    for member in archive.namelist():
        if pattern.search(member) and not member.endswith("/"):
            with archive.open(member) as source, open(os.path.join(into, os.path.basename(member)), "wb") as target:
                shutil.copyfileobj(source, target)
            count += 1
if count == 0:
    sys.exit(f"nothing in {wheel} matches {pattern.pattern}")
PY
}

runtime_dir="$CAIRN_CACHE/onnxruntime/$ORT_VERSION-$flavour"
library="$runtime_dir/libonnxruntime.so.$ORT_VERSION"
if [ ! -f "$runtime_dir/.complete" ]; then
	work="$(mktemp -d)"
	trap 'rm -rf "$work"' EXIT
	package=onnxruntime
	[ "$flavour" = gpu ] && package=onnxruntime-gpu
	download_wheel "$package==$ORT_VERSION" "$work"
	rm -rf "$runtime_dir"
	extract "$work"/*.whl '^onnxruntime/capi/libonnxruntime[^/]*\.so[^/]*$' "$runtime_dir"
	[ -f "$library" ] || { echo "the $package wheel has no libonnxruntime.so.$ORT_VERSION" >&2; exit 1; }
	touch "$runtime_dir/.complete"
	rm -rf "$work"
	trap - EXIT
fi

models_dir="$CAIRN_CACHE/onnx-models/$ONNX_VERSION"
if [ ! -f "$models_dir/.complete" ]; then
	work="$(mktemp -d)"
	trap 'rm -rf "$work"' EXIT
	download_wheel "onnx==$ONNX_VERSION" "$work"
	rm -rf "$models_dir"
	extract "$work"/*.whl '^onnx/backend/test/data/light/light_[a-z0-9_]+\.(onnx|pb)$' "$models_dir"
	touch "$models_dir/.complete"
	rm -rf "$work"
	trap - EXIT
fi

if [ "$print_env" = 1 ]; then
	printf 'export ORT_DYLIB_PATH=%q\n' "$library"
	printf 'export CAIRN_TEST_MODELS=%q\n' "$models_dir"
else
	log "ONNX Runtime $ORT_VERSION ($flavour): $library"
	log "ONNX test models (onnx $ONNX_VERSION): $models_dir"
	echo "ORT_DYLIB_PATH=$library"
	echo "CAIRN_TEST_MODELS=$models_dir"
fi
