/* Loading --trust folders for the batch and revalidate commands. */
#include <dlfcn.h>
#include <stdint.h>

#include <qtb/trust.h>

#include "cli.h"
#include "cli_trust.h"

/* ---- trust ----------------------------------------------------------------------------------
 * TODO(trust): call qtb_trust_new/qtb_trust_add_dir/qtb_trust_free directly once the trust
 * module is merged into main. Until then they are looked up at run time, so this command links
 * and runs (without --trust) before the module exists. */
typedef int (*trust_new_fn)(qtb_trust **);
typedef int (*trust_add_dir_fn)(qtb_trust *, const char *);
typedef void (*trust_free_fn)(qtb_trust *);

void cli_trust_release(qtb_trust *t)
{
    trust_free_fn fr = (trust_free_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "qtb_trust_free");
    if (t != NULL && fr != NULL) {
        fr(t);
    }
}

int cli_load_trust(const char *cmd, qtb_trust **out, char **dirs, int n)
{
    *out = NULL;
    if (n == 0) {
        return 0;
    }
    trust_new_fn mk = (trust_new_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "qtb_trust_new");
    trust_add_dir_fn add = (trust_add_dir_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "qtb_trust_add_dir");
    if (mk == NULL || add == NULL) {
        return cli_error(cmd, "--trust: this build has no trust module");
    }
    if (mk(out) != 0) {
        return cli_lib_error(cmd, "trust set");
    }
    for (int i = 0; i < n; i++) {
        if (add(*out, dirs[i]) != 0) {
            cli_trust_release(*out);
            *out = NULL;
            return cli_lib_error(cmd, dirs[i]);
        }
    }
    return 0;
}
