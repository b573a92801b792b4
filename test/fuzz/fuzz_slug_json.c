/* libFuzzer target: the body solodyno-slug --json prints for the Platform
 * API (slug_json), from the built app's Procfile, its stamp and a stack name.
 *
 * Input: NUL-separated contents of the Procfile, of .solodyno/source-version,
 * and the stack. Checks that the body is one well-formed JSON object (a
 * strict reader: RFC 8259, UTF-8, no raw control bytes), that process_types
 * holds exactly the entries of the Procfile that count (the last of a name),
 * commands decoding back byte for byte, that commit is the stamp's value and
 * stack the one given. */
#include "fuzz_files.h"

#include "common/procfile.h"
#include "common/quote.h"
#include "common/stamp.h"
#include "slug/slug.h"

/* ---- a strict JSON reader, for what slug_json writes ---------------------- */

struct json {
    const char *p;
};

static void ws(struct json *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
        j->p++;
}

static unsigned hex4(const char *s)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            abort();
        v = v * 16 + (unsigned)d;
    }
    return v;
}

static void put_utf8(strbuf *out, unsigned cp)
{
    if (cp < 0x80) {
        sb_append_char(out, (char)cp);
    } else if (cp < 0x800) {
        sb_append_char(out, (char)(0xC0 | cp >> 6));
        sb_append_char(out, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        sb_append_char(out, (char)(0xE0 | cp >> 12));
        sb_append_char(out, (char)(0x80 | ((cp >> 6) & 0x3F)));
        sb_append_char(out, (char)(0x80 | (cp & 0x3F)));
    } else {
        sb_append_char(out, (char)(0xF0 | cp >> 18));
        sb_append_char(out, (char)(0x80 | ((cp >> 12) & 0x3F)));
        sb_append_char(out, (char)(0x80 | ((cp >> 6) & 0x3F)));
        sb_append_char(out, (char)(0x80 | (cp & 0x3F)));
    }
}

static void string(struct json *j, strbuf *out)
{
    if (*j->p++ != '"')
        abort();
    sb_append(out, "");
    for (;;) {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20)
            abort(); /* raw control byte, or the end */
        if (c == '"')
            break;
        if (c != '\\') {
            sb_append_char(out, (char)c);
            j->p++;
            continue;
        }
        j->p++;
        char e = *j->p++;
        switch (e) {
        case '"': sb_append_char(out, '"'); break;
        case '\\': sb_append_char(out, '\\'); break;
        case '/': sb_append_char(out, '/'); break;
        case 'b': sb_append_char(out, '\b'); break;
        case 'f': sb_append_char(out, '\f'); break;
        case 'n': sb_append_char(out, '\n'); break;
        case 'r': sb_append_char(out, '\r'); break;
        case 't': sb_append_char(out, '\t'); break;
        case 'u': {
            unsigned cp = hex4(j->p);
            j->p += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (j->p[0] != '\\' || j->p[1] != 'u')
                    abort();
                unsigned lo = hex4(j->p + 2);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    abort();
                j->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                abort();
            }
            if (cp == 0)
                abort(); /* a C string cannot hold it: we never write it */
            put_utf8(out, cp);
            break;
        }
        default:
            abort();
        }
    }
    j->p++;
    if (!utf8_valid(out->data, out->len))
        abort();
}

/* ---- the check ------------------------------------------------------------ */

static char app[160];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_dir_init("fuzz-slug-json");
    snprintf(app, sizeof app, "%s/app", fuzz_dir);
    return 0;
}

static void expect(struct json *j, const char *lit)
{
    ws(j);
    size_t n = strlen(lit);
    if (strncmp(j->p, lit, n) != 0)
        abort();
    j->p += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0, plen, slen, klen;
    const uint8_t *procfile = fuzz_field(data, size, &pos, &plen);
    const uint8_t *stamp = fuzz_field(data, size, &pos, &slen);
    const uint8_t *stack_in = fuzz_field(data, size, &pos, &klen);
    char *stack = strndup((const char *)stack_in, klen);
    fuzz_dir_clear();
    fuzz_put("app/Procfile", procfile, plen);
    fuzz_put("app/.solodyno/source-version", stamp, slen);

    strbuf out = STRBUF_INIT, warnings = STRBUF_INIT, err = STRBUF_INIT;
    struct slug_result res = {app, "slug.tgz", 1, SLUG_MAX_DEFAULT, "SHA256:"};
    memset(res.checksum + 7, 'a', SHA256_HEX_LEN);
    res.checksum[7 + SHA256_HEX_LEN] = '\0';
    int rc = slug_json(&out, app, stack, &res, &warnings, &err);

    /* What it must hold: the Procfile's entries that count, in order. */
    struct procfile pf;
    strbuf diag = STRBUF_INIT;
    procfile_parse((const char *)procfile, plen, "Procfile", PROCFILE_APP, &pf, &diag);
    bool all_utf8 = !*stack || utf8_valid(stack, strlen(stack));
    for (size_t i = 0; i < pf.n; i++)
        if (procfile_counts(&pf.lines[i]))
            all_utf8 &= utf8_valid(pf.lines[i].command, strlen(pf.lines[i].command));
    if ((rc == 0) != all_utf8)
        abort();

    if (rc == 0) {
        struct json j = {out.data};
        expect(&j, "{");
        expect(&j, "\"process_types\":");
        expect(&j, "{");
        size_t k = 0;
        for (bool first = true;; first = false) {
            ws(&j);
            if (*j.p == '}') {
                j.p++;
                break;
            }
            if (!first)
                expect(&j, ",");
            ws(&j);
            strbuf name = STRBUF_INIT, cmd = STRBUF_INIT;
            string(&j, &name);
            expect(&j, ":");
            ws(&j);
            string(&j, &cmd);
            while (k < pf.n && !procfile_counts(&pf.lines[k]))
                k++;
            if (k == pf.n || strcmp(pf.lines[k].name, name.data) || strcmp(pf.lines[k].command, cmd.data))
                abort();
            k++;
            sb_free(&name);
            sb_free(&cmd);
        }
        while (k < pf.n && !procfile_counts(&pf.lines[k]))
            k++;
        if (k != pf.n)
            abort(); /* an entry that counts is missing */
        expect(&j, ",");
        char value[STAMP_VALUE_MAX + 1];
        if (stamp_read(app, value) == 1) {
            expect(&j, "\"commit\":");
            ws(&j);
            strbuf c = STRBUF_INIT;
            string(&j, &c);
            if (strcmp(c.data, value) != 0)
                abort();
            sb_free(&c);
            expect(&j, ",");
        }
        if (*stack) {
            expect(&j, "\"stack\":");
            ws(&j);
            strbuf s = STRBUF_INIT;
            string(&j, &s);
            if (strcmp(s.data, stack) != 0)
                abort();
            sb_free(&s);
            expect(&j, ",");
        }
        expect(&j, "\"checksum\":");
        ws(&j);
        strbuf c = STRBUF_INIT;
        string(&j, &c);
        if (strcmp(c.data, res.checksum) != 0)
            abort();
        sb_free(&c);
        expect(&j, "}");
        ws(&j);
        if (*j.p)
            abort();
    }
    procfile_free(&pf);
    sb_free(&diag);
    sb_free(&out);
    sb_free(&warnings);
    sb_free(&err);
    free(stack);
    return 0;
}
