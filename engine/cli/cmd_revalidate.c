/* qoltanba revalidate: verify every stored signature again and report what changed. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>
#include <time.h>

#include <qtb/error.h>
#include <qtb/revalidate.h>
#include <qtb/store.h>

#include <qtb/report.h>
#include <qtb/trust.h>

#include "cli.h"
#include "cli_trust.h"

#define CMD "revalidate"
#define MAX_TRUST_DIRS 16

static void usage(FILE *out)
{
    fprintf(out,
            "usage: qoltanba revalidate --db FILE [--trust DIR]... [--at TIME] [--report FILE]\n"
            "                           [--json]\n\n"
            "Verify every signature recorded at intake again, from the stored bytes and the\n"
            "current trust folders and CRLs, record the new results beside the old ones and\n"
            "report what changed (e.g. a certificate revoked since).\n\n"
            "  --db FILE      the store (default: $QTB_DB)\n"
            "  --trust DIR    trust anchors and CRLs (repeatable)\n"
            "  --at TIME      validate as of TIME (RFC 3339 UTC, e.g. 2026-01-31T00:00:00Z)\n"
            "  --report FILE  write the changes; the format follows the extension:\n"
            "                 .csv, .json or .pdf\n"
            "  --json         print the report as JSON\n\n"
            "Exit codes: 0 the run completed (changes are results), 2 usage, I/O or store\n"
            "error.\n");
}

int cmd_revalidate(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"trust", required_argument, NULL, 't'},
        {"at", required_argument, NULL, 'a'},
        {"report", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = getenv("QTB_DB");
    const char *report = NULL;
    char *trust_dirs[MAX_TRUST_DIRS];
    int ntrust = 0;
    bool json = false;
    qtb_revalidate_options opts = QTB_REVALIDATE_OPTIONS_INIT;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 't':
            if (ntrust == MAX_TRUST_DIRS) {
                return cli_error(CMD, "at most %d --trust folders", MAX_TRUST_DIRS);
            }
            trust_dirs[ntrust++] = optarg;
            break;
        case 'a':
            if (qtb_time_parse(&opts.at, optarg) != 0) {
                return cli_error(CMD, "--at: '%s' is not a time like 2026-01-31T00:00:00Z", optarg);
            }
            break;
        case 'r':
            report = optarg;
            break;
        case 'J':
            json = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return cli_error(CMD, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) {
        return cli_error(CMD, "unexpected argument '%s'", argv[optind]);
    }
    if (db == NULL || db[0] == '\0') {
        return cli_error(CMD, "--db FILE is required (or set QTB_DB)");
    }
    if (report != NULL) {
        /* Refuse a bad extension before doing the work. */
        size_t n = strlen(report);
        const char *ext = n >= 4 ? report + n - 4 : "";
        if (strcasecmp(ext, ".csv") != 0 && strcasecmp(ext, ".pdf") != 0 &&
            (n < 5 || strcasecmp(report + n - 5, ".json") != 0)) {
            return cli_error(CMD, "--report: use a .csv, .json or .pdf file name");
        }
    }
    char desc[1024] = "";
    for (int i = 0; i < ntrust; i++) {
        size_t used = strlen(desc);
        snprintf(desc + used, sizeof(desc) - used, "%s%s", i ? ";" : "", trust_dirs[i]);
    }
    opts.trust_description = ntrust > 0 ? desc : NULL;
    qtb_trust *trust = NULL;
    int rc = cli_load_trust(CMD, &trust, trust_dirs, ntrust);
    if (rc != 0) {
        return rc;
    }
    opts.trust = trust;
    qtb_store *s = NULL;
    if (access(db, F_OK) != 0) {
        cli_trust_release(trust);
        return cli_error(CMD, "%s: no such store (batch creates one)", db);
    }
    if (qtb_store_open(&s, db) != 0) {
        cli_trust_release(trust);
        return cli_lib_error(CMD, db);
    }
    /* Stored CRLs of intake join the current ones (never as anchors). */
    if (trust == NULL && qtb_trust_new(&trust) != 0) {
        qtb_store_close(s);
        return cli_lib_error(CMD, "trust set");
    }
    opts.trust = trust;
    size_t stored_crls = 0;
    if (qtb_store_add_evidence_crls(trust, &stored_crls, s) != 0) {
        qtb_store_close(s);
        cli_trust_release(trust);
        return cli_lib_error(CMD, "stored evidence");
    }
    qtb_revalidate_summary sum;
    char *out = NULL;
    if (qtb_store_revalidate(&sum, &out, s, &opts) != 0) {
        rc = cli_lib_error(CMD, "revalidation");
    } else if (report != NULL && qtb_revalidate_report_write(report, out) != 0) {
        rc = cli_lib_error(CMD, report);
    } else {
        if (json) {
            printf("%s\n", out);
        } else {
            printf("revalidation run %lld: %zu signature files checked, %zu changed, %zu "
                   "unchanged (with %zu CRLs from stored evidence)%s%s\n",
                   (long long)sum.run_id, sum.checked, sum.changed, sum.unchanged, stored_crls,
                   report ? "; report: " : "", report ? report : "");
        }
        rc = CLI_OK;
    }
    qtb_string_free(out);
    qtb_store_close(s);
    cli_trust_release(trust);
    return rc;
}
