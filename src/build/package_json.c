/* Reading package.json's name, type and scripts: see package_json.h. */
#include "build/package_json.h"

#include <stdlib.h>
#include <string.h>

#include "common/quote.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

#define DEPTH_MAX 64

struct reader {
    const char *s;
    size_t n, i;
};

static void skip_ws(struct reader *r)
{
    while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' || r->s[r->i] == '\r'))
        r->i++;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static void put_utf8(strbuf *out, unsigned cp)
{
    if (cp < 0x80) {
        sb_append_char(out, (char)cp);
    } else if (cp < 0x800) {
        sb_append_char(out, (char)(0xC0 | (cp >> 6)));
        sb_append_char(out, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        sb_append_char(out, (char)(0xE0 | (cp >> 12)));
        sb_append_char(out, (char)(0x80 | ((cp >> 6) & 0x3F)));
        sb_append_char(out, (char)(0x80 | (cp & 0x3F)));
    } else {
        sb_append_char(out, (char)(0xF0 | (cp >> 18)));
        sb_append_char(out, (char)(0x80 | ((cp >> 12) & 0x3F)));
        sb_append_char(out, (char)(0x80 | ((cp >> 6) & 0x3F)));
        sb_append_char(out, (char)(0x80 | (cp & 0x3F)));
    }
}

/* A string at r->i (on its opening quote). Decoded into out when out is not
 * NULL. A \u0000 or a lone surrogate, which no command can hold, fails. */
static bool read_string(struct reader *r, strbuf *out)
{
    if (r->i >= r->n || r->s[r->i] != '"')
        return false;
    r->i++;
    while (r->i < r->n) {
        unsigned char c = (unsigned char)r->s[r->i];
        if (c == '"') {
            r->i++;
            if (out)
                sb_append(out, ""); /* never NULL, even for "" */
            return true;
        }
        if (c < 0x20)
            return false;
        if (c != '\\') {
            if (out)
                sb_append_char(out, (char)c);
            r->i++;
            continue;
        }
        if (r->i + 1 >= r->n)
            return false;
        char e = r->s[r->i + 1];
        r->i += 2;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char to[] = "\"\\/\b\f\n\r\t";
            if (out)
                sb_append_char(out, to[simple - "\"\\/bfnrt"]);
            continue;
        }
        if (e != 'u' || r->i + 4 > r->n)
            return false;
        int cp = hex4(r->s + r->i);
        r->i += 4;
        if (cp <= 0)
            return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return false;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (r->i + 6 > r->n || r->s[r->i] != '\\' || r->s[r->i + 1] != 'u')
                return false;
            int lo = hex4(r->s + r->i + 2);
            if (lo < 0xDC00 || lo > 0xDFFF)
                return false;
            r->i += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (out)
            put_utf8(out, (unsigned)cp);
    }
    return false;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool read_number(struct reader *r)
{
    size_t i = r->i;
    if (i < r->n && r->s[i] == '-')
        i++;
    if (i < r->n && r->s[i] == '0') {
        i++;
    } else if (i < r->n && is_digit(r->s[i])) {
        while (i < r->n && is_digit(r->s[i]))
            i++;
    } else {
        return false;
    }
    if (i < r->n && r->s[i] == '.') {
        i++;
        if (i >= r->n || !is_digit(r->s[i]))
            return false;
        while (i < r->n && is_digit(r->s[i]))
            i++;
    }
    if (i < r->n && (r->s[i] == 'e' || r->s[i] == 'E')) {
        i++;
        if (i < r->n && (r->s[i] == '+' || r->s[i] == '-'))
            i++;
        if (i >= r->n || !is_digit(r->s[i]))
            return false;
        while (i < r->n && is_digit(r->s[i]))
            i++;
    }
    r->i = i;
    return true;
}

static bool read_word(struct reader *r, const char *w)
{
    size_t n = strlen(w);
    if (r->n - r->i < n || memcmp(r->s + r->i, w, n) != 0)
        return false;
    r->i += n;
    return true;
}

/* What to do with the members of an object being read. */
enum role { ROLE_SKIP, ROLE_TOP, ROLE_SCRIPTS };

static bool read_value(struct reader *r, int depth, enum role role, struct package_json *pj);

static void set_script(struct package_json *pj, char *name, char *command)
{
    for (size_t k = 0; k < pj->n_scripts; k++) {
        if (!strcmp(pj->scripts[k].name, name)) {
            free(pj->scripts[k].command);
            pj->scripts[k].command = command;
            free(name);
            return;
        }
    }
    if (pj->n_scripts == PKG_SCRIPTS_MAX) {
        free(name);
        free(command);
        return;
    }
    pj->scripts[pj->n_scripts].name = name;
    pj->scripts[pj->n_scripts].command = command;
    pj->n_scripts++;
}

static void clear_scripts(struct package_json *pj)
{
    for (size_t k = 0; k < pj->n_scripts; k++) {
        free(pj->scripts[k].name);
        free(pj->scripts[k].command);
    }
    pj->n_scripts = 0;
}

/* A string value for a member we keep: *dst replaced. Other values: skipped,
 * and *dst cleared (the last key wins, whatever it holds). */
static bool read_kept_string(struct reader *r, int depth, char **dst)
{
    free(*dst);
    *dst = NULL;
    if (r->i < r->n && r->s[r->i] == '"') {
        strbuf v = STRBUF_INIT;
        if (!read_string(r, &v)) {
            sb_free(&v);
            return false;
        }
        *dst = sb_take(&v);
        return true;
    }
    return read_value(r, depth, ROLE_SKIP, NULL);
}

static bool read_object(struct reader *r, int depth, enum role role, struct package_json *pj)
{
    r->i++; /* { */
    skip_ws(r);
    if (r->i < r->n && r->s[r->i] == '}') {
        r->i++;
        return true;
    }
    for (;;) {
        skip_ws(r);
        strbuf key = STRBUF_INIT;
        if (!read_string(r, role == ROLE_SKIP ? NULL : &key)) {
            sb_free(&key);
            return false;
        }
        skip_ws(r);
        if (r->i >= r->n || r->s[r->i] != ':') {
            sb_free(&key);
            return false;
        }
        r->i++;
        skip_ws(r);
        bool ok;
        const char *k = key.data ? key.data : "";
        if (role == ROLE_TOP && !strcmp(k, "name")) {
            ok = read_kept_string(r, depth, &pj->name);
        } else if (role == ROLE_TOP && !strcmp(k, "type")) {
            ok = read_kept_string(r, depth, &pj->type);
        } else if (role == ROLE_TOP && !strcmp(k, "scripts")) {
            clear_scripts(pj);
            ok = read_value(r, depth, ROLE_SCRIPTS, pj);
        } else if (role == ROLE_SCRIPTS && r->i < r->n && r->s[r->i] == '"') {
            strbuf v = STRBUF_INIT;
            ok = read_string(r, &v);
            if (ok)
                set_script(pj, sb_take(&key), sb_take(&v));
            sb_free(&v);
        } else {
            ok = read_value(r, depth, ROLE_SKIP, NULL);
        }
        sb_free(&key);
        if (!ok)
            return false;
        skip_ws(r);
        if (r->i < r->n && r->s[r->i] == ',') {
            r->i++;
            continue;
        }
        if (r->i < r->n && r->s[r->i] == '}') {
            r->i++;
            return true;
        }
        return false;
    }
}

static bool read_array(struct reader *r, int depth)
{
    r->i++; /* [ */
    skip_ws(r);
    if (r->i < r->n && r->s[r->i] == ']') {
        r->i++;
        return true;
    }
    for (;;) {
        skip_ws(r);
        if (!read_value(r, depth, ROLE_SKIP, NULL))
            return false;
        skip_ws(r);
        if (r->i < r->n && r->s[r->i] == ',') {
            r->i++;
            continue;
        }
        if (r->i < r->n && r->s[r->i] == ']') {
            r->i++;
            return true;
        }
        return false;
    }
}

/* A value at r->i. role says what an object here holds for us (a "scripts"
 * value that is not an object holds nothing). */
static bool read_value(struct reader *r, int depth, enum role role, struct package_json *pj)
{
    if (depth >= DEPTH_MAX || r->i >= r->n)
        return false;
    switch (r->s[r->i]) {
    case '{':
        return read_object(r, depth + 1, role, pj);
    case '[':
        return read_array(r, depth + 1);
    case '"':
        return read_string(r, NULL);
    case 't':
        return read_word(r, "true");
    case 'f':
        return read_word(r, "false");
    case 'n':
        return read_word(r, "null");
    default:
        return read_number(r);
    }
}

int package_json_parse(const char *data, size_t len, struct package_json *pj)
{
    memset(pj, 0, sizeof *pj);
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        data += 3;
        len -= 3;
    }
    struct reader r = {data, len, 0};
    bool ok = utf8_valid(data, len) && memchr(data, '\0', len) == NULL;
    if (ok) {
        skip_ws(&r);
        ok = r.i < r.n && r.s[r.i] == '{' && read_value(&r, 0, ROLE_TOP, pj);
        skip_ws(&r);
        ok = ok && r.i == r.n;
    }
    if (!ok) {
        package_json_free(pj);
        return -1;
    }
    return 0;
}

const char *package_json_script(const struct package_json *pj, const char *name)
{
    for (size_t k = 0; k < pj->n_scripts; k++)
        if (!strcmp(pj->scripts[k].name, name))
            return pj->scripts[k].command;
    return NULL;
}

void package_json_free(struct package_json *pj)
{
    clear_scripts(pj);
    free(pj->name);
    free(pj->type);
    memset(pj, 0, sizeof *pj);
}
