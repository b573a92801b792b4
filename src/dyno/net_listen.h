/* Whether something listens on a TCP port, from /proc/net/tcp and
 * /proc/net/tcp6 (the sockets of this network namespace: on a dyno, the
 * dyno's own).
 *
 * Each line after the header is one socket:
 *   "  0: 00000000:1388 00000000:0000 0A 00000000:00000000 00:00000000 ..."
 * sl, then local address:port and remote address:port in hex (the address is
 * 8 hex digits for IPv4, 32 for IPv6; the port is 4 hex digits in host
 * order), then the state in hex: 0A is TCP_LISTEN (include/net/tcp_states.h).
 */
#ifndef SOLODYNO_NET_LISTEN_H
#define SOLODYNO_NET_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

/* One line of either file: true when it is a socket listening on port. The
 * header line and anything malformed give false. */
bool net_tcp_line_listens(const char *line, size_t n, unsigned port);

/* A whole file's text: true when any line listens on port. */
bool net_tcp_text_listens(const char *text, size_t n, unsigned port);

/* 1 when a socket listens on port (IPv4 or IPv6), 0 when none does, -1 when
 * neither file can be read (no /proc: the caller cannot tell). */
int net_port_listened(unsigned port);

#endif
