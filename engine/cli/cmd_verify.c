/*
 * qoltanba verify: check a CMS or XMLDSig signature and print its validation report.
 * The kind is detected from the content; the exit code follows the overall indication.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include <qtb/error.h>
#include <qtb/limits.h>
#include <qtb/report.h>
#include <qtb/revocation.h>
#include <qtb/trust.h>
#include <qtb/verify.h>

#include "cli.h"

#define CMD "verify"
#define MAX_TRUST_DIRS 16
/* Used when no --trust is given and QTB_TRUST_DIR is not set, if it exists. */
#define DEFAULT_TRUST_DIR "/etc/qoltanba/trust"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: qoltanba verify [--content FILE] [--trust DIR]... [--untrusted FILE]...\n"
            "                       [--at TIME] [--no-chain] [--allow-weak-crypto] [--json]\n"
            "                       [--revocation ocsp,crl] [--ocsp-url URL]\n"
            "                       [--net-timeout MS] [--crl-url URL] [--crl-cache DIR]\n"
            "                       [--crl-mirror URL] [--crl-ttl SECONDS] [--ocsp-response FILE]\n"
            "                       [--offline] SIGNATURE\n\n"
            "Verify a CMS/PKCS#7 (DER, PEM or bare base64, as NCALayer returns it) or XMLDSig\n"
            "signature. Every signature in it gets an ETSI EN 319 102-1 indication.\n\n"
            "  --content FILE   the signed content of a detached CMS (streamed)\n"
            "  --trust DIR      trust anchors (every certificate in DIR) and CRLs (*.crl,\n"
            "                   full and delta);\n"
            "                   repeatable. Default: $QTB_TRUST_DIR, else " DEFAULT_TRUST_DIR "\n"
            "                   when it exists\n"
            "  --untrusted FILE certificates that may complete a path or identify a signer\n"
            "                   but are not trusted (repeatable)\n"
            "  --at TIME        validate as of TIME (RFC 3339, e.g. 2021-07-11T00:00:00Z)\n"
            "  --no-chain       check signature values only, not certificate paths (never\n"
            "                   TOTAL_PASSED; diagnostics)\n"
            "  --allow-weak-crypto  also accept RSA/DSA keys under 1024 bits and MD5\n"
            "                   signatures (off by default; for old archives and test corpora)\n"
            "  --revocation LIST revocation sources in the order asked: ocsp (the responder\n"
            "                   in each certificate's AIA), crl (the CRLs of the --trust\n"
            "                   folders, then those of the certificate's distribution\n"
            "                   points). Without it, only the --trust CRLs are used\n"
            "  --ocsp-url URL   ask this OCSP responder for every certificate (sources: ocsp\n"
            "                   then crl unless --revocation says otherwise)\n"
            "  --net-timeout MS give up on an OCSP responder or CRL server after MS ms (5000)\n"
            "  --crl-url URL    download CRLs from URL instead of the distribution points\n"
            "  --crl-mirror URL fetch every distribution point (full and delta CRLs) by its\n"
            "                   file name under URL (a local mirror of crl.pki.gov.kz)\n"
            "  --crl-cache DIR  keep downloaded CRLs in DIR (revalidated with conditional\n"
            "                   requests; the last good copy is kept when a download is bad)\n"
            "  --crl-ttl S      revalidate a downloaded CRL after S seconds (3600; 0: always)\n"
            "  --ocsp-response FILE  an OCSP response recorded earlier (DER; repeatable), used\n"
            "                   before asking any responder: with --offline and --at, replays a\n"
            "                   validation from a report's revocationEvidence\n"
            "  --offline        never use the network (OCSP is skipped and said so; --trust\n"
            "                   CRLs and --crl-cache copies are used)\n"
            "  --json           print the report as JSON\n\n"
            "Exit codes: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 3 INDETERMINATE, 2 usage or I/O "
            "error.\n");
}

static int exit_code(qtb_indication ind)
{
    switch (ind) {
    case QTB_TOTAL_PASSED:
        return CLI_OK;
    case QTB_TOTAL_FAILED:
        return CLI_FAILED;
    case QTB_INDETERMINATE:
    default:
        return CLI_INDETERMINATE;
    }
}

