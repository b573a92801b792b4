/* Stopping and reaping.
 *
 * stop_member() is the one place that asks a member to stop: its signal to
 * the member's process group and to every descendant that left the group (a
 * `setsid` daemon three levels down gets nothing sent to the group), then
 * SIGCONT to the same, so a stopped process can act on the signal instead of
 * waiting out the grace; SIGKILL to what is left at the member's own deadline.
 * The dyno's stop (begin_stop) stops every member that way with one deadline,
 * and also reaches the outsiders: the processes we inherited (a .profile.d
 * script's background agent becomes our child when the dyno's shell execs us)
 * and orphans that left their group. Each process gets the stop signal once:
 * Heroku sends SIGTERM to every process itself, and a second one must not cut
 * anybody's shutdown short. (A member stopped alone reaches its group and
 * the descendants still below it; an orphan that left its group has lost
 * that tie, and only the dyno's stop reaches it.)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/xalloc.h"
#include "dyno/run.h"
#include "dyno/run_proc.h"

/* After SIGKILL to everything, how long to wait for processes we cannot see
 * (no /proc) before giving up on them. */
#define GIVE_UP_AFTER_KILL_MS 1000

/* How many outsiders a note names before "and N more". */
#define NAMED_MAX 5

static bool is_member_group(const struct supervisor *sv, pid_t pgid)
{
    for (size_t i = 0; i < sv->n; i++)
        if (sv->members[i].state != MEMBER_NOT_STARTED && sv->members[i].pid == pgid)
            return true;
    return false;
}

static bool already_signalled(const struct supervisor *sv, const struct proc_info *p)
{
    for (size_t i = 0; i < sv->n_outsiders; i++)
        if (sv->outsiders[i].pid == p->pid && sv->outsiders[i].start == p->start)
            return true;
    return false;
}

static void remember_signalled(struct supervisor *sv, const struct proc_info *p)
{
    sv->outsiders = xgrow(sv->outsiders, sv->n_outsiders, &sv->cap_outsiders, sizeof *sv->outsiders);
    sv->outsiders[sv->n_outsiders++] = (struct outsider){.pid = p->pid, .start = p->start};
}

/* A process of ours to stop apart from its group: it descends from root, is
 * alive, and is in no member's group (those get the group signal). */
static bool outside_groups(const struct supervisor *sv, const struct proc_table *t,
                           const struct proc_info *p, pid_t root)
{
    return p->state != 'Z' && p->pid != sv->self && !is_member_group(sv, p->pgid) &&
           proc_descends_from(t, p->pid, root);
}

/* sig, then SIGCONT, to each process outside the groups below root that has
 * not had the stop signal yet. With sig SIGKILL: to all of them. */
static void signal_outside(struct supervisor *sv, const struct proc_table *t, pid_t root, int sig)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct proc_info *p = &t->p[i];
        if (!outside_groups(sv, t, p, root))
            continue;
        if (sig != SIGKILL) {
            if (already_signalled(sv, p))
                continue;
            remember_signalled(sv, p);
        }
        kill(p->pid, sig);
        if (sig != SIGKILL)
            kill(p->pid, SIGCONT);
    }
}

static void stop_member_in(struct supervisor *sv, const struct proc_table *t, struct member *m,
                           int sig, long long deadline_ms)
{
    if (m->state == MEMBER_NOT_STARTED)
        return;
    if (m->state == MEMBER_STOPPING) {
        /* Already asked (stopped alone, to restart it): once is enough; the
         * earlier deadline stands. */
        if (deadline_ms < m->stop_deadline_ms)
            m->stop_deadline_ms = deadline_ms;
        return;
    }
    m->state = MEMBER_STOPPING;
    m->stop_signal = sig;
    m->stop_deadline_ms = deadline_ms;
    if (m->group_alive) {
        kill(-m->pid, sig);
        kill(-m->pid, SIGCONT);
    }
    signal_outside(sv, t, m->pid, sig);
}

