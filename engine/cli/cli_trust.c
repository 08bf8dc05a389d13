/* Loading --trust folders for the batch and revalidate commands. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qtb/trust.h>

#include "cli.h"
#include "cli_trust.h"

void cli_trust_release(qtb_trust *t)
{
    qtb_trust_free(t);
}

int cli_load_trust(const char *cmd, qtb_trust **out, char **dirs, int n)
{
    *out = NULL;
    if (n == 0) {
        return 0;
    }
    if (qtb_trust_new(out) != 0) {
        return cli_lib_error(cmd, "trust set");
    }
    for (int i = 0; i < n; i++) {
        if (qtb_trust_add_dir(*out, dirs[i]) != 0) {
            qtb_trust_free(*out);
            *out = NULL;
            return cli_lib_error(cmd, dirs[i]);
        }
    }
    return 0;
}

#define MAX_CRL_FILES 256
#define MAX_CRL_FILE (64u << 20)

void cli_evidence_free(qtb_sub_evidence *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].der);
    }
    free(e);
}

int cli_trust_crls(const char *cmd, qtb_sub_evidence **out, size_t *n, char **dirs, int ndirs)
{
    *out = NULL;
    *n = 0;
    qtb_sub_evidence *list = calloc(MAX_CRL_FILES, sizeof(*list));
    if (list == NULL) {
        return cli_error(cmd, "out of memory");
    }
    size_t count = 0;
    for (int d = 0; d < ndirs; d++) {
        DIR *dir = opendir(dirs[d]);
        if (dir == NULL) {
            cli_evidence_free(list, count);
            return cli_error(cmd, "cannot list %s", dirs[d]);
        }
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            size_t len = strlen(e->d_name);
            if (len < 5 || strcmp(e->d_name + len - 4, ".crl") != 0) {
                continue;
            }
            if (count == MAX_CRL_FILES) {
                closedir(dir);
                cli_evidence_free(list, count);
                return cli_error(cmd, "more than %d CRL files in the trust folders", MAX_CRL_FILES);
            }
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", dirs[d], e->d_name);
            unsigned char *data = NULL;
            size_t size = 0;
            if (cli_read_file(cmd, &data, &size, path, MAX_CRL_FILE) != 0) {
                closedir(dir);
                cli_evidence_free(list, count);
                return CLI_ERROR;
            }
            list[count].kind = "CRL";
            list[count].der = data;
            list[count].len = size;
            count++;
        }
        closedir(dir);
    }
    *out = list;
    *n = count;
    return 0;
}
