/* Stopping and reaping: the one place that asks a member to stop (its signal
 * now, SIGKILL at its deadline), the dyno-wide stop built on it, and the
 * bookkeeping that tells when a member's processes are really gone. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "dyno/run.h"

/* Asks member m to stop: sig to its group now, SIGKILL at deadline_ms. */
void stop_member(struct supervisor *sv, struct member *m, int sig, long long deadline_ms)
{
    (void)sv;
    if (m->state == MEMBER_NOT_STARTED)
        return;
    m->state = MEMBER_STOPPING;
    m->stop_deadline_ms = deadline_ms;
    if (m->group_alive)
        kill(-m->pid, sig);
}

/* sig to every member's group, stopping none: what control signals get. */
void signal_members(struct supervisor *sv, int sig)
{
    for (size_t i = 0; i < sv->n; i++)
        if (sv->members[i].group_alive)
            kill(-sv->members[i].pid, sig);
}

static bool in_member_group(const struct supervisor *sv, pid_t pid)
{
    pid_t pgid = getpgid(pid);
    for (size_t i = 0; i < sv->n; i++)
        if (sv->members[i].pid == pgid)
            return true;
    return false;
}

/* Our children outside every member group: processes that left their group
 * (setsid, setpgid) and were orphaned to us. The group signals miss them. */
static void signal_strays(struct supervisor *sv, int sig)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    FILE *f = fopen(path, "re");
    if (!f)
        return; /* kernels without it: Heroku stops such strays with the dyno */
    long pid;
    while (fscanf(f, "%ld", &pid) == 1)
        if (!in_member_group(sv, (pid_t)pid))
            kill((pid_t)pid, sig);
    fclose(f);
}

/* Begins the dyno's stop: sig to every member, SIGKILL at the deadline. */
void begin_stop(struct supervisor *sv, int sig, int exit_status)
{
    sv->stop_signal = sig;
    sv->exit_status = exit_status;
    sv->deadline_ms = now_ms() + (long long)sv->grace_ms;
    for (size_t i = 0; i < sv->n; i++) {
        struct member *m = &sv->members[i];
        if (m->restarting) {
            /* Already stopping for a restart in place: not started again,
             * and its SIGKILL comes at the earlier of the two deadlines. */
            m->restarting = false;
            if (!m->killed && sv->deadline_ms < m->stop_deadline_ms)
                m->stop_deadline_ms = sv->deadline_ms;
            continue;
        }
        stop_member(sv, m, sig, sv->deadline_ms);
    }
    signal_strays(sv, sig);
}

void stop_wording(const struct supervisor *sv, int sig, char *space, size_t size)
{
    char name[32], grace[32];
    snprintf(space, size, "%s to every member, SIGKILL after %s", signal_name(sig, name, sizeof name),
             seconds_text(sv->grace_ms, grace, sizeof grace));
}

static void member_ended(struct supervisor *sv, struct member *m, int wait_status)
{
    char how[96], plan[96];

    m->running = false;
    describe_end(wait_status, how, sizeof how);
    if (m->restarting) { /* the memory guard stopped it, to start it again */
        msg_note("%s %s (stopped for its restart in place)", m->name, how);
        return;
    }
    if (sv->stop_signal) {
        msg_note("%s %s", m->name, how);
        return;
    }
    stop_wording(sv, SIGTERM, plan, sizeof plan);
    msg_note("%s %s; stopping the others (%s)", m->name, how, plan);
    begin_stop(sv, SIGTERM, exit_code_of(wait_status));
}

/* Reaps every child that has ended: members, and orphans re-parented to us. */
void reap_children(struct supervisor *sv)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < sv->n; i++)
            if (sv->members[i].pid == pid && sv->members[i].running)
                member_ended(sv, &sv->members[i], status);
    }
}

/* A group is gone once no process is left in it. Its last process may have
 * been a child of a process outside the group, so we ask the kernel. */
void check_groups(struct supervisor *sv)
{
    for (size_t i = 0; i < sv->n; i++) {
        struct member *m = &sv->members[i];
        if (m->group_alive && !m->running && kill(-m->pid, 0) != 0 && errno == ESRCH)
            m->group_alive = false;
    }
}

/* SIGKILL to every member whose grace is over, and at the dyno's deadline to
 * what left the member groups. */
void enforce_deadlines(struct supervisor *sv)
{
    long long now = now_ms();
    strbuf left = STRBUF_INIT;
    for (size_t i = 0; i < sv->n; i++) {
        struct member *m = &sv->members[i];
        if (m->state != MEMBER_STOPPING || m->killed || now < m->stop_deadline_ms)
            continue;
        m->killed = true;
        if (m->group_alive) {
            sb_printf(&left, "%s%s", left.len ? ", " : "", m->name);
            kill(-m->pid, SIGKILL);
        }
    }
    char grace[32];
    if (left.len)
        msg_note("grace period over (%s): SIGKILL to what is left of %s",
                 seconds_text(sv->grace_ms, grace, sizeof grace), left.data);
    sb_free(&left);
    if (sv->stop_signal && !sv->killed && now >= sv->deadline_ms) {
        sv->killed = true;
        signal_strays(sv, SIGKILL);
    }
}

static bool have_children(void)
{
    siginfo_t info;
    info.si_pid = 0;
    return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* Done when no member group is left and every child is reaped. Strays outside
 * the groups get the stop signal once the groups are gone, SIGKILL at the
 * deadline; if they cannot be found (no /proc), we stop waiting a second later. */
bool finished(struct supervisor *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        if (sv->members[i].running || sv->members[i].group_alive)
            return false;
    if (!have_children())
        return true;
    if (!sv->strays_signalled) {
        sv->strays_signalled = true;
        signal_strays(sv, sv->killed ? SIGKILL : sv->stop_signal);
    }
    return sv->killed && now_ms() >= sv->deadline_ms + 1000;
}