void stop_member(struct supervisor *sv, struct member *m, int sig, long long deadline_ms)
{
    struct proc_table t = {0};
    proc_table_read(&t, sv->self);
    stop_member_in(sv, &t, m, sig, deadline_ms);
    proc_table_free(&t);
}

void begin_stop(struct supervisor *sv, int sig, int exit_status)
{
    struct proc_table t = {0};
    proc_table_read(&t, sv->self);
    sv->stop_signal = sig;
    sv->exit_status = exit_status;
    sv->deadline_ms = now_ms() + (long long)sv->grace_ms;
    /* A member stopping for its restart in place is not started again; it
     * has had its signal, and the earlier deadline stands (stop_member_in). */
    for (size_t i = 0; i < sv->n; i++)
        sv->members[i].restarting = false;
    for (size_t i = 0; i < sv->n; i++)
        stop_member_in(sv, &t, &sv->members[i], sig, sv->deadline_ms);
    signal_outside(sv, &t, sv->self, sig);
    proc_table_free(&t);
    sv->last_scan_ms = now_ms(); /* the next look for new processes: in STOP_POLL_MS */
}

/* SIGKILL to every member group and every outsider, now. */
static void kill_all(struct supervisor *sv)
{
    struct proc_table t = {0};
    proc_table_read(&t, sv->self);
    for (size_t i = 0; i < sv->n; i++) {
        struct member *m = &sv->members[i];
        if (m->state == MEMBER_NOT_STARTED)
            continue;
        m->killed = true;
        if (m->group_alive)
            kill(-m->pid, SIGKILL);
    }
    signal_outside(sv, &t, sv->self, SIGKILL);
    proc_table_free(&t);
    sv->killed = true;
    sv->killed_at_ms = now_ms();
}

void kill_everything_now(struct supervisor *sv)
{
    sv->cut_short = true;
    kill_all(sv);
}

const char *stop_wording(const struct supervisor *sv, int sig, char *space, size_t size)
{
    char name[32], grace[32];
    snprintf(space, size, "%s to %s, SIGKILL after %s", signal_name(sig, name, sizeof name),
             sv->n == 1 ? sv->members[0].name : "every member",
             seconds_text(sv->grace_ms, grace, sizeof grace));
    return space;
}

/* "123 (sh ./agent.sh), 456 (sleep 20)" for the outsiders still alive;
 * their count is returned. */
static size_t name_outsiders(struct supervisor *sv, strbuf *names)
{
    struct proc_table t = {0};
    size_t count = 0;
    if (proc_table_read(&t, sv->self) != 0)
        return 0;
    for (size_t i = 0; i < t.n; i++) {
        const struct proc_info *p = &t.p[i];
        if (!outside_groups(sv, &t, p, sv->self))
            continue;
        if (count++ < NAMED_MAX) {
            char command[96];
            proc_command_text(p->pid, command, sizeof command);
            sb_printf(names, "%s%d (%s)", names->len ? ", " : "", (int)p->pid, command);
        }
    }
    if (count > NAMED_MAX)
        sb_printf(names, " and %zu more", count - NAMED_MAX);
    proc_table_free(&t);
    return count;
}

void note_inherited(struct supervisor *sv)
{
    strbuf names = STRBUF_INIT;
    sv->n_inherited = name_outsiders(sv, &names);
    if (sv->n_inherited)
        note(sv, "%zu process%s already running under solodyno run (left by the shell that ran "
                 "it, from .profile.d for one): %s; %s stopped with the dyno",
             sv->n_inherited, sv->n_inherited == 1 ? "" : "es", names.data,
             sv->n_inherited == 1 ? "it is" : "they are");
    sb_free(&names);
}

