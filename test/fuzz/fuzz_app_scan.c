/* libFuzzer target: the build's scan of the app (app_facts_detect, through its
 * public function so it stays valid whatever the scan becomes): Mastodon's
 * lib/mastodon/version.rb and the code files it looks into for the tuning
 * knobs they read.
 *
 * Input: NUL-separated contents of lib/mastodon/version.rb, then of a few code
 * files (app/, config/initializers/, lib/, streaming/). Checks that a version
 * is known whole or not at all (and only for Mastodon), that a knob counts as
 * read only when some file names it, and that the facts survive being
 * written to .solodyno/app-facts and read back. */
#include "fuzz_files.h"

#include "build/app_scan.h"
#include "common/app_facts.h"

static const char *const files[] = {"lib/mastodon/version.rb", "app/models/status.rb",
                                    "config/initializers/timeout.rb", "lib/tasks/x.rake.rb",
                                    "streaming/index.js", "app/javascript/x.ts"};

static char app[160];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_dir_init("fuzz-app-scan");
    snprintf(app, sizeof app, "%s/app", fuzz_dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0, len;
    const uint8_t *content[sizeof files / sizeof files[0]];
    size_t lens[sizeof files / sizeof files[0]];
    size_t n = 0;
    fuzz_dir_clear();
    for (; n < sizeof files / sizeof files[0] && pos <= size; n++) {
        content[n] = fuzz_field(data, size, &pos, &lens[n]);
        char rel[256];
        snprintf(rel, sizeof rel, "app/%s", files[n]);
        fuzz_put(rel, content[n], lens[n]);
    }
    (void)len;

    struct app_facts f;
    app_facts_detect(app, &f);
    bool known = f.version[0] >= 0;
    for (int i = 0; i < 3; i++)
        if ((f.version[i] >= 0) != known || f.version[i] > 9999 || f.version[i] < -1)
            abort();
    if (!f.mastodon && known)
        abort();
    for (int i = 0; app_facts_tunables[i]; i++) {
        if (!(f.reads & (1u << i)))
            continue;
        size_t tn = strlen(app_facts_tunables[i]);
        bool named = false;
        for (size_t k = 0; k < n && !named; k++)
            named = memmem(content[k], lens[k], app_facts_tunables[i], tn) != NULL;
        if (!named)
            abort();
    }
    int ntunables = 0;
    while (app_facts_tunables[ntunables])
        ntunables++;
    if (ntunables < 32 && (f.reads >> ntunables))
        abort();

    const char *why;
    if (app_facts_write(app, &f, &why) < 0)
        abort();
    struct app_facts back;
    if (app_facts_read(app, &back) < 0 || back.mastodon != f.mastodon || back.reads != f.reads ||
        memcmp(back.version, f.version, sizeof f.version) != 0)
        abort();
    return 0;
}
