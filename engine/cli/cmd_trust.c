/*
 * qoltanba trust: load trust folders exactly as `--trust DIR` does and say what they hold, so an
 * operator sees a stale or broken CRL before the verifiers answer TRY_LATER.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <qtb/error.h>
#include <qtb/report.h>
#include <qtb/trust.h>

#include "cli.h"

static const char usage[] =
    "usage: qoltanba trust [--json] [--at TIME] DIR...\n"
    "\n"
    "Load the trust folders (certificates *.pem *.crt *.cer *.der become anchors, *.crl are\n"
    "revocation lists) and list their anchors and CRLs, with each CRL's signature and whether\n"
    "its nextUpdate has passed at TIME (RFC 3339, default now).\n"
    "\n"
    "Exit status: 0 every CRL verifies and is current; 1 a CRL is expired, has a bad\n"
    "signature, no issuer in the folders, or cannot be used; 2 a folder cannot be loaded.\n";

static const char *str(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v != NULL ? v : "-";
}

static void print_certs(const json_t *arr, const char *title)
{
    printf("%s: %zu\n", title, json_array_size(arr));
    size_t i = 0;
    const json_t *c = NULL;
    json_array_foreach(arr, i, c)
    {
        printf("  %s%s\n    valid %s .. %s, sha256 %s\n", str(c, "subject"),
               json_is_true(json_object_get(c, "self_issued")) ? " (self-issued)" : "",
               str(c, "not_before"), str(c, "not_after"), str(c, "sha256"));
    }
}

/* Print the CRLs; returns how many have a problem. */
static int print_crls(const json_t *arr)
{
    int problems = 0;
    printf("crls: %zu\n", json_array_size(arr));
    size_t i = 0;
    const json_t *c = NULL;
    json_array_foreach(arr, i, c)
    {
        const char *sig = str(c, "signature");
        bool expired = json_is_true(json_object_get(c, "expired"));
        const char *unusable = json_string_value(json_object_get(c, "unusable"));
        printf("  %s\n    issuer %s\n    thisUpdate %s, nextUpdate %s, %lld entries%s\n"
               "    signature %s%s%s%s\n",
               str(c, "file"), str(c, "issuer"), str(c, "this_update"),
               json_is_null(json_object_get(c, "next_update")) ? "(none)" : str(c, "next_update"),
               (long long)json_integer_value(json_object_get(c, "entries")),
               json_is_true(json_object_get(c, "delta")) ? ", delta CRL" : "", sig,
               expired ? "; EXPIRED" : "", unusable != NULL ? "; not usable: " : "",
               unusable != NULL ? unusable : "");
        if (strcmp(sig, "valid") != 0 || expired || unusable != NULL) {
            problems++;
        }
    }
    return problems;
}

static int count_problems(const json_t *crls)
{
    int problems = 0;
    size_t i = 0;
    const json_t *c = NULL;
    json_array_foreach(crls, i, c)
    {
        if (strcmp(str(c, "signature"), "valid") != 0 ||
            json_is_true(json_object_get(c, "expired")) || json_object_get(c, "unusable") != NULL) {
            problems++;
        }
    }
    return problems;
}

int cmd_trust(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    bool as_json = false;
    time_t at = time(NULL);
    int ndirs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            as_json = true;
        } else if (strcmp(argv[i], "--at") == 0 && i + 1 < argc) {
            int64_t at64 = 0;
            if (qtb_time_parse(&at64, argv[++i]) != 0) {
                return cli_error("trust", "--at wants a UTC time like 2026-11-22T10:00:00Z");
            }
            at = (time_t)at64;
        } else if (argv[i][0] == '-') {
            return cli_error("trust", "unknown option %s (see --help)", argv[i]);
        } else {
            ndirs++;
        }
    }
    if (ndirs == 0) {
        return cli_error("trust", "no trust folder given (see --help)");
    }

    qtb_trust *t = NULL;
    if (qtb_trust_new(&t) != 0) {
        return cli_lib_error("trust", "cannot create a trust set");
    }
    int rc = CLI_OK;
    char *doc = NULL;
    json_t *root = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--at") == 0) {
            i++;
            continue;
        }
        if (argv[i][0] == '-') {
            continue;
        }
        if (qtb_trust_add_dir(t, argv[i]) != 0) {
            rc = cli_lib_error("trust", "cannot load the trust folder");
            goto done;
        }
    }
    if (qtb_trust_describe_json(&doc, t, (int64_t)at) != 0) {
        rc = cli_lib_error("trust", "cannot describe the trust set");
        goto done;
    }
    root = json_loads(doc, 0, NULL);
    if (root == NULL) {
        rc = cli_error("trust", "internal error: unreadable description");
        goto done;
    }
    int problems = 0;
    if (as_json) {
        puts(doc);
        problems = count_problems(json_object_get(root, "crls"));
    } else {
        print_certs(json_object_get(root, "anchors"), "anchors");
        print_certs(json_object_get(root, "untrusted"), "untrusted");
        problems = print_crls(json_object_get(root, "crls"));
        printf("problems: %d\n", problems);
    }
    rc = problems > 0 ? CLI_FAILED : CLI_OK;
done:
    json_decref(root);
    qtb_string_free(doc);
    qtb_trust_free(t);
    return rc;
}
