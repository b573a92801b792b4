/* libFuzzer target: the warnings and the guard over a sequence of samples
 * made from the input (each sample: time step, dyno usage, three members'
 * sizes), with the rules as invariants: no restart before two samples in a
 * row at or over the guard level; never one member twice within 10 minutes;
 * at most one line about a level per 5 minutes; lines never repeat the level
 * the log already states. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dyno/l2met.h"
#include "dyno/memory_policy.h"

#define MB (1024ULL * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned guard = data[0] & 1 ? 100 : 90;
    unsigned long long quota = (64 + data[1]) * MB;
    struct watch_member m[3] = {
        {"puma", 0, data[0] & 2, true, false, 0},
        {"sidekiq", 0, true, true, false, 0},
        {"streaming", 0, data[0] & 4, true, false, 0},
    };
    struct watch_state st = {0};
    long long now = 0, last_line[3] = {-1, -1, -1};
    int announced = 0;
    unsigned over = 0;
    for (size_t i = 2; i + 5 <= size; i += 5) {
        now += (long long)data[i] * 5000; /* up to about 21 minutes per step */
        unsigned long long used = quota * data[i + 1] / 128;
        for (int k = 0; k < 3; k++)
            m[k].bytes = used * data[i + 2 + k] / 255;
        struct watch_decision d;
        watch_decide(&st, now, used, quota, guard, m, 3, &d);
        bool is_over = used * 100 >= quota * guard;
        over = is_over ? over + 1 : 0;
        if (d.restart >= 0) {
            if (over < 2 || !m[d.restart].may_restart)
                abort();
            if (m[d.restart].ever_restarted && now - m[d.restart].restarted_ms < 10 * 60 * 1000)
                abort();
            m[d.restart].ever_restarted = true;
            m[d.restart].restarted_ms = now;
            over = 0;
        }
        if (d.line) {
            int about = d.to > d.from ? d.to : d.from;
            if (d.from != announced || d.to == d.from || d.to != watch_level(used, quota))
                abort();
            if (last_line[about] >= 0 && now - last_line[about] < 5 * 60 * 1000)
                abort();
            last_line[about] = now;
            announced = d.to;
            strbuf sb = STRBUF_INIT;
            watch_format_level(&sb, &d, used, quota, m, 3);
            l2met_memory_line(&sb, "web.1", used, 0, quota, m, 3);
            sb_free(&sb);
        }
    }
    return 0;
}
