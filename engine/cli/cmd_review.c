/* qoltanba review: list, show, approve and return recorded submissions. */
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <qtb/error.h>
#include <qtb/store.h>

#include "cli.h"

#define CMD "review"

static void usage(FILE *out)
{
    fprintf(out, "usage: qoltanba review list [--status S] [--all] [--json] [--db FILE]\n"
                 "       qoltanba review show ID [--json] [--db FILE]\n"
                 "       qoltanba review approve ID [--reviewer NAME] [--remark TEXT] [--db FILE]\n"
                 "       qoltanba review return ID --remark TEXT [--reviewer NAME] [--db FILE]\n\n"
                 "Compliance review of recorded submissions. Only a PENDING submission can be\n"
                 "approved or returned; a returned submission that comes back changed is recorded\n"
                 "as a new PENDING version, with the history of all versions kept.\n\n"
                 "  --db FILE        the store (default: $QTB_DB)\n"
                 "  --status S       PENDING APPROVED RETURNED SUPERSEDED REJECTED ERROR\n"
                 "  --all            list every version, not only the latest of each submission\n"
                 "  --reviewer NAME  who decides (default: the login name)\n"
                 "  --remark TEXT    the reason; required to return\n"
                 "  --json           print data as JSON\n\n"
                 "Exit codes: 0 success, 1 the decision is not allowed in the submission's state,\n"
                 "2 usage, unknown id, I/O or store error.\n");
}

typedef struct review_args {
    const char *db;
    const char *status;
    const char *reviewer;
    const char *remark;
    bool all;
    bool json;
    const char *id;
} review_args;

static int parse_args(review_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"status", required_argument, NULL, 's'},
        {"reviewer", required_argument, NULL, 'r'},
        {"remark", required_argument, NULL, 'm'},
        {"all", no_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->db = optarg;
            break;
        case 's':
            a->status = optarg;
            break;
        case 'r':
            a->reviewer = optarg;
            break;
        case 'm':
            a->remark = optarg;
            break;
        case 'a':
            a->all = true;
            break;
        case 'J':
            a->json = true;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return cli_error(CMD, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        a->id = argv[optind++];
    }
    if (optind < argc) {
        return cli_error(CMD, "unexpected argument '%s'", argv[optind]);
    }
    if (a->db == NULL || a->db[0] == '\0') {
        return cli_error(CMD, "--db FILE is required (or set QTB_DB)");
    }
    return 0;
}

static int parse_id(int64_t *out, const char *s)
{
    if (s == NULL) {
        return cli_error(CMD, "a submission ID is required");
    }
    long long v = 0;
    if (cli_parse_int(&v, s, 1, LLONG_MAX) != 0) {
        return cli_error(CMD, "'%s' is not a submission ID", s);
    }
    *out = (int64_t)v;
    return 0;
}

static const char *str(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v != NULL ? v : "-";
}

static void print_list(const char *json)
{
    json_t *arr = json_loads(json, 0, NULL);
    printf("%-6s %-24s %-3s %-10s %-8s %-6s %-12s %s\n", "ID", "KEY", "V", "STATUS", "OUTCOME",
           "KIND", "IIN/BIN", "REASON");
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o)
    {
        const char *idn = json_is_string(json_object_get(o, "applicant_bin"))
                              ? str(o, "applicant_bin")
                              : str(o, "applicant_iin");
        printf("%-6lld %-24s %-3lld %-10s %-8s %-6s %-12s %s\n",
               (long long)json_integer_value(json_object_get(o, "id")), str(o, "key"),
               (long long)json_integer_value(json_object_get(o, "version")), str(o, "status"),
               str(o, "outcome"), str(o, "applicant_kind"), idn,
               json_is_string(json_object_get(o, "reason")) ? str(o, "reason") : "");
    }
    json_decref(arr);
}

