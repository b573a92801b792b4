#include "build/config_vars.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/strbuf.h"

#define CONFIG_VAR_MAX (64 * 1024)

enum config_status config_var_get(const char *env_dir, const char *name, char **value)
{
    *value = NULL;
    if (!env_dir || !*env_dir)
        return CONFIG_UNSET;
    strbuf path = STRBUF_INIT;
    sb_printf(&path, "%s/%s", env_dir, name);
    char *buf;
    size_t len;
    if (read_file(path.data, CONFIG_VAR_MAX, &buf, &len) < 0) {
        enum config_status st = CONFIG_UNSET;
        int err = errno;
        if (err != ENOENT) {
            char kind[64] = "";
            if (err == EINVAL || err == EISDIR) /* a FIFO would block the build: never opened for reading */
                snprintf(kind, sizeof kind, "it is %s, not a file holding the value", file_kind(path.data));
            log_warn("%s: cannot read this config var (%s); ignoring it", path.data,
                     err == EFBIG ? "longer than 64 KiB" : *kind ? kind : strerror(err));
            st = CONFIG_INVALID;
        }
        sb_free(&path);
        return st;
    }
    if (len > 0 && buf[len - 1] == '\n')
        buf[--len] = '\0';
    if (len > 0 && buf[len - 1] == '\r')
        buf[--len] = '\0';
    if (memchr(buf, '\0', len) || memchr(buf, '\n', len) || memchr(buf, '\r', len)) {
        log_warn("%s: expected a one-line value, found a line break or NUL byte; ignoring it",
                 path.data);
        free(buf);
        sb_free(&path);
        return CONFIG_INVALID;
    }
    sb_free(&path);
    *value = buf;
    return CONFIG_SET;
}
