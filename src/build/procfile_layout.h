/* The one-dyno process layout, computed from the app's Procfile.
 *
 * A pure function of its inputs (the Procfile's bytes, whether Procfile.web
 * exists, Mastodon or not, and a way to read scripts the web line points to):
 * it decides the new Procfile and Procfile.web and what to say about them,
 * and writes nothing. `solodyno procfile` (procfile_inject.c) does the I/O.
 * See README.md, "The one-dyno process layout", for the rules as users see
 * them.
 */
#ifndef SOLODYNO_PROCFILE_LAYOUT_H
#define SOLODYNO_PROCFILE_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/strbuf.h"

#define LAYOUT_WEB_COMMAND "solodyno run Procfile.web"

/* Mastodon's commands, for what the app's Procfile does not say. */
#define MASTODON_PUMA "BIND=0.0.0.0 bundle exec puma -C config/puma.rb"
/* The expansion is quoted, as every one the build writes: a config var must
 * never become several arguments or a glob (SIDEKIQ_THREADS='5 -r x.rb *'). */
#define MASTODON_SIDEKIQ "bundle exec sidekiq -c \"${SIDEKIQ_THREADS:-5}\""
#define MASTODON_STREAMING "BIND=0.0.0.0 node ./streaming"
/* ... for a version whose package.json starts it another way (Babel). */
#define MASTODON_STREAMING_NPM "BIND=0.0.0.0 npm start"
#define MASTODON_RELEASE "bundle exec rails db:migrate"
/* Upstream's bin/heroku-web (since 3.2), for an app whose Procfile names it
 * but lacks it; %s is the version's streaming command. */
#define MASTODON_HEROKU_WEB_FMT                                                                    \
    "#!/bin/bash\nif [ \"$RUN_STREAMING\" != \"true\" ]; then BIND=0.0.0.0 bundle exec puma -C "   \
    "config/puma.rb; else %s; fi\n"
#define MASTODON_HEROKU_WEB                                                                        \
    "#!/bin/bash\nif [ \"$RUN_STREAMING\" != \"true\" ]; then BIND=0.0.0.0 bundle exec puma -C "   \
    "config/puma.rb; else " MASTODON_STREAMING "; fi\n"

struct layout_in {
    const char *procfile; /* NULL: the app has no Procfile */
    size_t procfile_len;
    bool has_procfile_web; /* it exists: never written, the web line points to it */
    bool mastodon;
    /* Reads an app file named by the web line (bin/heroku-web, a foreman
     * Procfile) or package.json and streaming/package.json, relative to the
     * app. Returns 0 with a malloc'd *data, 1 when missing, -1 when it cannot
     * or must not be read (*why says why). */
    int (*read_app_file)(void *ctx, const char *rel, char **data, size_t *len, const char **why);
    void *ctx;
};

enum layout_outcome {
    LAYOUT_CHANGED,   /* write the new Procfile (and Procfile.web if web_new) */
    LAYOUT_UNCHANGED, /* already laid out: nothing to write */
    LAYOUT_KEPT,      /* not understood well enough: left as it is (with a warning) */
    LAYOUT_NONE,      /* a generic app without a Procfile or web line (with a warning) */
    LAYOUT_ERROR,     /* the build must stop (message in log) */
};

struct layout_out {
    enum layout_outcome outcome;
    strbuf procfile; /* LAYOUT_CHANGED: the new Procfile */
    strbuf procfile_web; /* LAYOUT_CHANGED and web_new: the Procfile.web to write */
    bool web_new;
    /* What to say, one message a line: "  " + detail, "! " + warning, "E " + error. */
    strbuf log;
};

void layout_compute(const struct layout_in *in, struct layout_out *out);

void layout_out_free(struct layout_out *out);

#endif
