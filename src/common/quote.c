#include "common/quote.h"

#include <string.h>

void sb_shell_quote(strbuf *sb, const char *s)
{
    sb_append_char(sb, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            sb_append(sb, "'\\''");
        else
            sb_append_char(sb, *s);
    }
    sb_append_char(sb, '\'');
}

bool utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t need;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            need = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        if (n - i <= need)
            return false;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (s[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
        i += need + 1;
    }
    return true;
}

bool sb_toml_string(strbuf *sb, const char *s)
{
    if (!utf8_valid(s, strlen(s)))
        return false;
    sb_append_char(sb, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"': sb_append(sb, "\\\""); break;
        case '\\': sb_append(sb, "\\\\"); break;
        case '\b': sb_append(sb, "\\b"); break;
        case '\t': sb_append(sb, "\\t"); break;
        case '\n': sb_append(sb, "\\n"); break;
        case '\f': sb_append(sb, "\\f"); break;
        case '\r': sb_append(sb, "\\r"); break;
        default:
            if (c < 0x20 || c == 0x7F)
                sb_printf(sb, "\\u%04X", c);
            else
                sb_append_char(sb, (char)c);
        }
    }
    sb_append_char(sb, '"');
    return true;
}
