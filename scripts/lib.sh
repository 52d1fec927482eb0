# shellcheck shell=bash
# scripts/lib.sh: what scripts/demo and scripts/check share: installing the
# Debian packages dagz needs and building it out of tree. Sourced by bash
# scripts; defines functions and DAGZ_TOP, and changes nothing else.

DAGZ_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# What building and testing dagz takes on Debian and Ubuntu.
DAGZ_DEPS=(build-essential autoconf automake pkg-config libbsd-dev
	libjansson-dev libevent-dev libsqlite3-dev zlib1g-dev libarchive-dev
	libyaml-dev libexpat1-dev libmicrohttpd-dev jq bats libxml2-utils procps curl sqlite3
	cmake python3-pytest perl)

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

# Builds dagz in the directory $1 (made if need be), configured with the
# arguments after it. Each step runs only when its inputs changed, so that
# a rebuild after a small edit is quick.
dagz_build() {
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

	dagz_say "make -j$(nproc) (in $builddir)"
	make -C "$builddir" -j"$(nproc)"
}
