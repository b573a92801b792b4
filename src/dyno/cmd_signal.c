/* solodyno signal NAME SIG: sends SIG to one member of the running
 * `solodyno run`, from a shell on the dyno (`heroku ps:exec`).
 *
 * Control signals are meant for one program: Puma's USR1 (phased restart) and
 * USR2 (restart), Sidekiq's TSTP (quiet) and TTIN (thread dump). Sent to
 * every member, they kill the ones that do not handle them (free Sidekiq 6
 * traps only INT, TERM, TTIN and TSTP: sidekiq-6.4.1 lib/sidekiq/cli.rb, in
 * Debian's ruby-sidekiq; Node dies on USR2). So solodyno run passes none of
 * them on, and this command sends one to one member.
 *
 * It goes to the member's main process, not its whole group: Puma's workers
 * are in the master's group and do not trap USR1 or USR2 (puma 5.6.5
 * lib/puma/cluster/worker.rb traps only INT, CHLD, TERM), so a group signal
 * would kill them. The main process is the member's `bash -c` process, which
 * is the program itself when bash execs it (a simple command); when bash stays
 * as a wrapper (a compound command), the signal goes past it, down the chain
 * of only children, to the program. --group sends it to the whole group.
 *
 * The running supervisor and its members are found in its state file
 * (run_state.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "common/log.h"
#include "dyno/run_proc.h"
#include "dyno/run_state.h"

/* How deep a chain of wrapping shells is followed. */
#define WRAPPERS_MAX 8

static void usage(FILE *to)
{
    fputs("usage: solodyno signal [--group] NAME SIG\n"
          "  sends SIG (USR1, SIGUSR1, 10...) to member NAME of the running `solodyno run`\n"
          "  (to its main process; --group: to its whole process group)\n", to);
}

/* "USR1", "SIGUSR1", "usr1", "10", "RTMIN+2": the signal number, or -1. */
static int parse_signal(const char *text)
{
    char *end;
    long n = strtol(text, &end, 10);
    if (*text && *end == '\0')
        return n >= 0 && n < NSIG ? (int)n : -1;
    if (!strncasecmp(text, "SIG", 3))
        text += 3;
    for (int sig = 1; sig < NSIG; sig++) {
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev && !strcasecmp(text, abbrev))
            return sig;
    }
    if (!strncasecmp(text, "RTMIN+", 6)) {
        n = strtol(text + 6, &end, 10);
        if (*end == '\0' && n >= 0 && SIGRTMIN + n <= SIGRTMAX)
            return SIGRTMIN + (int)n;
    }
    return -1;
}

static bool is_shell(pid_t pid)
{
    char exe[64];
    proc_exe_name(pid, exe, sizeof exe);
    return !strcmp(exe, "bash") || !strcmp(exe, "sh") || !strcmp(exe, "dash");
}

/* Past a wrapping shell to the program: while pid is a shell with exactly one
 * live child in its group, that child. */
static pid_t main_process(pid_t member)
{
    pid_t pid = member;
    struct proc_table t = {0};
    if (proc_table_read(&t, member) != 0)
        return pid;
    for (int depth = 0; depth < WRAPPERS_MAX && is_shell(pid); depth++) {
        pid_t only = 0;
        int children = 0;
        for (size_t i = 0; i < t.n; i++)
            if (t.p[i].ppid == pid && t.p[i].pgid == member && t.p[i].state != 'Z') {
                only = t.p[i].pid;
                children++;
            }
        if (children != 1)
            break;
        pid = only;
    }
    proc_table_free(&t);
    return pid;
}

static void list_members(FILE *to, const struct run_state *states, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(to, "solodyno run %s (pid %d):", states[i].file, (int)states[i].pid);
        for (size_t j = 0; j < states[i].n; j++)
            fprintf(to, " %s (pid %d)", states[i].members[j].name, (int)states[i].members[j].pid);
        fputc('\n', to);
    }
}

int cmd_signal(int argc, char **argv)
{
    bool group = argc > 1 && !strcmp(argv[1], "--group");
    if (group)
        argc--, argv++;
    struct run_state *states;
    size_t n;
    if (argc != 3) {
        usage(stderr);
        if (run_state_read_all(&states, &n) == 0) {
            list_members(stderr, states, n);
            run_state_free_all(states, n);
        }
        return 2;
    }
    const char *name = argv[1];
    int sig = parse_signal(argv[2]);
    if (sig < 0) {
        msg_error("'%s' is not a signal (expected a name like USR1 or TSTP, or a number)", argv[2]);
        return 2;
    }
    if (run_state_read_all(&states, &n) != 0 || n == 0) {
        msg_error("no `solodyno run` is running here (none has a state file in %s)",
                  run_state_dir());
        run_state_free_all(states, n);
        return 1;
    }

    const struct run_state *found = NULL;
    const struct run_state_member *member = NULL;
    size_t matches = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < states[i].n; j++)
            if (!strcmp(states[i].members[j].name, name)) {
                found = &states[i];
                member = &states[i].members[j];
                matches++;
            }
    int rc = 1;
    if (matches == 0) {
        msg_error("no member '%s' is running; the running members:", name);
        list_members(stderr, states, n);
    } else if (matches > 1) {
        msg_error("%zu runs of `solodyno run` have a member '%s'; give each its own "
                  "SOLODYNO_RUN_DIR to tell them apart:", matches, name);
        list_members(stderr, states, n);
    } else {
        /* The member's shell must still be the supervisor's child, leading
         * its own group: a pid is reused once its process is gone. */
        struct proc_info p;
        char signame[32];
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev)
            snprintf(signame, sizeof signame, "SIG%s", abbrev);
        else
            snprintf(signame, sizeof signame, "signal %d", sig);
        if (!proc_read_one(member->pid, &p) || p.ppid != found->pid || p.pgid != member->pid) {
            msg_error("%s (pid %d) has just ended", name, (int)member->pid);
        } else {
            pid_t target = group ? -member->pid : main_process(member->pid);
            if (kill(target, sig) != 0) {
                msg_error("cannot send %s to %s: %s", signame, name, strerror(errno));
            } else {
                char command[96];
                proc_command_text(group ? member->pid : target, command, sizeof command);
                if (group)
                    msg_note("%s sent to %s's process group %d", signame, name, (int)member->pid);
                else
                    msg_note("%s sent to %s (pid %d: %s)", signame, name, (int)target, command);
                rc = 0;
            }
        }
    }
    run_state_free_all(states, n);
    return rc;
}
