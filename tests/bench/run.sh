#!/usr/bin/env bash
# Dump throughput benchmark (`make bench`; results and how to read them:
# docs/performance.md). Builds tests/bench/dump_bench against build/libmicrovm.a
# and dumps fake guests of BENCH_MEM_MIB (default 1024) with 0%, 10%, 50% and
# 100% of their pages holding data, through io_uring with O_DIRECT, io_uring
# through the page cache, and pwrite(2).
# The best of BENCH_REPEAT (default 3) runs counts; each run ends with fsync.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
MEM=${BENCH_MEM_MIB:-1024}
REPEAT=${BENCH_REPEAT:-3}
DIR=${BENCH_DIR:-$ROOT/build/bench-tmp}

make -s build/libmicrovm.a
mkdir -p build/bench "$DIR"
${CC:-cc} -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. -D_GNU_SOURCE \
	tests/bench/dump_bench.c build/libmicrovm.a \
	$(pkg-config --libs liburing 2>/dev/null || echo -luring) -lpthread \
	-o build/bench/dump_bench

fs=$(stat -f -c %T "$DIR")
echo "dump throughput: $MEM MiB guest, best of $REPEAT, into $DIR ($fs), $(nproc) CPUs"
echo
echo "| guest      | data | writer            | seconds | guest MB/s | written MB/s |"
echo "|------------|------|-------------------|---------|------------|--------------|"
for pct in 0 10 50 100; do
	build/bench/dump_bench "$DIR" "$MEM" "$pct" "$REPEAT"
done

# A real guest: the test guest fills BENCH_GUEST_FILL (default 3000M) of a
# 3 GiB VM with a pattern at CPL3, publishes its VMCOREINFO note and panics;
# microvm dumps it. The baseline is dd writing the same number of bytes to
# the same filesystem (O_DIRECT and through the page cache, both fsync'd).
FILL=${BENCH_GUEST_FILL:-3000M}
GUEST=build/guest-images/testguest.elf
if [ -e /dev/kvm ] && [ -x build/microvm ] && [ -f "$GUEST" ]; then
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
fi
rmdir "$DIR" 2>/dev/null || true
