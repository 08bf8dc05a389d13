# Helpers for the tests that drive `qoltanba serve` (sourced after lib.sh; not a test itself).
# serve_start LOG ARGS...: start the server on an ephemeral 127.0.0.1 port, wait until it
# listens (polling its log), set $SRV_PID and $BASE. serve_stop: SIGTERM, wait (always called
# from the EXIT trap too, so no test leaves a server behind).
SRV_PID=
BASE=
serve_start() {
    local log=$1
    shift
    "$QTB" serve --listen 127.0.0.1:0 "$@" 2>"$log" &
    SRV_PID=$!
    local i port=
    for i in $(seq 1 300); do
        port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$log")
        if [ -n "$port" ]; then
            BASE=http://127.0.0.1:$port
            return 0
        fi
        if ! kill -0 "$SRV_PID" 2>/dev/null; then
            echo "server exited: $(cat "$log")" >&2
            SRV_PID=
            return 1
        fi
        sleep 0.05
    done
    echo "server did not start: $(cat "$log")" >&2
    return 1
}
serve_stop() {
    if [ -n "$SRV_PID" ]; then
        kill -TERM "$SRV_PID" 2>/dev/null || true
        wait "$SRV_PID" 2>/dev/null || true
        SRV_PID=
    fi
}
trap 'serve_stop; rm -rf "$TMP"' EXIT

# make_submission DIR APPLICANT SIGNER: applicant.xml + questionnaire.pdf.cms signed (detached)
# by the test-PKI key SIGNER, plus an unsigned attachment (as tests/e2e/batch_verdicts.sh does).
make_submission() {
    local d=$1 app=$2 signer=$3 pki=$QTB_FIXTURES/pki
    mkdir -p "$d/attachments"
    cp "$QTB_SOURCE_DIR/fixtures/applicants/$app" "$d/applicant.xml"
    "$QTB" questionnaire --allow-findings --today "$(date -u +%Y-%m-%d)" --out "$d.pdf" \
        "$d/applicant.xml" >/dev/null
    openssl cms -sign -binary -md sha256 -in "$d.pdf" -signer "$pki/certs/$signer.pem" \
        -inkey "$pki/keys/$signer.key.pem" -outform DER -out "$d/questionnaire.pdf.cms"
    printf '%%PDF-1.4 registration certificate\n' >"$d/attachments/registration.pdf"
}

# submission_json KEY DIR: the POST /submissions body for a submission folder.
submission_json() {
    python3 - "$1" "$2" <<'PY'
import base64, json, os, sys
key, d = sys.argv[1], sys.argv[2]
files = {}
for root, _, names in os.walk(d):
    for n in names:
        p = os.path.join(root, n)
        files[os.path.relpath(p, d)] = base64.b64encode(open(p, 'rb').read()).decode()
print(json.dumps({"key": key, "files": files}))
PY
}
