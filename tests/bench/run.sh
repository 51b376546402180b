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

# The real guest needs a KVM: tests/with-kvm runs that part here or, where
# this host has none, in its nested VM (give it room for the guest and its
# dump, which goes to the VM's tmpfs unless BENCH_DIR says otherwise).
rmdir "$DIR" 2>/dev/null || true
tests/with-kvm --mem "${BENCH_VM_MEM:-12G}" tests/bench/guest.sh

# Stock Linux against QEMU's microvm machine, on a KVM that runs guest
# kernels natively (the nested VM on a PVM host): tests/bench/linux_bench.py.
make -s linux-image
echo
exec tests/with-kvm --full --mem "${BENCH_VM_MEM:-12G}" python3 tests/bench/linux_bench.py \
	build/guest-images/linux "${BENCH_LINUX_DIR:-/tmp/bench-linux}" "$REPEAT"