static void print_text(const qtb_report *r, const char *json)
{
    const char *sub = qtb_subindication_name(qtb_report_subindication(r));
    printf("%s: %s%s%s\n", qtb_report_format(r), qtb_indication_name(qtb_report_indication(r)),
           sub ? "/" : "", sub ? sub : "");
    json_t *doc = json_loads(json, 0, NULL);
    json_t *doc_msg = json_object_get(doc, "message");
    if (json_is_string(doc_msg)) {
        printf("  %s\n", json_string_value(doc_msg));
    }
    json_t *sigs = json_object_get(doc, "signatures");
    for (size_t i = 0; i < qtb_report_signature_count(r); i++) {
        const char *s = qtb_subindication_name(qtb_report_signature_subindication(r, i));
        printf("signature %zu: %s%s%s: %s\n", i + 1,
               qtb_indication_name(qtb_report_signature_indication(r, i)), s ? "/" : "", s ? s : "",
               qtb_report_signature_message(r, i));
        json_t *sig = json_array_get(sigs, i);
        json_t *subject = json_object_get(json_object_get(sig, "signer"), "subject");
        if (json_is_string(subject)) {
            printf("  signer: %s\n", json_string_value(subject));
        }
        json_t *bst = json_object_get(sig, "bestSignatureTime");
        if (json_is_string(bst)) {
            printf("  best signature time: %s\n", json_string_value(bst));
        }
    }
    json_decref(doc);
}

static int load_trust(qtb_trust **out, qtb_trust **signer_certs, char **dirs, int ndirs,
                      char **untrusted, int nuntrusted)
{
    if (qtb_trust_new(out) != 0 || qtb_trust_new(signer_certs) != 0) {
        return cli_lib_error(CMD, "trust set");
    }
    const char *def = NULL;
    if (ndirs == 0) {
        struct stat st;
        def = getenv("QTB_TRUST_DIR");
        if (def == NULL && stat(DEFAULT_TRUST_DIR, &st) == 0 && S_ISDIR(st.st_mode)) {
            def = DEFAULT_TRUST_DIR;
        }
    }
    for (int i = 0; i < ndirs; i++) {
        if (qtb_trust_add_dir(*out, dirs[i]) != 0) {
            return cli_lib_error(CMD, dirs[i]);
        }
    }
    if (def != NULL && qtb_trust_add_dir(*out, def) != 0) {
        return cli_lib_error(CMD, def);
    }
    /* --untrusted certificates help build paths, and they (not anchors) may name a signer
     * whose certificate the CMS leaves out. */
    for (int i = 0; i < nuntrusted; i++) {
        if (qtb_trust_add_untrusted_file(*out, untrusted[i]) != 0 ||
            qtb_trust_add_untrusted_file(*signer_certs, untrusted[i]) != 0) {
            return cli_lib_error(CMD, untrusted[i]);
        }
    }
    return 0;
}

