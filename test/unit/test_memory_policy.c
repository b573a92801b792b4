/* Unit tests of the memory warnings and the guard, as sequences of samples,
 * and of the l2met metrics line. */
#include "dyno/l2met.h"
#include "dyno/memory_policy.h"
#include "unit.h"

#define MB (1024ULL * 1024)
#define MIN (60LL * 1000)
#define QUOTA (512 * MB)

static struct watch_member members[3];

static void set_members(unsigned long long puma, unsigned long long sidekiq,
                        unsigned long long streaming)
{
    members[0] = (struct watch_member){"puma", puma * MB, false, true, false, 0};
    bool ever = members[1].ever_restarted;
    long long when = members[1].restarted_ms;
    members[1] = (struct watch_member){"sidekiq", sidekiq * MB, true, true, ever, when};
    members[2] = (struct watch_member){"streaming", streaming * MB, false, true, false, 0};
}

/* One sample at time t (ms) with the dyno at used MB. */
static struct watch_decision at(struct watch_state *st, long long t, unsigned long long used,
                                unsigned guard)
{
    struct watch_decision d;
    watch_decide(st, t, used * MB, QUOTA, guard, members, 3, &d);
    if (d.restart >= 0) {
        members[d.restart].ever_restarted = true;
        members[d.restart].restarted_ms = t;
    }
    return d;
}

static void test_levels(void)
{
    CHECK(watch_level(0, QUOTA) == 0);
    CHECK(watch_level(QUOTA * 9 / 10 - 1, QUOTA) == 0);
    CHECK(watch_level((QUOTA * 9 + 9) / 10, QUOTA) == 1);
    CHECK(watch_level(QUOTA - 1, QUOTA) == 1);
    CHECK(watch_level(QUOTA, QUOTA) == 2);
    CHECK(watch_level(~0ULL, QUOTA) == 2); /* no overflow */
    CHECK(watch_level(~0ULL, ~0ULL) == 2);
    CHECK(watch_level(1, 0) == 0);         /* unknown quota: nothing */
}

static void test_warnings(void)
{
    struct watch_state st = {0};
    set_members(200, 200, 20);
    struct watch_decision d = at(&st, 0, 400, 0);
    CHECK(!d.line);
    d = at(&st, 20000, 470, 0); /* 91.8 % */
    CHECK(d.line && d.from == 0 && d.to == 1);
    d = at(&st, 40000, 480, 0);
    CHECK(!d.line); /* still at the same level */
    d = at(&st, 60000, 520, 0);
    CHECK(d.line && d.from == 1 && d.to == 2);
    d = at(&st, 80000, 470, 0); /* back under 100 %: about level 2, written 20 s ago */
    CHECK(!d.line);
    d = at(&st, 60000 + 5 * MIN - 1, 470, 0);
    CHECK(!d.line);
    d = at(&st, 60000 + 5 * MIN, 470, 0); /* held back until 5 minutes had passed */
    CHECK(d.line && d.from == 2 && d.to == 1);
    d = at(&st, 60000 + 5 * MIN + 20000, 300, 0); /* under 90 %: level 1's line was long ago */
    CHECK(d.line && d.from == 1 && d.to == 0);
    d = at(&st, 60000 + 5 * MIN + 40000, 470, 0); /* up again, 40 s after a level-1 line */
    CHECK(!d.line);
    d = at(&st, 60000 + 5 * MIN + 60000, 300, 0); /* and down: the log still says under 90 % */
    CHECK(!d.line);

    /* A jump from under 90 % to over 100 % is one line. */
    struct watch_state s2 = {0};
    d = at(&s2, 0, 600, 0);
    CHECK(d.line && d.from == 0 && d.to == 2);
    d = at(&s2, 20000, 100, 0);
    CHECK(!d.line); /* level 2 again within 5 minutes */
    d = at(&s2, 5 * MIN, 100, 0);
    CHECK(d.line && d.from == 2 && d.to == 0);

    /* The line names every member, biggest first, with its share. */
    set_members(180, 250, 20);
    struct watch_decision up = {true, 0, 1, -1, -1};
    strbuf sb = STRBUF_INIT;
    watch_format_level(&sb, &up, 470 * MB, QUOTA, members, 3);
    CHECK_STR(sb.data, "memory 470 MB of 512 MB (92 %), over 90 %: sidekiq 250 MB (53 %), "
                       "puma 180 MB (38 %), streaming 20 MB (4 %)");
    sb_free(&sb);
    struct watch_decision over = {true, 1, 2, -1, -1};
    watch_format_level(&sb, &over, 530 * MB, QUOTA, members, 3);
    CHECK_STR(sb.data, "memory 530 MB of 512 MB (104 %), over 100 % (the dyno's quota): "
                       "sidekiq 250 MB (47 %), puma 180 MB (34 %), streaming 20 MB (4 %)");
    sb_free(&sb);
    struct watch_decision down1 = {true, 2, 1, -1, -1}, down0 = {true, 1, 0, -1, -1};
    watch_format_level(&sb, &down1, 500 * MB, QUOTA, members, 3);
    CHECK(strstr(sb.data, "back under 100 %: sidekiq") != NULL);
    sb_free(&sb);
    watch_format_level(&sb, &down0, 300 * MB, QUOTA, members, 3);
    CHECK(strstr(sb.data, "back under 90 %: ") != NULL);
    sb_free(&sb);
    /* Equal members keep file order. */
    set_members(100, 100, 100);
    watch_format_shares(&sb, 300 * MB, members, 3);
    CHECK_STR(sb.data, "puma 100 MB (33 %), sidekiq 100 MB (33 %), streaming 100 MB (33 %)");
    sb_free(&sb);
}

