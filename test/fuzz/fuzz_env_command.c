/* libFuzzer target: everything `solodyno env` reads from outside at dyno start
 * (cgroup files, config vars, DYNO, ImageMagick's policy, the environment the
 * dyno started with), and the promises that --shell and --exec-d output stay
 * well-formed whatever those hold, and that a value the dyno started with
 * always wins.
 *
 * Input: NUL-separated fields. The first feeds the cgroup/size parsers; the
 * rest are NAME=VALUE environment entries for env_collect, those starting
 * with '@' entries of the start environment instead (/proc/PID/environ).
 * Bits of the first byte: 16, a start environment is given (even empty); 32,
 * it was asked for but could not be read. The whole input is also parsed as
 * an environ file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dyno/cgroup.h"
#include "dyno/dyno_role.h"
#include "dyno/env.h"
#include "dyno/env_value.h"
#include "dyno/magick_policy.h"
#include "dyno/start_env.h"

#define MAX_VARS 24

static char *names[MAX_VARS], *values[MAX_VARS];
static size_t n_vars;
static char app_dir[64];

static const char *fake_lookup(const char *name)
{
    /* never read the machine's cgroup or policy: the result must depend on
     * the input only */
    if (!strcmp(name, "SOLODYNO_CGROUP_ROOT") || !strcmp(name, "SOLODYNO_MAGICK_POLICY"))
        return "/nonexistent/solodyno-fuzz";
    for (size_t i = 0; i < n_vars; i++)
        if (!strcmp(names[i], name))
            return values[i];
    return NULL;
}

/* Undoes sb_shell_quote's word ('...' pieces joined by \') into out; false if
 * the word has any other shape (anything a shell would expand). */
static bool unquote_shell(const char *s, size_t n, char *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\'') {
            out[o++] = '\'';
            i += 2;
        } else if (s[i] == '\'') {
            const char *end = memchr(s + i + 1, '\'', n - i - 1);
            if (!end)
                return false;
            size_t len = (size_t)(end - (s + i + 1));
            memcpy(out + o, s + i + 1, len);
            o += len;
            i += len + 2;
        } else {
            return false;
        }
    }
    out[o] = '\0';
    return true;
}

static void check_shell(const struct env_result *r, const strbuf *out)
{
    const char *p = out->data ? out->data : "";
    size_t printed = 0;
    char *word = malloc(out->len + 1);
    for (size_t i = 0; i < r->n; i++) {
        const struct env_entry *e = &r->entries[i];
        if (e->status == ENV_USER)
            continue;
        printed++;
        if (e->status == ENV_CLEARED) {
            size_t n = strlen(e->name);
            if (strncmp(p, "unset ", 6) != 0 || strncmp(p + 6, e->name, n) != 0 || p[6 + n] != '\n')
                abort();
            p += 6 + n + 1;
            continue;
        }
        const char *nl = strchr(p, '\n');
        if (!nl || strncmp(p, "export ", 7) != 0)
            abort();
        const char *eq = strchr(p, '=');
        if (!eq || eq > nl || (size_t)(eq - p - 7) != strlen(e->name) ||
            memcmp(p + 7, e->name, strlen(e->name)) != 0)
            abort();
        /* a newline inside a value is quoted: find the line's true end */
        size_t wlen = strlen(eq + 1);
        const char *q = eq + 1;
        size_t k = 0;
        while (k < wlen) { /* walk quoted pieces to the terminating newline */
            if (q[k] == '\'') {
                const char *end = memchr(q + k + 1, '\'', wlen - k - 1);
                if (!end)
                    abort();
                k = (size_t)(end - q) + 1;
            } else if (q[k] == '\\' && k + 1 < wlen && q[k + 1] == '\'') {
                k += 2;
            } else {
                break;
            }
        }
        if (k >= wlen || q[k] != '\n')
            abort();
        if (!unquote_shell(q, k, word) || strcmp(word, e->value) != 0)
            abort();
        p = q + k + 1;
    }
    if (*p != '\0')
        abort();
    (void)printed;
    free(word);
}

static void check_toml(const strbuf *out)
{
    const char *p = out->data ? out->data : "";
    while (*p) {
        const char *eq = strstr(p, " = \"");
        if (!eq)
            abort();
        for (const char *c = p; c < eq; c++)
            if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
                  *c == '_'))
                abort();
        const char *s = eq + 4;
        for (; *s != '"'; s++) {
            unsigned char c = (unsigned char)*s;
            if (c == '\0' || c < 0x20 || c == 0x7f)
                abort();
            if (c == '\\')
                s++;
        }
        if (s[1] != '\n')
            abort();
        p = s + 2;
    }
}

/* True if name is in the comma-separated list. */
static bool in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && !memcmp(p, name, n))
            return true;
        p = comma ? comma + 1 : p + len;
    }
    return false;
}

/* The rule's promise: a variable set (not empty) in the start environment,
 * and not one of ours from an earlier eval, is the user's, with the value it
 * started with; nothing else is. */
