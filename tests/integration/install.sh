# make install honours PREFIX and DESTDIR and installs the binary and the man page.

test_make_install_destdir() {
	make -s -C "$ROOT" install PREFIX=/usr/local DESTDIR="$TMP/root" >"$TMP/out" 2>&1 ||
		{ cat "$TMP/out"; fail "make install failed"; }
	[ -x "$TMP/root/usr/local/bin/microvm" ] || fail "binary not installed"
	[ -f "$TMP/root/usr/local/share/man/man1/microvm.1" ] || fail "man page not installed"
	"$TMP/root/usr/local/bin/microvm" --version | grep -q '^microvm ' || fail "installed binary does not run"
	man -l "$TMP/root/usr/local/share/man/man1/microvm.1" 2>/dev/null | grep -q 'on-panic' ||
		grep -q 'on\\-panic' "$TMP/root/usr/local/share/man/man1/microvm.1" || fail "man page lacks --on-panic"
}