static void test_guard(void)
{
    struct watch_state st = {0};
    members[1].ever_restarted = false;
    set_members(200, 300, 20);
    /* One sample over is not enough; two in a row are. */
    CHECK(at(&st, 0, 530, 100).restart == -1);
    CHECK(at(&st, 20000, 500, 100).restart == -1); /* dipped under: the count starts again */
    CHECK(at(&st, 40000, 520, 100).restart == -1);
    struct watch_decision d = at(&st, 60000, 525, 100);
    CHECK(d.restart == 1); /* sidekiq: the only one allowed, even if puma were bigger */
    /* Two more samples over right after: sidekiq was restarted a minute ago. */
    CHECK(at(&st, 80000, 530, 100).restart == -1);
    d = at(&st, 100000, 530, 100);
    CHECK(d.restart == -1 && d.held_back == 1);
    d = at(&st, 120000, 530, 100);
    CHECK(d.restart == -1 && d.held_back == -1); /* said once, not every sample */
    d = at(&st, 100000 + 5 * MIN, 530, 100);
    CHECK(d.restart == -1 && d.held_back == 1); /* said again 5 minutes later */
    /* 10 minutes after the restart it may act again. */
    d = at(&st, 60000 + 10 * MIN, 530, 100);
    CHECK(d.restart == 1);

    /* The guard level: 90 % where going over is fatal. */
    struct watch_state s2 = {0};
    members[1].ever_restarted = false;
    CHECK(at(&s2, 0, 470, 90).restart == -1);
    CHECK(at(&s2, 20000, 470, 90).restart == 1);
    struct watch_state s3 = {0};
    members[1].ever_restarted = false;
    CHECK(at(&s3, 0, 470, 100).restart == -1);
    CHECK(at(&s3, 20000, 470, 100).restart == -1); /* Cedar: 92 % is only a warning */

    /* The biggest allowed member not restarted lately; none allowed: nothing. */
    struct watch_state s4 = {0};
    members[1].ever_restarted = false;
    set_members(300, 150, 20);
    members[0].may_restart = true;
    members[1].may_restart = true;
    at(&s4, 0, 530, 100);
    CHECK(at(&s4, 20000, 530, 100).restart == 0); /* puma, the bigger */
    at(&s4, 40000, 530, 100);
    CHECK(at(&s4, 60000, 530, 100).restart == 1); /* puma just was: sidekiq */
    struct watch_state s5 = {0};
    set_members(300, 150, 20);
    members[1].may_restart = false;
    at(&s5, 0, 530, 100);
    d = at(&s5, 20000, 530, 100);
    CHECK(d.restart == -1 && d.held_back == -1);
    /* A member not running (or being restarted) is not picked. */
    struct watch_state s6 = {0};
    members[1].ever_restarted = false;
    set_members(300, 150, 20);
    members[1].restartable = false;
    at(&s6, 0, 530, 100);
    CHECK(at(&s6, 20000, 530, 100).restart == -1);
    /* Unknown quota or guard off: never. */
    struct watch_state s7 = {0};
    set_members(300, 150, 20);
    struct watch_decision u;
    watch_decide(&s7, 0, 530 * MB, 0, 100, members, 3, &u);
    watch_decide(&s7, 20000, 530 * MB, 0, 100, members, 3, &u);
    CHECK(u.restart == -1 && !u.line);
    CHECK(at(&s7, 40000, 530, 0).restart == -1);
    CHECK(at(&s7, 60000, 530, 0).restart == -1);
}

static void test_l2met(void)
{
    set_members(180, 250, 20);
    members[0].bytes = 188743680; /* 180.00 MiB */
    members[1].bytes = 262144000 + 5243; /* 250.005 MiB: rounds to 250.01 */
    strbuf sb = STRBUF_INIT;
    l2met_memory_line(&sb, "web.1", 470 * MB, 0, QUOTA, members, 3);
    CHECK_STR(sb.data, "source=web.1 sample#memory_total=470.00MB sample#memory_swap=0.00MB "
                       "sample#memory_quota=512.00MB sample#memory.puma=180.00MB "
                       "sample#memory.sidekiq=250.01MB sample#memory.streaming=20.00MB\n");
    sb_free(&sb);
    /* An odd DYNO is left out, an unknown quota too. */
    l2met_memory_line(&sb, "web 1;x=y", 1536 * 1024, 512 * 1024, 0, members, 1);
    CHECK_STR(sb.data, "sample#memory_total=1.50MB sample#memory_swap=0.50MB "
                       "sample#memory.puma=180.00MB\n");
    sb_free(&sb);
    l2met_memory_line(&sb, NULL, ~0ULL, 0, 0, members, 0);
    CHECK(sb.data[sb.len - 1] == '\n');
    sb_free(&sb);
    CHECK(l2met_name_ok("web-12a34b56d-e78f9"));
    CHECK(l2met_name_ok("web.1"));
    CHECK(!l2met_name_ok(""));
    CHECK(!l2met_name_ok(NULL));
    CHECK(!l2met_name_ok("a=b"));
    CHECK(!l2met_name_ok("a b"));
}

int main(void)
{
    test_levels();
    test_warnings();
    test_guard();
    test_l2met();
    UNIT_DONE();
}
