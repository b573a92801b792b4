/* Which processes run on this dyno, from DYNO and RUN_WORKER / RUN_STREAMING.
 *
 * DYNO is "TYPE.N" on the Common Runtime (web.1, worker.2, run.1234,
 * release.1) and "TYPE-HASH-SUFFIX" on Fir (web-12a34b56d-e78f9). The web
 * process type runs `solodyno run Procfile.web`, whose members depend on
 * RUN_WORKER and RUN_STREAMING (exactly "true" enables); worker runs Sidekiq
 * alone; one-off types run a command and nothing else.
 */
#ifndef SOLODYNO_DYNO_ROLE_H
#define SOLODYNO_DYNO_ROLE_H

#include <stdbool.h>
#include <stddef.h>

/* The DYNO of a CNB process started without a process type (`docker run
 * --entrypoint launcher IMAGE CMD`): bin/build names every process type's
 * DYNO in env.launch/<type>/, so only such a one-off reaches exec.d without
 * one. A one-off, as `heroku run` (DYNO=run.N) is. */
#define CNB_ONE_OFF_DYNO "run.1"

enum dyno_kind {
    DYNO_WEB,    /* web, and DYNO unset (classic: a local run without DYNO) */
    DYNO_WORKER, /* the Procfile's worker: Sidekiq on its own */
    DYNO_ONE_OFF, /* run, release, scheduler, console, rake */
    DYNO_OTHER,  /* another process type of the app: we do not know what it runs */
};

struct dyno_role {
    enum dyno_kind kind;
    char type[64]; /* the process type from DYNO; "" when DYNO is unset or unreadable */
    bool puma;      /* Puma (or a generic app's web command) runs here */
    bool sidekiq;   /* Sidekiq runs here alongside the web process (RUN_WORKER) */
    bool dedicated_sidekiq; /* Sidekiq is this dyno's only process */
    bool streaming; /* Mastodon's streaming server runs here (RUN_STREAMING) */
    bool fir;       /* DYNO has the Fir form: a Fir-generation (CNB) dyno */
};

/* The process type named by a DYNO value, into type (NUL-terminated, cut to
 * cap - 1). Returns false (type "") for an empty or unrecognised value. */
bool dyno_type_from_name(const char *dyno, char *type, size_t cap);

/* True if DYNO names a Fir-generation dyno: TYPE-HASH-SUFFIX, a Kubernetes
 * pod name (Dev Center, "Dyno Startup Behavior": web-12a34b56d-e78f9), not
 * Cedar's TYPE.N. Fir differs where it matters here: its web dynos must
 * listen on IPv6 ([::]:$PORT), and it restarts a dyno at 100 % of its memory,
 * with no swap (Dev Center, "Dyno Memory Behavior"). */
bool dyno_is_fir(const char *dyno);

/* dyno, run_worker, run_streaming: the variables' values or NULL. mastodon:
 * whether the app is Mastodon (a generic app has no streaming server: its web
 * dyno always runs the app's web command). */
void dyno_role_detect(const char *dyno, const char *run_worker, const char *run_streaming,
                      bool mastodon, struct dyno_role *role);

/* A few words for --explain and the boot log: "web dyno with Sidekiq", ... */
const char *dyno_role_describe(const struct dyno_role *role);

#endif