static void print_show(const char *json)
{
    json_t *o = json_loads(json, 0, NULL);
    printf("submission %lld: %s version %lld\n",
           (long long)json_integer_value(json_object_get(o, "id")), str(o, "key"),
           (long long)json_integer_value(json_object_get(o, "version")));
    printf("  status:    %s\n  outcome:   %s\n", str(o, "status"), str(o, "outcome"));
    if (json_is_string(json_object_get(o, "reason"))) {
        printf("  reason:    %s\n", str(o, "reason"));
    }
    printf("  applicant: %s IIN %s BIN %s application %s\n", str(o, "applicant_kind"),
           str(o, "applicant_iin"), str(o, "applicant_bin"), str(o, "application_id"));
    printf("  received:  %s\n", str(o, "received_at"));
    size_t i;
    json_t *e;
    printf("documents:\n");
    json_array_foreach(json_object_get(o, "documents"), i, e)
    {
        printf("  %-32s %-18s %10lld  sha256 %s\n", str(e, "name"), str(e, "kind"),
               (long long)json_integer_value(json_object_get(e, "size")), str(e, "sha256"));
    }
    printf("validations:\n");
    json_array_foreach(json_object_get(o, "validations"), i, e)
    {
        printf("  document %lld: %s %s %s%s%s\n",
               (long long)json_integer_value(json_object_get(e, "document_id")),
               str(e, "indication"),
               json_is_string(json_object_get(e, "subindication")) ? str(e, "subindication") : "",
               json_is_string(json_object_get(e, "message")) ? str(e, "message") : "",
               json_is_string(json_object_get(e, "error")) ? " error: " : "",
               json_is_string(json_object_get(e, "error")) ? str(e, "error") : "");
        size_t k;
        json_t *g;
        json_array_foreach(json_object_get(e, "signatures"), k, g)
        {
            printf("    signer %zu: %s IIN %s BIN %s %s\n", k + 1, str(g, "indication"),
                   str(g, "signer_iin"), str(g, "signer_bin"), str(g, "signer_name"));
        }
    }
    printf("findings:\n");
    json_array_foreach(json_object_get(o, "findings"), i, e)
    {
        printf("  %-7s %s: %s\n", str(e, "severity"), str(e, "code"), str(e, "message"));
    }
    printf("history:\n");
    json_array_foreach(json_object_get(o, "history"), i, e)
    {
        printf("  %s v%lld %s -> %s by %s%s%s\n", str(e, "at"),
               (long long)json_integer_value(json_object_get(e, "version")), str(e, "from"),
               str(e, "to"), str(e, "reviewer"),
               json_is_string(json_object_get(e, "remark")) ? ": " : "",
               json_is_string(json_object_get(e, "remark")) ? str(e, "remark") : "");
    }
    json_decref(o);
}

static const char *login_name(void)
{
    struct passwd *pw = getpwuid(getuid());
    if (pw != NULL && pw->pw_name != NULL && pw->pw_name[0] != '\0') {
        return pw->pw_name;
    }
    const char *user = getenv("USER");
    return user != NULL && user[0] != '\0' ? user : "unknown";
}

static int lib_exit(const char *what)
{
    int code = qtb_error_last()->code;
    cli_lib_error(CMD, what);
    return code == QTB_ESTATE ? CLI_FAILED : CLI_ERROR;
}

static int run(const char *sub, review_args *a)
{
    qtb_store *s = NULL;
    char *out = NULL;
    int64_t id = 0;
    int rc = CLI_OK;
    bool decide = strcmp(sub, "approve") == 0 || strcmp(sub, "return") == 0;
    if (strcmp(sub, "list") != 0 && parse_id(&id, a->id) != 0) {
        return CLI_ERROR;
    }
    if (strcmp(sub, "list") == 0 && a->id != NULL) {
        return cli_error(CMD, "list takes no ID");
    }
    if (strcmp(sub, "return") == 0 && (a->remark == NULL || a->remark[0] == '\0')) {
        return cli_error(CMD, "return needs --remark TEXT (what the applicant must correct)");
    }
    if (access(a->db, F_OK) != 0) {
        return cli_error(CMD, "%s: no such store (batch creates one)", a->db);
    }
    if (qtb_store_open(&s, a->db) != 0) {
        return cli_lib_error(CMD, a->db);
    }
    const char *reviewer = a->reviewer != NULL ? a->reviewer : login_name();
    if (strcmp(sub, "list") == 0) {
        if (qtb_store_list_json(&out, s, a->status, a->all) != 0) {
            rc = lib_exit("list");
        } else if (a->json) {
            printf("%s\n", out);
        } else {
            print_list(out);
        }
    } else if (strcmp(sub, "show") == 0) {
        if (qtb_store_show_json(&out, s, id) != 0) {
            rc = lib_exit("show");
        } else if (a->json) {
            printf("%s\n", out);
        } else {
            print_show(out);
        }
    } else if (decide) {
        bool approve = strcmp(sub, "approve") == 0;
        int r = approve ? qtb_store_approve(s, id, reviewer, a->remark)
                        : qtb_store_return(s, id, reviewer, a->remark);
        if (r != 0) {
            rc = lib_exit(sub);
        } else {
            printf("submission %lld %s by %s\n", (long long)id, approve ? "APPROVED" : "RETURNED",
                   reviewer);
        }
    }
    qtb_string_free(out);
    qtb_store_close(s);
    return rc;
}

int cmd_review(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return cli_error(CMD, "expected list, show, approve or return");
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 && strcmp(sub, "approve") != 0 &&
        strcmp(sub, "return") != 0) {
        usage(stderr);
        return cli_error(CMD, "unknown subcommand '%s'", sub);
    }
    review_args a = {getenv("QTB_DB"), NULL, NULL, NULL, false, false, NULL};
    int rc = parse_args(&a, argc - 1, argv + 1);
    if (rc == 1) {
        return CLI_OK; /* --help */
    }
    if (rc != 0) {
        return rc;
    }
    return run(sub, &a);
}
