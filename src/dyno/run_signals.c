/* What each signal sent to solodyno run does.
 *
 * Every signal is blocked from the start and read from a signalfd in the main
 * loop, so none can kill us or a member by surprise, and one that arrives while
 * the members are being started waits for the loop. (tini blocks all but the
 * synchronous fault signals and passes each on to its one child: tini.c,
 * configure_signals and wait_and_forward_signal, krallin/tini 369448a; dumb-init
 * does the same to its child's group: dumb-init.c handle_signal, Yelp/dumb-init
 * 5ccca9c. We cannot pass everything on: we run several programs, and most
 * signals kill a program that does not expect them.)
 *
 *   TERM, INT, HUP   stop the dyno: that signal to every member (Puma, Sidekiq
 *                    and Node all stop cleanly on TERM and INT)
 *   QUIT             stop the dyno, members get TERM: Ruby and Node die at once
 *                    on QUIT, so passing it on would lose Sidekiq's jobs
 *   INT while stopping   SIGKILL to everything now: a second Ctrl-C does not
 *                    wait for the grace period (overmind's convention: start/
 *                    command.go, waitForExit, DarthSim/overmind)
 *   USR1, USR2       not passed on, with a note: they are meant for one
 *                    program (Puma's phased restart and restart, Sidekiq Pro's
 *                    USR2), and free Sidekiq 6 (cli.rb traps only INT, TERM,
 *                    TTIN, TSTP) and Node (USR2; USR1 opens its inspector) die
 *                    or misbehave on them: `solodyno signal NAME SIG` sends one
 *                    to one member
 *   TSTP, TTIN, TTOU never stop us (our members would run on unsupervised); a
 *                    note says how to reach Sidekiq's TSTP and TTIN
 *   CHLD             reap
 *   CONT, WINCH, URG, PIPE   nothing to do, quietly
 *   anything else    ignored, with a note (ALRM, VTALRM, PROF, IO, PWR, XCPU,
 *                    XFSZ, STKFLT, SYS, the real-time signals, and the fault
 *                    signals when sent with kill: a real fault still kills us,
 *                    as the kernel forces those)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "dyno/run.h"

/* A note about an ignored signal at most this often per signal: a signal
 * storm must not flood the log. */
#define IGNORED_NOTE_EVERY_MS 10000

/* glibc keeps two real-time signals (32 and 33) for itself: sigfillset and
 * sigprocmask leave them out, but another process can still send them, and
 * their default action ends us. The kernel's own calls take the whole mask. */
static void fill_kernel_mask(sigset_t *set)
{
    memset(set, 0xff, sizeof *set);
}

static bool synchronous_fault(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP ||
           sig == SIGSYS;
}

int set_up_signals(struct supervisor *sv)
{
    sigset_t all;
    fill_kernel_mask(&all);
    if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, (NSIG - 1 + 7) / 8) != 0) {
        msg_error("cannot block signals: %s", strerror(errno));
        return -1;
    }
    /* Default dispositions, set once they are blocked: an ignored signal is
     * discarded, not queued, so a SIGTERM our parent ignored would never reach
     * the signalfd, and an ignored SIGCHLD would make the kernel reap members
     * for us and hide their exit status. The fault signals keep whatever
     * handler they have (a sanitizer's). */
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || synchronous_fault(sig))
            continue;
        if (sig >= 32 && sig < SIGRTMIN) {
            unsigned long dfl[8] = {0}; /* the kernel's SIG_DFL, no flags */
            syscall(SYS_rt_sigaction, sig, dfl, NULL, (NSIG - 1 + 7) / 8);
        } else {
            signal(sig, SIG_DFL);
        }
    }
    /* A closed stdout must give us EPIPE to handle; no signal is needed. */
    signal(SIGPIPE, SIG_IGN);

    sv->sigfd = signalfd(-1, &all, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sv->sigfd < 0) {
        msg_error("signalfd: %s", strerror(errno));
        return -1;
    }
    /* Orphans of the members are re-parented to us, not to init, so we can
     * reap them and know when a member's group is really empty. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        msg_note("cannot become a child subreaper (%s): orphans of members will be reaped "
                 "by init instead", strerror(errno));
    return 0;
}

/* A note about a signal we do not act on, rate-limited per signal. */
static void note_ignored(struct supervisor *sv, int sig, const char *why)
{
    char name[32];
    long long now = now_ms();
    if (sv->signal_noted_ms[sig] && now - sv->signal_noted_ms[sig] < IGNORED_NOTE_EVERY_MS) {
        sv->signal_unnoted[sig]++;
        return;
    }
    char more[48] = "";
    if (sv->signal_unnoted[sig])
        snprintf(more, sizeof more, " (and %u more since the last note)", sv->signal_unnoted[sig]);
    note(sv, "%s received%s: %s", signal_name(sig, name, sizeof name), more, why);
    sv->signal_noted_ms[sig] = now;
    sv->signal_unnoted[sig] = 0;
}

static void stop_requested(struct supervisor *sv, int sig)
{
    char name[32], plan[128];
    /* QUIT means "quit", but passed on as QUIT it kills Ruby and Node at
     * once: the members get TERM, their graceful stop. */
    int pass_on = sig == SIGQUIT ? SIGTERM : sig;

    if (sv->stop_signal) {
        if (sig == SIGINT && !sv->killed) {
            note(sv, "SIGINT again: SIGKILL to everything left now (a second Ctrl-C does not "
                     "wait for the grace period)");
            kill_everything_now(sv);
            return;
        }
        /* Heroku sends SIGTERM to every process of the dyno: ours must not
         * shorten anybody's grace. */
        note(sv, "%s again: already stopping", signal_name(sig, name, sizeof name));
        return;
    }
    note(sv, "%s received: stopping (%s)", signal_name(sig, name, sizeof name),
         stop_wording(sv, pass_on, plan, sizeof plan));
    begin_stop(sv, pass_on, 128 + sig);
}

static void on_signal(struct supervisor *sv, int sig)
{
    switch (sig) {
    case SIGCHLD:
        reap_children(sv);
        break;
    case SIGTERM:
    case SIGINT:
    case SIGHUP:
    case SIGQUIT:
        stop_requested(sv, sig);
        break;
    case SIGUSR1:
    case SIGUSR2:
        note_ignored(sv, sig, "not passed on, as a member that does not handle it would die; "
                              "send it to one member with `solodyno signal NAME SIG`");
        break;
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
        note_ignored(sv, sig, "solodyno run does not suspend (its members would run on "
                              "unsupervised); Sidekiq's TSTP and TTIN: `solodyno signal sidekiq TSTP`");
        break;
    case SIGCONT:
    case SIGWINCH:
    case SIGURG:
    case SIGPIPE:
        break;
    default:
        note_ignored(sv, sig, "ignored");
        break;
    }
}

void read_signals(struct supervisor *sv)
{
    struct signalfd_siginfo si;
    while (read(sv->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
        if (si.ssi_signo > 0 && si.ssi_signo < NSIG)
            on_signal(sv, (int)si.ssi_signo);
}