static void check_users_win(const struct env_result *r, const struct start_env *start)
{
    const char *ours_before = start_env_get(start, "SOLODYNO_DEFAULTS");
    for (size_t i = 0; i < r->n; i++) {
        const struct env_entry *e = &r->entries[i];
        if (strstr(e->name, "_SET_BY") || !strcmp(e->name, "SOLODYNO_DEFAULTS")) {
            if (e->status == ENV_CLEARED && e->value[0] != '\0')
                abort();
            continue;
        }
        if (e->status == ENV_CLEARED)
            abort(); /* only markers are cleared */
        const char *at_start = start_env_get(start, e->name);
        bool users = at_start && *at_start && !in_list(ours_before, e->name);
        bool kept = e->status == ENV_USER || e->status == ENV_RESTORED;
        if (users != kept || (users && strcmp(e->value, at_start) != 0))
            abort();
    }
}

/* start_env_get against a plain scan: the first NAME=... entry. */
static void check_start_lookup(const struct start_env *s, const char *name)
{
    const char *want = NULL;
    size_t n = strlen(name);
    for (size_t pos = 0; pos < s->len && !want;) {
        const char *entry = s->data + pos;
        size_t len = strnlen(entry, s->len - pos);
        if (len > n && !strncmp(entry, name, n) && entry[n] == '=')
            want = entry + n + 1;
        pos += len + 1;
    }
    if (start_env_get(s, name) != want)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!app_dir[0]) {
        snprintf(app_dir, sizeof app_dir, "/tmp/solodyno-fuzz-env.%d", (int)getpid());
        mkdir(app_dir, 0700);
        char sub[96];
        snprintf(sub, sizeof sub, "%s/.solodyno", app_dir);
        mkdir(sub, 0700);
    }
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = '\0';

    /* field 0: the value parsers */
    size_t f0 = strnlen(buf, size);
    unsigned long long b;
    unsigned c;
    (void)cg_parse_memory(buf, f0, &b);
    (void)cg_parse_cpu_max(buf, f0, &c);
    const char *half = memchr(buf, ' ', f0);
    if (half)
        (void)cg_parse_cfs(buf, (size_t)(half - buf), half + 1, f0 - (size_t)(half - buf) - 1, &c);
    (void)parse_whole(buf, 1, 100000, &b);
    (void)magick_parse_size(buf, f0, &b);
    (void)magick_policy_memory(buf, f0, &b);
    char type[64];
    if (dyno_type_from_name(buf, type, sizeof type) && (type[0] == '\0' || strlen(type) >= f0))
        abort();

    /* the app facts: from the first byte (rewritten only when it changes) */
    static int last_k = -1;
    char facts[160];
    unsigned char k = size ? data[0] : 0;
    snprintf(facts, sizeof facts, "mastodon=%s\nmastodon_version=4.%d.0\nreads=%s%s\n",
             k & 1 ? "true" : "false", k & 2 ? 1 : 3,
             k & 4 ? "SERVICE_TIMEOUT,WAIT_TIMEOUT," : "", k & 8 ? "RAILS_MAX_THREADS" : "MAX_THREADS");
    char path[128];
    snprintf(path, sizeof path, "%s/.solodyno/app-facts", app_dir);
    FILE *f = last_k == k ? NULL : fopen(path, "w");
    if (f) {
        fputs(facts, f);
        fclose(f);
        last_k = k;
    }

    /* the raw input as an environ file */
    struct start_env raw;
    start_env_parse((const char *)data, size, &raw);
    check_start_lookup(&raw, "WEB_CONCURRENCY");
    check_start_lookup(&raw, "A");
    if (f0 > 0 && f0 < 64 && !memchr(buf, '=', f0))
        check_start_lookup(&raw, buf);
    start_env_free(&raw);

    /* the other fields: the environment, and the start environment ('@') */
    n_vars = 0;
    strbuf started = STRBUF_INIT;
    for (size_t pos = f0 + 1; pos < size && n_vars < MAX_VARS;) {
        char *field = buf + pos;
        size_t len = strlen(field);
        char *eq = strchr(field, '=');
        if (field[0] == '@') {
            sb_append_len(&started, field + 1, len - 1);
            sb_append_char(&started, '\0');
        } else if (eq) {
            *eq = '\0';
            names[n_vars] = field;
            values[n_vars] = eq + 1;
            n_vars++;
        }
        pos += len + 1;
    }

    struct start_env start = {0};
    const struct start_env *given_start = NULL;
    if (k & 32) {
        start.why_unknown = "fuzzed: unreadable";
        given_start = &start;
    } else if ((k & 16) || started.len) {
        start_env_parse(started.data ? started.data : "", started.len, &start);
        given_start = &start;
    }
    struct env_result r;
    env_collect(app_dir, fake_lookup, given_start, &r);
    if (given_start && start.data)
        check_users_win(&r, &start);
    strbuf out = STRBUF_INIT;
    env_format_shell(&r, &out);
    check_shell(&r, &out);
    sb_free(&out);
    env_format_toml(&r, &out);
    check_toml(&out);
    sb_free(&out);
    env_format_explain(&r, &out);
    sb_free(&out);
    env_format_log(&r, &out);
    if (strchr(out.data, '\n') != out.data + out.len - 1)
        abort(); /* the boot log is one line */
    sb_free(&out);
    env_result_free(&r);
    start_env_free(&start);
    sb_free(&started);
    free(buf);
    return 0;
}
