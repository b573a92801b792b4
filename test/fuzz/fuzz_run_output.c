/* libFuzzer target: solodyno run's output splitter and prefixer, fed arbitrary
 * read chunks, as a member's pipe delivers them.
 *
 * Input: byte 0 picks the prefix length (0 to 69: names are 1 to 63 bytes
 * plus " | "), bytes 1 to 3 pick the chunk sizes in turn (255: the whole room
 * of a read; else 1 + b*b bytes), and the rest is the output, where FE n c
 * stands for byte c repeated (n+1)*64 times, so small inputs make the long
 * lines (over 10 KB) that split. The first FEEDS_MAX reads have the picked
 * sizes, the rest are full. Before the fix, a long line, about 253 short
 * ones and another long line in one read overflowed the splitter's iovec
 * array: run on that code, this target found it in two and a half minutes
 * (216,000 runs) from an empty corpus; the seeds iovec-overflow* are such
 * inputs.
 *
 * Checked: every output line is the prefix, then at most LOG_LINE_MAX bytes
 * in all, then a line end; read back without prefixes and without the line
 * ends we added, the output is the input, byte for byte; we add a line end
 * only where a line was too long (or at the very end); a cut never falls
 * inside a well-formed UTF-8 character.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dyno/run_output.h"

#define TEXT_MAX (READ_SIZE + READ_SIZE / 4) /* more than a full read */
#define FEEDS_MAX 256

static size_t expand(const uint8_t *d, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < cap; i++) {
        if (d[i] == 0xFE && i + 2 < n) {
            size_t rep = ((size_t)d[i + 1] + 1) * 64;
            while (rep-- && o < cap)
                out[o++] = (char)d[i + 2];
            i += 2;
        } else {
            out[o++] = (char)d[i];
        }
    }
    return o;
}

struct collected {
    char *data;
    size_t len, cap;
};

static void collect(void *ctx, int fd, const char *data, size_t len)
{
    struct collected *c = ctx;
    if (fd != 1)
        abort(); /* members' lines go to stdout */
    if (c->len + len > c->cap) {
        c->cap = (c->len + len) * 2;
        c->data = realloc(c->data, c->cap);
        if (!c->data)
            abort();
    }
    memcpy(c->data + c->len, data, len);
    c->len += len;
}

/* Whether the piece ends inside a UTF-8 character that the input completes. */
static int cuts_character(const char *piece, size_t len, const char *next, size_t next_len)
{
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        unsigned char c = (unsigned char)piece[len - back];
        if ((c & 0xC0) == 0x80)
            continue;
        if (c < 0xC0)
            return 0;
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (back >= need)
            return 0;
        size_t more = need - back;
        if (more > next_len)
            return 0;
        for (size_t i = 0; i < more; i++)
            if (((unsigned char)next[i] & 0xC0) != 0x80)
                return 0;
        return 1; /* a whole character, cut */
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char text[TEXT_MAX];
    static char buf[READ_SIZE];
    if (size < 4)
        return 0;
    size_t len = expand(data + 4, size - 4, text, sizeof text);

    char prefix[72];
    size_t plen = data[0] % 70;
    memset(prefix, 'p', plen);
    if (plen >= 3)
        memcpy(prefix + plen - 3, " | ", 3);

    struct output out = {.buf = buf};
    struct stream s = {.fd = -1, .prefix = prefix, .prefix_len = plen};
    size_t pos = 0, turn = 0;
    while (pos < len) {
        uint8_t pick = data[1 + turn++ % 3];
        size_t room = READ_SIZE - s.partial_len;
        /* After FEEDS_MAX small reads, the rest in full ones: each read
         * copies the held-back line, and a million one-byte reads of a long
         * line would only make the fuzzer slow. */
        size_t n = pick == 255 || turn > FEEDS_MAX ? room : 1 + (size_t)pick * pick;
        if (n > room)
            n = room;
        if (n > len - pos)
            n = len - pos;
        stream_feed(&out, &s, text + pos, n);
        pos += n;
    }
    stream_finish(&out, &s);

    struct collected c = {0};
    outq_each(&out.q, collect, &c);
    if (c.len != out.q.queued)
        abort();

    /* Walk output and input side by side. */
    size_t in = 0, o = 0;
    while (o < c.len) {
        const char *nl = memchr(c.data + o, '\n', c.len - o);
        if (!nl)
            abort(); /* every output line ends */
        size_t line = (size_t)(nl - (c.data + o));
        if (line < plen || memcmp(c.data + o, prefix, plen) != 0 || line > LOG_LINE_MAX)
            abort();
        const char *content = c.data + o + plen;
        size_t clen = line - plen;
        if (clen > len - in || memcmp(content, text + in, clen) != 0)
            abort(); /* not the input, in order */
        in += clen;
        if (in < len && text[in] == '\n') {
            in++; /* the member's own line end */
        } else if (in < len) {
            /* We ended a line the member had not: only a long one. */
            if (clen + 3 < LOG_LINE_MAX - plen)
                abort();
            if (cuts_character(content, clen, text + in, len - in))
                abort();
        }
        o += line + 1;
    }
    if (in != len)
        abort(); /* something was dropped */

    free(c.data);
    outq_free(&out.q);
    return 0;
}
