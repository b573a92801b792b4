/* Unit tests of the /proc/net/tcp and tcp6 parser, and of a real listening
 * socket found through it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dyno/net_listen.h"
#include "unit.h"

#define S(x) x, sizeof(x) - 1

/* Shaped like Linux 6.x: a header, a listener on 5000 (0x1388), an
 * established connection from 5000, a listener on 6379. */
static const char tcp[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 41234 1 0000000000000000 100 0 0 10 0\n"
    "   1: 0100007F:1389 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 41240 1 0000000000000000 20 4 30 10 -1\n"
    "  12: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 1060 1 0000000000000000 100 0 0 10 0\n";

static const char tcp6[] =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 51234 1 0000000000000000 100 0 0 10 0\n";

int main(void)
{
    CHECK(net_tcp_text_listens(S(tcp), 5000));
    CHECK(net_tcp_text_listens(S(tcp), 6379));
    CHECK(!net_tcp_text_listens(S(tcp), 5001)); /* only a connection from it */
    CHECK(!net_tcp_text_listens(S(tcp), 53999));
    CHECK(net_tcp_text_listens(S(tcp6), 8080));
    CHECK(!net_tcp_text_listens(S(tcp6), 5000));
    CHECK(!net_tcp_text_listens(S(""), 5000));
    /* Malformed lines never count. */
    CHECK(!net_tcp_line_listens(S("   0: 00000000:1388 00000000:0000 0A"), 5001));
    CHECK(net_tcp_line_listens(S("   0: 00000000:1388 00000000:0000 0A"), 5000));
    CHECK(!net_tcp_line_listens(S("   0: 0000000:1388 00000000:0000 0A"), 5000));   /* 7 digits */
    CHECK(!net_tcp_line_listens(S("   0: 00000000:138 00000000:0000 0A"), 5000));   /* 3-digit port */
    CHECK(!net_tcp_line_listens(S("   0: 00000000:1388 00000000:0000 0AB"), 5000)); /* state */
    CHECK(!net_tcp_line_listens(S("   0: 00000000:1388 00000000:0000"), 5000));
    CHECK(!net_tcp_line_listens(S("   x: 00000000:1388 00000000:0000 0A"), 5000));
    CHECK(!net_tcp_line_listens(S("0 00000000:1388 00000000:0000 0A"), 5000));
    CHECK(!net_tcp_line_listens(S("   0: 0000000G:1388 00000000:0000 0A"), 5000));
    CHECK(net_tcp_line_listens(S("0: 0000000a:1388 00000000:0000 0a"), 5000)); /* lower case */

    /* A real listener on a port the kernel picks, on loopback. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    socklen_t len = sizeof a;
    CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    unsigned port = ntohs(a.sin_port);
    CHECK(net_port_listened(port) == 0); /* bound, not yet listening */
    CHECK(listen(fd, 1) == 0);
    CHECK(net_port_listened(port) == 1);
    close(fd);
    CHECK(net_port_listened(port) == 0);
    /* The same over IPv6 where the machine has it. */
    int fd6 = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd6 >= 0) {
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = in6addr_loopback};
        if (bind(fd6, (struct sockaddr *)&a6, sizeof a6) == 0) {
            len = sizeof a6;
            CHECK(getsockname(fd6, (struct sockaddr *)&a6, &len) == 0);
            CHECK(listen(fd6, 1) == 0);
            CHECK(net_port_listened(ntohs(a6.sin6_port)) == 1);
        }
        close(fd6);
    }
    UNIT_DONE();
}
