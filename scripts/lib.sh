# shellcheck shell=bash
# scripts/lib.sh: what scripts/demo and scripts/check share: installing the
# Debian packages dagz needs and building it out of tree. Sourced by bash
# scripts; defines functions and DAGZ_TOP, and changes nothing else.

DAGZ_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# What building and testing dagz takes on Debian and Ubuntu.
DAGZ_DEPS=(build-essential autoconf automake pkg-config libbsd-dev
	libjansson-dev libevent-dev libsqlite3-dev zlib1g-dev libarchive-dev
	libyaml-dev libexpat1-dev libmicrohttpd-dev libssl-dev openssl jq bats
	libxml2-utils procps curl sqlite3 cmake python3-pytest python3-coverage
	perl clang libclang-rt-14-dev chromium chromium-driver python3-selenium
	postgresql)

# Prints a step of the script, bold on a terminal.
dagz_say() {
	if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
		printf '\033[1m==> %s\033[0m\n' "$*"
	else
		printf '==> %s\n' "$*"
	fi
}

# True when the Debian package $1 is installed (not merely known to dpkg,
# as a removed package whose configuration files remain would be).
dagz_pkg_installed() {
	local status

	status=$(dpkg -s "$1" 2>/dev/null) || return 1
	grep -qx 'Status: install ok installed' <<<"$status"
}

# Installs whichever of DAGZ_DEPS is missing, as root or through sudo.
# Nothing is updated or installed when everything is there already, so a
# second run is quick and needs no network.
dagz_install_deps() {
	local missing=() p sudo=()

	if ! command -v dpkg >/dev/null 2>&1 ||
	    ! command -v apt-get >/dev/null 2>&1; then
		dagz_say "not a Debian system: make sure these are installed:" \
		    "${DAGZ_DEPS[*]}"
		return 0
	fi
	for p in "${DAGZ_DEPS[@]}"; do
		dagz_pkg_installed "$p" || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		if ! command -v sudo >/dev/null 2>&1; then
			echo "missing packages: ${missing[*]}" >&2
			echo "run this as root, or install sudo" >&2
			return 1
		fi
		sudo=(sudo)
	fi
	dagz_say "installing ${missing[*]}"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# True when file $1 is missing or older than any of the files after it.
dagz_stale() {
	local target=$1 f
	shift
	[ -e "$target" ] || return 0
	for f in "$@"; do
		[ "$f" -nt "$target" ] && return 0
	done
	return 1
}

# Configures dagz in the directory $1 (made if need be) with the arguments
# after it, running autoreconf first when needed. Each step runs only when
# its inputs changed, so that a rebuild after a small edit is quick.
dagz_configure() {
	local builddir=$1 args_file inputs
	shift
	local args="$*"

	if [ -e "$DAGZ_TOP/config.status" ]; then
		echo "the source tree is configured in place;" \
		    "run 'make distclean' in $DAGZ_TOP first" >&2
		return 1
	fi
	mkdir -p "$builddir"
	builddir=$(cd "$builddir" && pwd)

	inputs=("$DAGZ_TOP/configure.ac" "$DAGZ_TOP/Makefile.am"
	    "$DAGZ_TOP"/*/local.mk "$DAGZ_TOP"/cmd/*/local.mk)
	if dagz_stale "$DAGZ_TOP/configure" "${inputs[@]}" ||
	    dagz_stale "$DAGZ_TOP/Makefile.in" "${inputs[@]}"; then
		dagz_say "autoreconf -fi"
		(cd "$DAGZ_TOP" && autoreconf -fi) || return
	fi

	# Configure again when the arguments differ from the last time.
	args_file=$builddir/.dagz-configure-args
	if dagz_stale "$builddir/config.status" "$DAGZ_TOP/configure" ||
	    [ "$(cat "$args_file" 2>/dev/null)" != "$args" ]; then
		dagz_say "configure $args (in $builddir)"
		rm -f "$args_file"
		(cd "$builddir" && "$DAGZ_TOP/configure" "$@") || return
		printf '%s\n' "$args" >"$args_file"
	fi
}

# Builds dagz in the directory $1, configured with the arguments after it.
dagz_build() {
	dagz_configure "$@" || return
	dagz_say "make -j$(nproc) (in $1)"
	make -C "$1" -j"$(nproc)"
}

# The libFuzzer targets of fuzz/, by name.
DAGZ_FUZZ_TARGETS=(manifest proto baseline baseline-raw config tap junit request)

# True when clang can build a libFuzzer target (Debian: clang and
# libclang-rt-14-dev); otherwise says why on stderr.
dagz_fuzz_available() {
	local out

	if ! command -v clang >/dev/null 2>&1; then
		echo "clang not found" >&2
		return 1
	fi
	out=$(mktemp) || return 1
	if ! printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
	    '{ return (d == NULL && n > 0); }' |
	    clang -x c -fsanitize=fuzzer,address,undefined -o "$out" - \
	    >/dev/null 2>&1; then
		rm -f "$out"
		echo "clang cannot link -fsanitize=fuzzer" \
		    "(install libclang-rt-14-dev)" >&2
		return 1
	fi
	rm -f "$out"
}

# Builds the fuzz targets alone in the build tree $1 (clang, libFuzzer,
# ASan and UBSan).
dagz_fuzz_build() {
	dagz_configure "$1" CC=clang --enable-fuzz || return
	dagz_say "make fuzz-targets (in $1)"
	make -C "$1" -j"$(nproc)" fuzz-targets
}

# Runs fuzz target $2 of build tree $1 for $3 seconds (with $4, the
# random seed $4, so that a smoke run tries the same inputs each time
# where it gets as far): it first replays the
# committed corpus fuzz/corpus/$2, then adds what it finds to the tree's
# own corpus $1/fuzz/corpus/$2 (the committed one is never written). An
# input that crashes is kept as $1/fuzz/crash-$2-*; the output goes to
# $1/fuzz/$2.log. Fails when the target found a crash, a leak or a hang.
dagz_fuzz_run() {
	local builddir=$1 name=$2 seconds=$3 seed=${4:-0}

	mkdir -p "$builddir/fuzz/corpus/$name"
	"$builddir/fuzz/fuzz-$name" -max_total_time="$seconds" -timeout=10 \
	    -seed="$seed" \
	    -artifact_prefix="$builddir/fuzz/crash-$name-" \
	    "$builddir/fuzz/corpus/$name" "$DAGZ_TOP/fuzz/corpus/$name" \
	    >"$builddir/fuzz/$name.log" 2>&1
}
