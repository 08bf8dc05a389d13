#!/usr/bin/env bash
# The review page in a real browser: headless Chromium (Debian) driven by playwright-core (npm,
# pinned in tests/browser/package-lock.json, installed with `npm ci` into the build tree). The
# store is seeded by `qoltanba batch` over generated signed submissions; the server runs on an
# ephemeral 127.0.0.1 port and is always stopped. Without chromium or npm: SKIP (FAIL under CI).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.bash"

CHROMIUM=${QTB_CHROMIUM:-/usr/bin/chromium}
missing=""
[ -x "$CHROMIUM" ] || missing="$missing chromium"
command -v node >/dev/null || missing="$missing node"
command -v npm >/dev/null || missing="$missing npm"
if [ -n "$missing" ]; then
    if [ "${CI:-}" = "true" ]; then fail "missing under CI:$missing (see .ci/deps)"; else skip "not installed:$missing"; fi
    finish
fi
if "$QTB" serve --listen probe --db "$TMP/probe.db" 2>&1 </dev/null | grep -q "no HTTP server"; then
    if [ "${CI:-}" = "true" ]; then fail "built without libmicrohttpd under CI"; else skip "built without libmicrohttpd"; fi
    finish
fi

# playwright-core, exactly as locked, in the build tree (not the source tree).
NODE_DIR=${QTB_BUILD_DIR:-$TMP}/browser-node
mkdir -p "$NODE_DIR"
SRC=$QTB_SOURCE_DIR/tests/browser
if ! cmp -s "$SRC/package-lock.json" "$NODE_DIR/package-lock.json" || [ ! -d "$NODE_DIR/node_modules/playwright-core" ]; then
    cp "$SRC/package.json" "$SRC/package-lock.json" "$NODE_DIR/"
    if ! (cd "$NODE_DIR" && npm ci --ignore-scripts --no-audit --no-fund >"$TMP/npm.log" 2>&1); then
        rm -f "$NODE_DIR/package-lock.json"
        if [ "${CI:-}" = "true" ]; then fail "npm ci: $(tail -n 3 "$TMP/npm.log")"; else skip "npm ci failed (offline?): $(tail -n 1 "$TMP/npm.log")"; fi
        finish
    fi
fi
ok "playwright-core installed (npm ci)"

PKI=$QTB_FIXTURES/pki
INBOX=$TMP/inbox
make_submission "$INBOX/person-ok" np-kurmangaliyeva-pki-kk.xml rsa_individual_sign
make_submission "$INBOX/ceo-ok" le-koltanba-test-pki-ru.xml rsa_ceo_sign
make_submission "$INBOX/wrong-person" np-kurmangaliyeva-pki-kk.xml rsa_ceo_sign
rm -f "$INBOX"/*.pdf
DB=$TMP/review.db
expect_rc "seed the store with batch" 0 "$QTB" batch --db "$DB" --trust "$PKI/trust/all" "$INBOX"
TOKEN=reviewer-0123456789abcdef
printf 'aigerim %s\n' "$TOKEN" >"$TMP/tokens"
serve_start "$TMP/serve.log" --db "$DB" --trust "$PKI/trust/all" --token-file "$TMP/tokens" --threads 2 || {
    fail "server start"
    finish
}
got=0
QTB_URL=$BASE QTB_TOKEN=$TOKEN QTB_RETURN_KEY=person-ok QTB_RETURN_IIN=$(sed -n 's|.*<iin>\([0-9]*\)</iin>.*|\1|p' "$INBOX/person-ok/applicant.xml" | head -n1) \
    QTB_APPROVE_KEY=ceo-ok QTB_CHROMIUM=$CHROMIUM NODE_PATH=$NODE_DIR/node_modules \
    timeout 120 node "$SRC/review.cjs" >"$TMP/node.out" 2>&1 || got=$?
cat "$TMP/node.out"
[ "$got" = 0 ] && ok "browser test" || fail "browser test exit $got"
serve_stop
sq() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall())' "$DB" "$1"; }
[ "$(sq "SELECT submission_key, status FROM submissions WHERE submission_key IN ('person-ok','ceo-ok') ORDER BY submission_key")" = \
  "[('ceo-ok', 'APPROVED'), ('person-ok', 'RETURNED')]" ] && ok "store: the page's decisions" || fail "store: $(sq "SELECT submission_key, status FROM submissions")"
[ "$(sq "SELECT reviewer, remark FROM reviews WHERE to_status = 'RETURNED'")" = "[('aigerim', 'Приложите скан паспорта')]" ] &&
    ok "store: remark and reviewer" || fail "store reviews: $(sq "SELECT * FROM reviews")"
finish
