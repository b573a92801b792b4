#include "dyno/net_listen.h"

#include <string.h>

#include "dyno/proc_file.h"

#define TCP_LISTEN_STATE 0x0A

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Exactly `digits` hex digits at s[*i], into *v. */
static bool hex_field(const char *s, size_t n, size_t *i, size_t digits, unsigned *v)
{
    if (n - *i < digits)
        return false;
    unsigned x = 0;
    for (size_t k = 0; k < digits; k++) {
        int d = hex_value(s[*i + k]);
        if (d < 0)
            return false;
        x = (x << 4) | (unsigned)d;
    }
    *i += digits;
    *v = x;
    return true;
}

static void skip_blanks(const char *s, size_t n, size_t *i)
{
    while (*i < n && s[*i] == ' ')
        (*i)++;
}

/* ADDR:PORT with an 8- or 32-digit address; *port is set. */
static bool address(const char *s, size_t n, size_t *i, unsigned *port)
{
    size_t start = *i;
    while (*i < n && hex_value(s[*i]) >= 0)
        (*i)++;
    size_t len = *i - start;
    if ((len != 8 && len != 32) || *i >= n || s[*i] != ':')
        return false;
    (*i)++;
    return hex_field(s, n, i, 4, port) && (*i == n || s[*i] == ' ');
}

bool net_tcp_line_listens(const char *line, size_t n, unsigned port)
{
    size_t i = 0;
    skip_blanks(line, n, &i);
    /* sl: decimal, then ':' */
    size_t digits = 0;
    while (i < n && line[i] >= '0' && line[i] <= '9')
        i++, digits++;
    if (digits == 0 || i >= n || line[i] != ':')
        return false; /* the header, or not a socket line */
    i++;
    skip_blanks(line, n, &i);
    unsigned local_port, remote_port, state;
    if (!address(line, n, &i, &local_port))
        return false;
    skip_blanks(line, n, &i);
    if (!address(line, n, &i, &remote_port))
        return false;
    skip_blanks(line, n, &i);
    if (!hex_field(line, n, &i, 2, &state) || (i < n && line[i] != ' '))
        return false;
    return state == TCP_LISTEN_STATE && local_port == port;
}

bool net_tcp_text_listens(const char *text, size_t n, unsigned port)
{
    while (n) {
        const char *nl = memchr(text, '\n', n);
        size_t len = nl ? (size_t)(nl - text) : n;
        if (net_tcp_line_listens(text, len, port))
            return true;
        if (!nl)
            break;
        text += len + 1;
        n -= len + 1;
    }
    return false;
}

struct find_port {
    unsigned port;
    bool found;
};

static bool find_line(void *ctx, const char *s, size_t n)
{
    struct find_port *f = ctx;
    if (net_tcp_line_listens(s, n, f->port))
        f->found = true;
    return !f->found; /* stop at the first */
}

int net_port_listened(unsigned port)
{
    static const char *const files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    bool readable = false;
    for (size_t k = 0; k < 2; k++) {
        struct find_port f = {port, false};
        if (proc_read_lines(files[k], find_line, &f) != PROC_READ_OK)
            continue; /* tcp6 is missing where IPv6 is off */
        readable = true;
        if (f.found)
            return 1;
    }
    return readable ? 0 : -1;
}
