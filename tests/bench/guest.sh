#!/usr/bin/env bash
# The real-guest part of `make bench` (tests/bench/run.sh runs it through
# tests/with-kvm; docs/performance.md). Same knobs as run.sh.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
REPEAT=${BENCH_REPEAT:-3}
if [ -n "${WITH_KVM_NESTED:-}" ]; then
	# In the nested VM: its tmpfs, not the host's disk over 9p; and a smaller
	# fill, as every guest store is emulated there.
	DIR=${BENCH_DIR:-/tmp/bench-tmp}
	FILL=${BENCH_GUEST_FILL:-1000M}
	export BENCH_SNAP_MEM_MIB=${BENCH_SNAP_MEM_MIB:-1024}
	echo
	echo "(in tests/with-kvm's nested KVM under QEMU emulation: read the ratio to dd, not the MB/s)"
else
	DIR=${BENCH_DIR:-$ROOT/build/bench-tmp}
	FILL=${BENCH_GUEST_FILL:-3000M}
fi
# A real guest (dumps): the test guest fills BENCH_GUEST_FILL (default 3000M) of a
# 3 GiB VM with a pattern at CPL3, publishes its VMCOREINFO note and panics;
# microvm dumps it. The baseline is dd writing the same number of bytes to
# the same filesystem (O_DIRECT and through the page cache, both fsync'd).
GUEST=build/guest-images/testguest.elf
[ -x build/microvm ] && [ -f "$GUEST" ] || { echo "bench: build/microvm and $GUEST first (make)" >&2; exit 1; }
echo
mkdir -p "$DIR"
echo "real guest: --mem 3G, test=vmcoreinfo fill=$FILL, best of $REPEAT"
echo
echo "| what | MiB written | seconds | MB/s |"
echo "|------|-------------|---------|------|"
best_t= best_mib=
for _ in $(seq "$REPEAT"); do
	rm -f "$DIR"/microvm-core-*
	out=$(build/microvm run --mem 3G --vmcoreinfo --debug-exit --dump-dir "$DIR" \
		--cmdline "test=vmcoreinfo fill=$FILL" "$GUEST" </dev/null 2>&1 || true)
	line=$(echo "$out" | grep '^microvm: dump: wrote' | tail -1)
	[ -n "$line" ] || { echo "$out" | tail -5; echo "bench: no dump written" >&2; exit 1; }
	mib=$(echo "$line" | sed -n 's/.* MiB of RAM, \([0-9]*\) MiB of data, .*/\1/p')
	t=$(echo "$line" | sed -n 's/.* MiB of data, \([0-9.]*\) s.*/\1/p')
	if [ -z "$best_t" ] || awk "BEGIN{exit !($t < $best_t)}"; then best_t=$t best_mib=$mib; fi
done
rm -f "$DIR"/microvm-core-*
awk -v m="$best_mib" -v t="$best_t" 'BEGIN{printf "| microvm dump (io_uring, O_DIRECT, sparse) | %d | %.2f | %.0f |\n", m, t, m*1.048576/t}'
for mode in direct buffered; do
	flag=oflag=direct
	[ $mode = buffered ] && flag=
	best=
	for _ in $(seq "$REPEAT"); do
		s=$(date +%s.%N)
		dd if=/dev/zero of="$DIR/dd.bin" bs=4M count=$((best_mib / 4)) $flag conv=fsync status=none
		e=$(date +%s.%N)
		rm -f "$DIR/dd.bin"
		t=$(awk -v s="$s" -v e="$e" 'BEGIN{printf "%.2f", e - s}')
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
	done
	awk -v m="$((best_mib / 4 * 4))" -v t="$best" -v w="dd bs=4M $mode, conv=fsync" \
		'BEGIN{printf "| %s | %d | %.2f | %.0f |\n", w, m, t, m*1.048576/t}'
done
rmdir "$DIR" 2>/dev/null || true

# Snapshots of real guests: restore latency at 256 MiB and 4 GiB, and
# snapshot-save of a 4 GiB guest with 10 % and 100 % data against dd
# (tests/bench/snapshot_bench.py).
mkdir -p "$DIR"
python3 tests/bench/snapshot_bench.py build/microvm "$GUEST" "$DIR" "$REPEAT"
rm -rf "$DIR"
