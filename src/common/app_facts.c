/* The app facts file: written by the build, read at every dyno start (see
 * app_facts.h; the build's scan of the app is build/app_scan.c). */
#include "common/app_facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/strbuf.h"

const char *const app_facts_tunables[] = {
    "SERVICE_TIMEOUT", /* rack-timeout initializers of older Mastodon and many Rails apps */
    "WAIT_TIMEOUT",
    "STREAMING_CLUSTER_NUM", /* Mastodon's clustered streaming server, 1.2.1 to 4.1.2 */
    "SIDEKIQ_CONCURRENCY",
    "DB_POOL",
    "MAX_THREADS",
    "RAILS_MAX_THREADS",
    "WEB_CONCURRENCY",
    NULL,
};

_Static_assert(sizeof app_facts_tunables / sizeof *app_facts_tunables == APP_FACTS_TUNABLES + 1,
               "APP_FACTS_TUNABLES counts app_facts_tunables");

void app_facts_init(struct app_facts *f)
{
    memset(f, 0, sizeof *f);
    f->version[0] = f->version[1] = f->version[2] = -1;
}

int app_facts_write(const char *app_dir, const struct app_facts *f, const char **why)
{
    if (make_app_dir(app_dir, ".solodyno", why) < 0)
        return -1;
    char *path = resolve_inside_app(app_dir, APP_FACTS_FILE, why);
    if (!path)
        return -1;
    strbuf out = STRBUF_INIT;
    app_facts_format(f, &out);
    int r = write_file_atomic(path, out.data, out.len, 0644);
    if (r < 0)
        *why = "cannot write .solodyno/app-facts";
    free(path);
    sb_free(&out);
    return r;
}

void app_facts_format(const struct app_facts *f, strbuf *out_)
{
    strbuf out = STRBUF_INIT;
    sb_append(&out, "# What the solodyno build learnt about this app, read by `solodyno env`.\n");
    sb_printf(&out, "mastodon=%s\n", f->mastodon ? "true" : "false");
    if (f->mastodon && f->version[0] >= 0)
        sb_printf(&out, "mastodon_version=%s\n", f->version_text);
    sb_append(&out, "reads=");
    bool first = true;
    for (int i = 0; app_facts_tunables[i]; i++) {
        if (f->reads & (1u << i)) {
            sb_printf(&out, "%s%s", first ? "" : ",", app_facts_tunables[i]);
            first = false;
        }
    }
    sb_append_char(&out, '\n');
    for (int i = 0; app_facts_tunables[i]; i++)
        if ((f->reads & (1u << i)) && f->where[i][0])
            sb_printf(&out, "read.%s=%s\n", app_facts_tunables[i], f->where[i]);
    sb_append_len(out_, out.data, out.len);
    sb_free(&out);
}

static bool version_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '+' ||
           c == '-';
}

/* "4.3.2", "4.8.0-alpha.1", "2.4.0rc1", "1.4.0.6": MAJOR.MINOR[.PATCH] (each
 * 0..9999), then anything of [0-9A-Za-z.+-], all at most
 * APP_FACTS_VERSION_MAX long. The numbers into v, or false. */
static bool parse_version(const char *s, size_t n, int v[3])
{
    if (n == 0 || n > APP_FACTS_VERSION_MAX)
        return false;
    for (size_t k = 0; k < n; k++)
        if (!version_char(s[k]))
            return false;
    int parts[3] = {-1, -1, 0};
    size_t i = 0;
    for (int k = 0; k < 3; k++) {
        if (i >= n || s[i] < '0' || s[i] > '9')
            break;
        int x = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            x = x * 10 + (s[i] - '0');
            if (x > 9999)
                return false;
            i++;
        }
        parts[k] = x;
        if (i == n || s[i] != '.' || k == 2)
            break;
        i++;
    }
    if (parts[1] < 0)
        return false;
    memcpy(v, parts, sizeof parts);
    return true;
}

bool app_facts_set_version(struct app_facts *f, const char *text, size_t len)
{
    if (!parse_version(text, len, f->version)) {
        f->version[0] = f->version[1] = f->version[2] = -1;
        f->version_text[0] = '\0';
        return false;
    }
    memcpy(f->version_text, text, len);
    f->version_text[len] = '\0';
    return true;
}

