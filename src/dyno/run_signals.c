/* Signals reaching solodyno run: blocked from the start and read from a
 * signalfd in the main loop, then acted on here. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/log.h"
#include "dyno/run.h"

/* Blocks the signals we act on (they are read from a signalfd instead), before
 * anything else: one sent during start-up then waits for the loop. */
int set_up_signals(struct supervisor *sv)
{
    static const int handled[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD};

    sigemptyset(&sv->handled);
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
        sigaddset(&sv->handled, handled[i]);
    if (sigprocmask(SIG_BLOCK, &sv->handled, NULL) != 0) {
        msg_error("cannot block signals: %s", strerror(errno));
        return -1;
    }
    /* Default dispositions, set once they are blocked: an ignored SIGCHLD
     * inherited from our parent would make the kernel reap members for us and
     * hide their exit status. */
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
        signal(handled[i], SIG_DFL);
    /* A closed stdout must give us EPIPE to handle, not kill us. */
    signal(SIGPIPE, SIG_IGN);

    sv->sigfd = signalfd(-1, &sv->handled, SFD_NONBLOCK | SFD_CLOEXEC);
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

static void on_signal(struct supervisor *sv, int sig)
{
    char name[32], plan[96];

    switch (sig) {
    case SIGCHLD:
        reap_children(sv);
        break;
    case SIGUSR1:
    case SIGUSR2: /* Puma's and Sidekiq's control signals: pass them on */
        signal_members(sv, sig);
        break;
    default: /* SIGTERM, SIGINT, SIGHUP */
        if (sv->stop_signal) {
            /* Heroku sends SIGTERM to every process; a second one must not
             * shorten anybody's grace. */
            msg_note("%s again: already stopping", signal_name(sig, name, sizeof name));
            break;
        }
        stop_wording(sv, sig, plan, sizeof plan);
        msg_note("%s received: stopping (%s)", signal_name(sig, name, sizeof name), plan);
        begin_stop(sv, sig, 128 + sig);
        break;
    }
}

void read_signals(struct supervisor *sv)
{
    struct signalfd_siginfo si;
    while (read(sv->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
        on_signal(sv, (int)si.ssi_signo);
}