/* How a member that ended during the dyno's stop ended, as asked or not. */
static void describe_stopped(const struct supervisor *sv, const struct member *m, int status,
                             char *space, size_t size)
{
    char sig[32];
    if (WIFEXITED(status))
        snprintf(space, size, "%s stopped (exit status %d)", m->name, WEXITSTATUS(status));
    else if (WTERMSIG(status) == m->stop_signal)
        snprintf(space, size, "%s stopped (%s)", m->name, signal_name(m->stop_signal, sig, sizeof sig));
    else if (WTERMSIG(status) == SIGKILL && m->killed)
        snprintf(space, size, "%s was killed by SIGKILL %s", m->name,
                 sv->cut_short ? "(the grace period was cut short)" : "at the end of the grace period");
    else {
        char how[64];
        describe_end(status, how, sizeof how);
        snprintf(space, size, "%s %s while stopping", m->name, how);
    }
}

static void member_ended(struct supervisor *sv, struct member *m, int status)
{
    char how[96], text[192], plan[128];

    m->running = false;
    if (m->has_terminal) {
        /* Take the terminal back (SIGTTOU is blocked, so we may), so the
         * shell that started us finds it as it left it. */
        tcsetpgrp(STDIN_FILENO, sv->own_pgrp);
        m->has_terminal = false;
    }
    if (m->restarting) { /* the memory guard stopped it, to start it again */
        describe_end(status, how, sizeof how);
        note(sv, "%s %s (stopped for its restart in place)", m->name, how);
        return;
    }
    if (sv->stop_signal || m->state == MEMBER_STOPPING) {
        /* Asked to stop: with the dyno, or alone (by whoever called
         * stop_member()). */
        describe_stopped(sv, m, status, text, sizeof text);
        note(sv, "%s", text);
        return;
    }
    /* It ended on its own: that ends the dyno (Heroku then restarts it). */
    describe_end(status, how, sizeof how);
    bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (sv->n == 1)
        note(sv, "%s %s, which ends the dyno%s", m->name, how,
             clean ? " (a member is expected to run until the dyno stops)" : "");
    else
        note(sv, "%s %s, which ends the dyno%s; stopping the others (%s)", m->name, how,
             clean ? " (a member is expected to run until the dyno stops)" : "",
             stop_wording(sv, SIGTERM, plan, sizeof plan));
    begin_stop(sv, SIGTERM, exit_code_of(status));
}

/* A member's shell was stopped (SIGTSTP, SIGSTOP...). Ctrl-Z at the terminal
 * stops the member in the foreground, not us: we never suspend (the shell
 * that started us would not know its job is stopped), so it is continued. */
static void member_stopped(struct supervisor *sv, struct member *m, int sig)
{
    char name[32];
    signal_name(sig, name, sizeof name);
    if (m->has_terminal && (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)) {
        note(sv, "%s was stopped by %s (Ctrl-Z): continuing it, as solodyno run does not suspend; "
                 "Ctrl-C stops it", m->name, name);
        kill(-m->pid, SIGCONT);
        return;
    }
    note(sv, "%s was stopped by %s; `solodyno signal %s CONT` continues it", m->name, name, m->name);
}

static struct member *member_of(struct supervisor *sv, pid_t pid)
{
    for (size_t i = 0; i < sv->n; i++)
        if (sv->members[i].running && sv->members[i].pid == pid)
            return &sv->members[i];
    return NULL;
}

/* Reaps every child that has ended: members, outsiders and orphans. */
void reap_children(struct supervisor *sv)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG | WUNTRACED)) > 0) {
        struct member *m = member_of(sv, pid);
        if (!m)
            continue; /* an orphan or an outsider: reaped, nothing to say */
        if (WIFSTOPPED(status))
            member_stopped(sv, m, WSTOPSIG(status));
        else
            member_ended(sv, m, status);
    }
}

/* A group is gone once no process is left in it. Its last process may have
 * been a child of a process outside the group, so we ask the kernel. */
static void check_groups(struct supervisor *sv)
{
    for (size_t i = 0; i < sv->n; i++) {
        struct member *m = &sv->members[i];
        if (m->group_alive && !m->running && kill(-m->pid, 0) != 0 && errno == ESRCH)
            m->group_alive = false;
    }
}

/* SIGKILL to a member whose own grace is over (one stopped alone, before
 * the dyno's deadline, which is enforced first and for all at once). */