static int tunable_index(const char *name, size_t len)
{
    for (int t = 0; app_facts_tunables[t]; t++)
        if (strlen(app_facts_tunables[t]) == len && !memcmp(app_facts_tunables[t], name, len))
            return t;
    return -1;
}

/* A place for a person to read: printable ASCII, cut to fit. */
static void set_where(char *dst, const char *src, size_t n)
{
    size_t k = 0;
    for (; k < n && k + 1 < APP_FACTS_WHERE_MAX; k++)
        dst[k] = (unsigned char)src[k] >= 0x20 && (unsigned char)src[k] < 0x7F ? src[k] : '?';
    dst[k] = '\0';
}

bool app_facts_record_read(struct app_facts *f, const char *name, size_t len, const char *where)
{
    int t = tunable_index(name, len);
    if (t < 0)
        return false;
    if (!(f->reads & (1u << t))) {
        f->reads |= 1u << t;
        set_where(f->where[t], where ? where : "", where ? strlen(where) : 0);
    }
    return true;
}

void app_facts_parse(const char *data, size_t len, struct app_facts *f)
{
    app_facts_init(f);
    size_t pos = 0;
    while (pos < len) {
        const char *line = data + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        const char *eq = memchr(line, '=', n);
        if (!eq || line[0] == '#')
            continue;
        size_t klen = (size_t)(eq - line);
        const char *val = eq + 1;
        size_t vlen = n - klen - 1;
        if (klen == 8 && !memcmp(line, "mastodon", 8)) {
            f->mastodon = vlen == 4 && !memcmp(val, "true", 4);
        } else if (klen == 16 && !memcmp(line, "mastodon_version", 16)) {
            app_facts_set_version(f, val, vlen);
        } else if (klen == 5 && !memcmp(line, "reads", 5)) {
            f->reads = 0;
            size_t i = 0;
            while (i < vlen) {
                const char *item = val + i;
                const char *comma = memchr(item, ',', vlen - i);
                size_t ilen = comma ? (size_t)(comma - item) : vlen - i;
                int t = tunable_index(item, ilen);
                if (t >= 0)
                    f->reads |= 1u << t;
                i += ilen + 1;
            }
        } else if (klen > 5 && !memcmp(line, "read.", 5)) {
            int t = tunable_index(line + 5, klen - 5);
            if (t >= 0)
                set_where(f->where[t], val, vlen);
        }
    }
    /* a place only for what is read */
    for (int t = 0; app_facts_tunables[t]; t++)
        if (!(f->reads & (1u << t)))
            f->where[t][0] = '\0';
    if (!f->mastodon) {
        f->version[0] = f->version[1] = f->version[2] = -1;
        f->version_text[0] = '\0';
    }
}

int app_facts_read(const char *app_dir, struct app_facts *f)
{
    strbuf path = STRBUF_INIT;
    sb_printf(&path, "%s/%s", app_dir, APP_FACTS_FILE);
    char *data;
    size_t len;
    int r = read_file(path.data, 64 * 1024, &data, &len);
    sb_free(&path);
    if (r < 0) {
        app_facts_init(f);
        return -1;
    }
    app_facts_parse(data, len, f);
    free(data);
    return 0;
}

bool app_facts_reads(const struct app_facts *f, const char *name)
{
    for (int i = 0; app_facts_tunables[i]; i++)
        if (!strcmp(app_facts_tunables[i], name))
            return (f->reads & (1u << i)) != 0;
    return false;
}

const char *app_facts_where(const struct app_facts *f, const char *name)
{
    int t = tunable_index(name, strlen(name));
    return t >= 0 && (f->reads & (1u << t)) && f->where[t][0] ? f->where[t] : NULL;
}

bool app_facts_mastodon_before(const struct app_facts *f, int major, int minor)
{
    if (!f->mastodon || f->version[0] < 0)
        return false;
    return f->version[0] < major || (f->version[0] == major && f->version[1] < minor);
}