int cmd_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"content", required_argument, NULL, 'c'},
        {"trust", required_argument, NULL, 't'},
        {"at", required_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'j'},
        {"no-chain", no_argument, NULL, 'n'},
        {"allow-weak-crypto", no_argument, NULL, 'W'},
        {"help", no_argument, NULL, 'h'},
        {"untrusted", required_argument, NULL, 'u'},
        {"revocation", required_argument, NULL, 'r'},
        {"ocsp-url", required_argument, NULL, 'o'},
        {"offline", no_argument, NULL, 'f'},
        {"net-timeout", required_argument, NULL, 'T'},
        {"crl-url", required_argument, NULL, 'U'},
        {"crl-mirror", required_argument, NULL, 'M'},
        {"ocsp-response", required_argument, NULL, 'R'},
        {"crl-cache", required_argument, NULL, 'C'},
        {"crl-ttl", required_argument, NULL, 'L'},
        {NULL, 0, NULL, 0},
    };
    qtb_verify_options opts = QTB_VERIFY_OPTIONS_INIT;
    char *trust_dirs[MAX_TRUST_DIRS];
    int ntrust = 0;
    char *untrusted[MAX_TRUST_DIRS];
    int nuntrusted = 0;
    bool json = false;
    qtb_revocation_options ropts = QTB_REVOCATION_OPTIONS_INIT;
    bool want_rev = false;
    char *recorded[MAX_TRUST_DIRS];
    int nrecorded = 0;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            opts.content_path = optarg;
            break;
        case 't':
            if (ntrust == MAX_TRUST_DIRS) {
                return cli_error(CMD, "at most %d --trust folders", MAX_TRUST_DIRS);
            }
            trust_dirs[ntrust++] = optarg;
            break;
        case 'u':
            if (nuntrusted == MAX_TRUST_DIRS) {
                return cli_error(CMD, "at most %d --untrusted files", MAX_TRUST_DIRS);
            }
            untrusted[nuntrusted++] = optarg;
            break;
        case 'a':
            if (qtb_time_parse(&opts.at, optarg) != 0) {
                return cli_error(CMD,
                                 "--at wants an RFC 3339 time such as 2021-07-11T00:00:00Z, "
                                 "not '%s'",
                                 optarg);
            }
            break;
        case 'j':
            json = true;
            break;
        case 'W':
            opts.flags |= QTB_VERIFY_ALLOW_WEAK_CRYPTO;
            break;
        case 'n':
            opts.flags |= QTB_VERIFY_NO_CHAIN;
            break;
        case 'r':
            if (qtb_revocation_parse_sources(ropts.sources, optarg) != 0) {
                return cli_error(CMD, "--revocation: %s", qtb_error_last()->message);
            }
            want_rev = true;
            break;
        case 'o':
            ropts.ocsp_url = optarg;
            want_rev = true;
            break;
        case 'T': {
            long long ms = 0;
            if (cli_parse_int(&ms, optarg, 1, 600000) != 0) {
                return cli_error(CMD, "--net-timeout wants milliseconds (1..600000), not '%s'",
                                 optarg);
            }
            ropts.timeout_ms = (long)ms;
            want_rev = true;
            break;
        }
        case 'U':
            ropts.crl_url = optarg;
            want_rev = true;
            break;
        case 'R':
            if (nrecorded == MAX_TRUST_DIRS) {
                return cli_error(CMD, "at most %d --ocsp-response files", MAX_TRUST_DIRS);
            }
            recorded[nrecorded++] = optarg;
            want_rev = true;
            break;
        case 'M':
            ropts.crl_mirror = optarg;
            want_rev = true;
            break;
        case 'C':
            ropts.crl_cache_dir = optarg;
            want_rev = true;
            break;
        case 'L': {
            long long sec = 0;
            if (cli_parse_int(&sec, optarg, 0, 30LL * 86400) != 0) {
                return cli_error(CMD, "--crl-ttl wants seconds (0..2592000), not '%s'", optarg);
            }
            ropts.crl_ttl_s = sec == 0 ? -1 : (long)sec;
            want_rev = true;
            break;
        }
        case 'f':
            ropts.flags |= QTB_REV_OFFLINE;
            want_rev = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return cli_error(CMD, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return cli_error(CMD, "give exactly one SIGNATURE file");
    }
    const char *path = argv[optind];
    int rc = CLI_ERROR;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    qtb_trust *trust = NULL;
    qtb_revocation *rev = NULL;
    qtb_trust *signer_certs = NULL;
    qtb_report *rep = NULL;
    char *doc = NULL;
    if (cli_read_file(CMD, &sig, &sig_len, path, QTB_MAX_SIGNATURE_FILE) != 0) {
        goto done;
    }
    if (opts.content_path != NULL) {
        struct stat st;
        if (stat(opts.content_path, &st) != 0 || !S_ISREG(st.st_mode)) {
            rc = cli_error(CMD, "cannot read content file %s", opts.content_path);
            goto done;
        }
    }
    if (load_trust(&trust, &signer_certs, trust_dirs, ntrust, untrusted, nuntrusted) != 0) {
        goto done;
    }
    if (want_rev) {
        if (qtb_revocation_new(&rev, &ropts) != 0) {
            rc = cli_lib_error(CMD, "revocation");
            goto done;
        }
        for (int i = 0; i < nrecorded; i++) {
            unsigned char *der = NULL;
            size_t der_len = 0;
            if (cli_read_file(CMD, &der, &der_len, recorded[i], QTB_MAX_OCSP_RESPONSE) != 0) {
                goto done;
            }
            int arc = qtb_revocation_add_ocsp_response(rev, der, der_len);
            free(der);
            if (arc != 0) {
                rc = cli_lib_error(CMD, recorded[i]);
                goto done;
            }
        }
        qtb_trust_set_revocation(trust, rev);
    }
    opts.trust = trust;
    opts.signer_certs = signer_certs;
    int vrc = 0;
    switch (qtb_detect_signature_kind(sig, sig_len)) {
    case QTB_SIG_XML:
        vrc = qtb_xml_verify(&rep, sig, sig_len, &opts);
        break;
    case QTB_SIG_CMS:
    case QTB_SIG_UNKNOWN:
    default:
        vrc = qtb_cms_verify(&rep, sig, sig_len, &opts);
        break;
    }
    if (vrc != 0) {
        rc = cli_lib_error(CMD, path);
        goto done;
    }
    if (qtb_report_to_json(&doc, rep) != 0) {
        rc = cli_lib_error(CMD, "report");
        goto done;
    }
    if (json) {
        printf("%s\n", doc);
    } else {
        print_text(rep, doc);
    }
    rc = exit_code(qtb_report_indication(rep));
done:
    qtb_string_free(doc);
    qtb_report_free(rep);
    qtb_trust_free(signer_certs);
    qtb_trust_free(trust);
    qtb_revocation_free(rev);
    free(sig);
    return rc;
}
