/* solodyno run's parts, shared by the files of src/dyno/run*.c. The structure
 * is described at the top of run.c. */
#ifndef SOLODYNO_RUN_H
#define SOLODYNO_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/procfile.h"
#include "dyno/boot_order.h"
#include "dyno/memory_watch.h"
#include "dyno/run_output.h"
#include "dyno/watch_settings.h"

/* Heroku kills a dyno 30 s after SIGTERM; Sidekiq needs 25 s to finish or put
 * back its jobs. 28 s leaves it that, plus a moment for our SIGKILL to land. */
#define DEFAULT_GRACE_MS 28000UL
#define MAX_GRACE_MS (3600UL * 1000)

/* While stopping, how often to look for processes to stop that appeared since
 * (a fork during the stop) and for groups whose last process was not our
 * child (we get no SIGCHLD for those). */
#define STOP_POLL_MS 100

/* What a member is doing. */
enum member_state {
    MEMBER_NOT_STARTED, /* not forked yet (or never will be: the dyno stopped) */
    MEMBER_RUNNING,     /* started, not asked to stop */
    MEMBER_STOPPING,    /* sent its stop signal; SIGKILL at stop_deadline_ms */
};

struct member {
    const char *name;    /* both point into the parsed Procfile.web */
    const char *command;
    char *prefix;        /* "name    | ", padded to the longest name */
    size_t prefix_len;

    enum member_state state;
    pid_t pid;           /* the `bash -c` process, also its process group id */
    bool running;        /* its shell was started and is not yet reaped */
    bool group_alive;    /* a process of its group may still be alive */
    int stop_signal;     /* MEMBER_STOPPING: what it was sent */
    long long stop_deadline_ms; /* MEMBER_STOPPING: when SIGKILL is due */
    bool killed;         /* SIGKILL was sent to what is left of it */
    bool has_terminal;   /* its group is the terminal's foreground */
    bool restarting;     /* stopped by the memory guard: starts again once its group is gone */

    struct stream out;   /* its stdout and stderr, when prefixing */
};

/* A process outside every member's group that the stop must reach: one we
 * inherited, or a descendant that left its member's group (setsid). */
struct outsider {
    pid_t pid;
    unsigned long long start; /* tells it from a later process with its pid */
};

struct supervisor {
    struct member *members;
    size_t n;
    bool prefix;              /* members' output goes through our pipes */
    unsigned long grace_ms;
    int sigfd;                /* reads every signal (all are blocked) */
    int devnull;              /* every member's stdin */
    pid_t self;
    const char *file;         /* FILE, as given */

    /* A terminal, when the one unprefixed member may have it (run_spawn.c). */
    bool give_terminal;
    pid_t own_pgrp;           /* our process group, to take the terminal back */

    int stop_signal;          /* what the members were sent; 0 while running */
    int exit_status;          /* decided by whatever began the stop */
    long long deadline_ms;    /* the dyno's SIGKILL time, once stopping */
    bool killed;              /* SIGKILL was sent to everything left */
    bool cut_short;           /* ...before the deadline (a second Ctrl-C) */
    long long killed_at_ms;
    long long last_scan_ms;   /* the last look for new processes to stop */
    bool named_waiting;       /* the note naming outsiders we wait for was logged */

    struct outsider *outsiders; /* signalled by the stop, so each gets it once */
    size_t n_outsiders, cap_outsiders;
    size_t n_inherited;       /* processes that were our children at start */

    /* Log lines about ignored signals, at most one per signal per while. */
    long long signal_noted_ms[NSIG];
    unsigned signal_unnoted[NSIG];

    char *state_path;         /* the state file for solodyno signal, or NULL */
    long long output_at_ms;   /* the last read of members' output */
    bool output_released;     /* its memory was given back since */
    struct output out;

    /* run_watch.c: the memory watch and the boot order (issue 16) */
    struct watch_settings watch_settings;
    struct memory_watch watch;
    struct boot_order boot;
    const char **names;       /* the members' names, for their log lines */
    pid_t *groups;            /* per member, scratch for each sample */
    bool *restartable;
};

/* run_util.c */
long long now_ms(void);
const char *signal_name(int sig, char *space, size_t size);
int exit_code_of(int wait_status);
const char *seconds_text(unsigned long ms, char *space, size_t size);
void describe_end(int wait_status, char *space, size_t size);
/* A note in solodyno's log, after every line queued before it. */
void note(struct supervisor *sv, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* run_config.c: SOLODYNO_GRACE, SOLODYNO_PREFIX, the members of FILE. */
int read_settings(struct supervisor *sv, int *prefix_setting);
int load_members(struct supervisor *sv, const char *file, struct procfile *pf);
void make_prefixes(struct supervisor *sv);

/* run_signals.c */
int set_up_signals(struct supervisor *sv);
void read_signals(struct supervisor *sv);

/* run_spawn.c */
void decide_terminal(struct supervisor *sv);
int spawn_member(struct supervisor *sv, struct member *m);

/* run_stop.c: the one place that stops members, and reaping. */
void note_inherited(struct supervisor *sv);
void begin_stop(struct supervisor *sv, int sig, int exit_status);
void stop_member(struct supervisor *sv, struct member *m, int sig, long long deadline_ms);
void kill_everything_now(struct supervisor *sv);
void reap_children(struct supervisor *sv);
void run_stop_checks(struct supervisor *sv);
bool finished(struct supervisor *sv);
const char *stop_wording(const struct supervisor *sv, int sig, char *space, size_t size);

/* run_state.c: the state file solodyno signal reads. */
void state_write(struct supervisor *sv);
void state_remove(struct supervisor *sv);

/* run_watch.c: the memory watch and boot order in the loop. */
void watch_start(struct supervisor *sv, const struct procfile *pf);
void watch_start_members(struct supervisor *sv);
long long watch_next_wakeup(const struct supervisor *sv);
void watch_run_due(struct supervisor *sv);
void watch_free(struct supervisor *sv);

#endif
