/* CLI helpers: errors, secrets, files. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <qtb/error.h>

#include "cli.h"

int cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "qoltanba %s: error: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_ERROR;
}

int cli_lib_error(const char *cmd, const char *what)
{
    const qtb_error *e = qtb_error_last();
    return cli_error(cmd, "%s: %s", what, e->message[0] ? e->message : "unknown failure");
}

void cli_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0) {
        explicit_bzero(p, n); /* a memset the compiler may not drop */
    }
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) {
        s[--n] = '\0';
    }
}

static int read_password_file(const char *cmd, char *buf, size_t cap, const char *file)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return cli_error(cmd, "cannot open password file %s: %s", file, strerror(errno));
    }
    size_t len = 0;
    for (;;) {
        if (len + 1 >= cap) {
            close(fd);
            cli_wipe(buf, cap);
            return cli_error(cmd, "password file %s is longer than %zu bytes", file, cap - 1);
        }
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            close(fd);
            return cli_error(cmd, "cannot read password file %s: %s", file, strerror(errno));
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    /* The password is the first line. */
    char *nl = strpbrk(buf, "\r\n");
    if (nl != NULL) {
        cli_wipe(nl, len - (size_t)(nl - buf));
        *nl = '\0';
    }
    return 0;
}

static int read_password_tty(const char *cmd, char *buf, size_t cap, const char *prompt)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return cli_error(cmd, "a password is needed: use --password-file F or --password-env VAR "
                              "(no terminal to prompt on)");
    }
    struct termios old, quiet;
    bool restore = tcgetattr(fd, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    ssize_t ignored = write(fd, prompt, strlen(prompt));
    (void)ignored;
    size_t len = 0;
    char c;
    while (len + 1 < cap && read(fd, &c, 1) == 1 && c != '\n') {
        buf[len++] = c;
    }
    buf[len] = '\0';
    ignored = write(fd, "\n", 1);
    if (restore) {
        tcsetattr(fd, TCSAFLUSH, &old);
    }
    close(fd);
    chomp(buf);
    return 0;
}

int cli_read_password(const char *cmd, char *buf, size_t cap, const char *file, const char *env_var,
                      const char *prompt)
{
    buf[0] = '\0';
    if (file != NULL && env_var != NULL) {
        return cli_error(cmd, "give either --password-file or --password-env, not both");
    }
    if (file != NULL) {
        return read_password_file(cmd, buf, cap, file);
    }
    if (env_var != NULL) {
        const char *v = getenv(env_var);
        if (v == NULL) {
            return cli_error(cmd, "environment variable %s is not set", env_var);
        }
        if (strlen(v) + 1 > cap) {
            return cli_error(cmd, "password in %s is longer than %zu bytes", env_var, cap - 1);
        }
        memcpy(buf, v, strlen(v) + 1);
        return 0;
    }
    return read_password_tty(cmd, buf, cap, prompt);
}

int cli_read_file(const char *cmd, unsigned char **out, size_t *len, const char *path, size_t max)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return cli_error(cmd, "cannot open %s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return cli_error(cmd, "%s is a directory, not a file", path);
    }
    size_t cap = 4096;
    unsigned char *buf = malloc(cap + 1);
    size_t n = 0;
    size_t got = 0;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n > max) {
            free(buf);
            fclose(f);
            return cli_error(cmd, "%s is larger than the limit of %zu bytes", path, max);
        }
        if (n == cap) {
            cap *= 2;
            unsigned char *p = realloc(buf, cap + 1);
            if (p == NULL) {
                free(buf);
            }
            buf = p;
        }
    }
    bool err = ferror(f) != 0;
    fclose(f);
    if (buf == NULL) {
        return cli_error(cmd, "out of memory reading %s", path);
    }
    if (err) {
        free(buf);
        return cli_error(cmd, "cannot read %s", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            return true;
        }
        if (strcmp(argv[i], "--") == 0) {
            break;
        }
    }
    return false;
}

int cli_parse_int(long long *out, const char *s, long long min, long long max)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}
