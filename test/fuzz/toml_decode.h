/* For libFuzzer targets that check TOML we write: decodes one basic string
 * ("...", on one line) the way a TOML 1.0 reader does, aborting on anything a
 * reader would refuse (a raw control byte, an unknown escape, no closing
 * quote). */
#ifndef SOLODYNO_TOML_DECODE_H
#define SOLODYNO_TOML_DECODE_H

#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

static inline unsigned long toml_hex(const char *s, int n)
{
    unsigned long v = 0;
    for (int i = 0; i < n; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            abort();
        v = v * 16 + (unsigned long)d;
    }
    return v;
}

/* *p at the opening quote; moves past the closing one. */
static inline void toml_decode_string(const char **p, strbuf *out)
{
    const char *s = *p;
    if (*s++ != '"')
        abort();
    for (;;) {
        unsigned char c = (unsigned char)*s;
        if (c == '\0' || c == '\n' || c == 0x7F || (c < 0x20 && c != '\t'))
            abort();
        if (c == '"')
            break;
        if (c != '\\') {
            sb_append_char(out, (char)c);
            s++;
            continue;
        }
        s++;
        switch (*s) {
        case '"': sb_append_char(out, '"'); break;
        case '\\': sb_append_char(out, '\\'); break;
        case 'b': sb_append_char(out, '\b'); break;
        case 't': sb_append_char(out, '\t'); break;
        case 'n': sb_append_char(out, '\n'); break;
        case 'f': sb_append_char(out, '\f'); break;
        case 'r': sb_append_char(out, '\r'); break;
        case 'u': {
            if (strnlen(s + 1, 4) != 4)
                abort();
            unsigned long v = toml_hex(s + 1, 4);
            if (v >= 0x80) /* we only ever escape control bytes this way */
                abort();
            sb_append_char(out, (char)v);
            s += 4;
            break;
        }
        default:
            abort();
        }
        s++;
    }
    *p = s + 1;
}

#endif