static void enforce_member_deadlines(struct supervisor *sv, long long now)
{
    for (size_t i = 0; i < sv->n; i++) {
        struct member *m = &sv->members[i];
        if (m->state != MEMBER_STOPPING || m->killed || now < m->stop_deadline_ms)
            continue;
        m->killed = true;
        struct proc_table t = {0};
        proc_table_read(&t, sv->self);
        if (m->group_alive)
            kill(-m->pid, SIGKILL);
        signal_outside(sv, &t, m->pid, SIGKILL);
        proc_table_free(&t);
        note(sv, "grace period of %s over: SIGKILL to what is left of it", m->name);
    }
}

/* The dyno's deadline: SIGKILL to everything left, naming what it was. */
static void enforce_dyno_deadline(struct supervisor *sv, long long now)
{
    if (!sv->stop_signal || sv->killed || now < sv->deadline_ms)
        return;
    strbuf left = STRBUF_INIT, outsiders = STRBUF_INIT;
    for (size_t i = 0; i < sv->n; i++)
        if (sv->members[i].group_alive)
            sb_printf(&left, "%s%s", left.len ? ", " : "", sv->members[i].name);
    if (name_outsiders(sv, &outsiders))
        sb_printf(&left, "%sprocesses outside the members: %s", left.len ? "; " : "", outsiders.data);
    char grace[32];
    if (left.len)
        note(sv, "grace period over (%s): SIGKILL to what is left of %s",
             seconds_text(sv->grace_ms, grace, sizeof grace), left.data);
    sb_free(&left);
    sb_free(&outsiders);
    kill_all(sv);
}

/* Once every member group is gone, what we still wait for is outside them:
 * say which processes, once, so a wait until the deadline is not silent. */
static void name_what_we_wait_for(struct supervisor *sv, long long now)
{
    if (!sv->stop_signal || sv->killed || sv->named_waiting)
        return;
    for (size_t i = 0; i < sv->n; i++)
        if (sv->members[i].running || sv->members[i].group_alive)
            return;
    strbuf names = STRBUF_INIT;
    size_t count = name_outsiders(sv, &names);
    if (count) {
        char sig[32], left[32];
        long long ms = sv->deadline_ms > now ? sv->deadline_ms - now : 0;
        note(sv, "every member has stopped; waiting for %zu process%s outside them, which got %s: "
                 "%s (SIGKILL in %s)", count, count == 1 ? "" : "es",
             signal_name(sv->stop_signal, sig, sizeof sig), names.data,
             seconds_text((unsigned long)ms, left, sizeof left));
        sv->named_waiting = true;
    }
    sb_free(&names);
}

void run_stop_checks(struct supervisor *sv)
{
    long long now = now_ms();
    check_groups(sv);
    if (sv->stop_signal && !sv->killed && now - sv->last_scan_ms >= STOP_POLL_MS) {
        /* Processes forked since the stop began get the signal too. */
        struct proc_table t = {0};
        proc_table_read(&t, sv->self);
        signal_outside(sv, &t, sv->self, sv->stop_signal);
        proc_table_free(&t);
        sv->last_scan_ms = now;
    }
    enforce_dyno_deadline(sv, now);
    enforce_member_deadlines(sv, now);
    name_what_we_wait_for(sv, now);
}

static bool have_children(void)
{
    siginfo_t info;
    info.si_pid = 0;
    return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* Done when no member group is left and every child is reaped (an orphan
 * descendant becomes our child, so no child means no descendant). A member
 * still to start keeps us going while the dyno runs. */
bool finished(struct supervisor *sv)
{
    for (size_t i = 0; i < sv->n; i++) {
        const struct member *m = &sv->members[i];
        if (m->running || m->group_alive)
            return false;
        if (m->state == MEMBER_NOT_STARTED && !sv->stop_signal)
            return false;
    }
    if (!have_children())
        return true;
    /* Processes we cannot see (no /proc) got no SIGKILL: do not wait forever. */
    return sv->killed && now_ms() >= sv->killed_at_ms + GIVE_UP_AFTER_KILL_MS;
}
