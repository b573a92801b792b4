/* libFuzzer target: the /proc/net/tcp(6) parser. Invariants: a text listens
 * on a port exactly when one of its lines does; a line that listens on one
 * port listens on no other. The first two bytes choose the port. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dyno/net_listen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned port = (unsigned)data[0] << 8 | data[1];
    const char *text = (const char *)data + 2;
    size_t n = size - 2;
    bool any = false;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && text[i] != '\n')
            continue;
        bool here = net_tcp_line_listens(text + start, i - start, port);
        if (here && net_tcp_line_listens(text + start, i - start, (port + 1) & 0xffff))
            abort();
        any |= here;
        start = i + 1;
    }
    if (net_tcp_text_listens(text, n, port) != any)
        abort();
    return 0;
}
