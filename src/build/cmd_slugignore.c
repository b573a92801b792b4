/* `solodyno slugignore APP_DIR`: removes what APP_DIR/.slugignore names, the way
 * Heroku does to the source before the buildpacks run.
 *
 * Used by the local build (`bin/local build`) on its copy of the source, never
 * on a built app: there it would also strip files inside installed gems and
 * node modules. For the same reason it leaves vendor/bundle and every
 * node_modules directory alone: in a local build they were installed in the
 * checkout beforehand and stand in for what heroku/ruby and heroku/nodejs
 * install after Heroku has applied .slugignore.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common/fileio.h"
#include "common/log.h"
#include "build/slugignore.h"
#include "common/strbuf.h"

/* What the language buildpacks install: out of .slugignore's reach. */
static const char installed_dependencies[] = "/vendor/bundle/\nnode_modules/\n";

int cmd_slugignore(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '\0') {
        msg_error("usage: solodyno slugignore APP_DIR");
        return 2;
    }
    const char *app = argv[1];
    const char *why = NULL;
    char *path = resolve_inside_app(app, SLUGIGNORE_FILE, &why);
    if (!path) {
        log_warn("%s/%s: not read: %s.", app, SLUGIGNORE_FILE, why);
        return 0;
    }
    char *data = NULL;
    size_t len = 0;
    if (read_file(path, SLUGIGNORE_FILE_MAX, &data, &len) < 0) {
        int err = errno;
        free(path);
        if (err == ENOENT)
            return 0; /* no .slugignore: nothing to do */
        log_warn("%s/%s: cannot be read: %s; nothing removed.", app, SLUGIGNORE_FILE,
                 err == EFBIG ? "larger than 1 MB" : err == EINVAL ? "not a regular file" : strerror(err));
        return 1;
    }
    free(path);

    log_step("Applying .slugignore (Heroku removes these paths before the buildpacks run)");
    struct slugignore si = SLUGIGNORE_INIT, keep = SLUGIGNORE_INIT;
    strbuf diag = STRBUF_INIT;
    slugignore_parse(data, len, SLUGIGNORE_FILE, &si, &diag);
    free(data);
    log_warn_lines(diag.data);
    sb_free(&diag);
    slugignore_parse(installed_dependencies, sizeof installed_dependencies - 1, "built-in", &keep,
                     &diag);

    struct slugignore_result res = {0, 0, STRBUF_INIT};
    int rc = 0;
    if (si.n == 0) {
        log_detail("No patterns in .slugignore: nothing removed");
    } else if (slugignore_apply(app, &si, &keep, &res, &diag) < 0) {
        log_warn("%s: %s", SLUGIGNORE_FILE, diag.data);
        rc = 1;
    } else if (res.matched == 0) {
        log_detail("%zu pattern%s, nothing matched", si.n, si.n == 1 ? "" : "s");
    } else {
        log_detail("Removed %zu path%s matching .slugignore (%zu entr%s): %s", res.matched,
                   res.matched == 1 ? "" : "s", res.removed, res.removed == 1 ? "y" : "ies",
                   res.shown.data);
    }
    sb_free(&res.shown);
    sb_free(&diag);
    slugignore_free(&si);
    slugignore_free(&keep);
    return rc;
}
