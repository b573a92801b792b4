#include "dyno/boot_order.h"

#include "common/strbuf.h"
#include "dyno/env_value.h"
#include "dyno/net_listen.h"

void boot_order_plan(struct boot_order *b, const struct watch_settings *s, const char *port,
                     const char *const *commands, size_t n, strbuf *notes)
{
    b->n = n;
    b->first_batch = n;
    b->binder = -1;
    b->waiting = false;
    b->wait_ms = s->boot_wait_ms;
    unsigned long long p;
    if (s->boot_together || s->boot_wait_ms == 0 || !port || !parse_whole(port, 1, 65535, &p))
        return;
    for (size_t i = 0; i < n; i++) {
        if (member_binds_port(commands[i])) {
            b->binder = (int)i;
            break;
        }
    }
    if (b->binder < 0 || (size_t)b->binder + 1 >= n)
        return; /* nobody follows the member that binds $PORT */
    if (net_port_listened((unsigned)p) < 0) {
        sb_append(notes, "cannot read /proc/net/tcp: every member starts at once\n");
        return;
    }
    b->port = (unsigned)p;
    b->first_batch = (size_t)b->binder + 1;
    b->waiting = true;
}

void boot_order_started(struct boot_order *b, long long now)
{
    b->since_ms = now;
    b->next_check_ms = now + BOOT_POLL_MS;
    b->deadline_ms = now + (long long)b->wait_ms;
}

long long boot_order_due(const struct boot_order *b)
{
    if (!b->waiting)
        return -1;
    return b->next_check_ms < b->deadline_ms ? b->next_check_ms : b->deadline_ms;
}

bool boot_order_check(struct boot_order *b, long long now, const char *const *names, strbuf *notes)
{
    if (!b->waiting)
        return false;
    bool listens = net_port_listened(b->port) == 1;
    if (!listens && now < b->deadline_ms) {
        b->next_check_ms = now + BOOT_POLL_MS;
        return false;
    }
    b->waiting = false;
    strbuf who = STRBUF_INIT;
    for (size_t i = b->first_batch; i < b->n; i++)
        sb_printf(&who, "%s%s", who.len ? ", " : "", names[i]);
    long long waited = now - b->since_ms;
    if (listens)
        sb_printf(notes, "%s: starting; %s listens on %u after %lld.%lld s\n", who.data,
                  names[b->binder], b->port, waited / 1000, waited % 1000 / 100);
    else
        sb_printf(notes, "%s: starting; %s did not listen on %u within %lld s (SOLODYNO_BOOT_WAIT)\n",
                  who.data, names[b->binder], b->port, (waited + 500) / 1000);
    sb_free(&who);
    return true;
}
