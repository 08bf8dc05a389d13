/* qoltanba audit: prove the store's audit log was not edited, reordered or truncated. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <qtb/error.h>
#include <qtb/store.h>

#include "cli.h"

#define CMD "audit"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: qoltanba audit verify [--db FILE] [--json]\n\n"
            "Recompute the hash chain of the store's append-only audit log and compare its\n"
            "length and head with the anchor row. Detects edited, deleted, inserted, reordered\n"
            "and truncated entries. It cannot detect a complete rewrite of the log and the\n"
            "anchor by someone with write access: keep the printed head hash elsewhere and\n"
            "compare it later.\n\n"
            "  --db FILE  the store (default: $QTB_DB)\n"
            "  --json     print the result as JSON\n\n"
            "Exit codes: 0 intact, 1 tampered, 2 usage, I/O or store error.\n");
}

int cmd_audit(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return CLI_OK;
    }
    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        usage(stderr);
        return cli_error(CMD, "expected 'verify'");
    }
    const char *db = getenv("QTB_DB");
    bool json = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc - 1, argv + 1, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'J':
            json = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return cli_error(CMD, "unknown or incomplete option '%s'", argv[optind]);
        }
    }
    if (optind != argc - 1) {
        return cli_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
    }
    if (db == NULL || db[0] == '\0') {
        return cli_error(CMD, "--db FILE is required (or set QTB_DB)");
    }
    qtb_store *s = NULL;
    if (access(db, F_OK) != 0) {
        return cli_error(CMD, "%s: no such store (batch creates one)", db);
    }
    if (qtb_store_open(&s, db) != 0) {
        return cli_lib_error(CMD, db);
    }
    qtb_audit_status st;
    int r = qtb_store_audit_verify(&st, s);
    qtb_store_close(s);
    if (r != 0 && r != QTB_EINTEGRITY) {
        return cli_lib_error(CMD, "audit verify");
    }
    if (json) {
        json_t *o = json_pack("{s:b, s:I, s:s, s:I, s:s}", "intact", r == 0, "entries",
                              (json_int_t)st.entries, "head_hash", st.head_hash, "first_bad_seq",
                              (json_int_t)st.first_bad_seq, "problem", st.problem);
        char *text = o != NULL ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        if (text != NULL) {
            printf("%s\n", text);
        }
        free(text);
        json_decref(o);
    } else if (r == 0) {
        printf("audit log intact: %lld entries, head %s\n", (long long)st.entries, st.head_hash);
    } else {
        printf("audit log TAMPERED: %s\n", st.problem);
    }
    return r == 0 ? CLI_OK : CLI_FAILED;
}
