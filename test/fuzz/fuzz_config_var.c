/* libFuzzer target: config_var_get, which reads a config var from ENV_DIR at
 * build time (Heroku's bin/compile, CNB's platform env dir).
 *
 * Input: a byte saying what the config var's file is (a regular file, a
 * directory, a FIFO, a symlink to a file, missing), then its content.
 * Checks that a value is only ever a single line without NUL bytes, at most
 * 64 KiB, equal to the file minus one line ending, and that anything else is
 * refused (never read as part of a value). */
#include "fuzz_files.h"

#include "build/config_vars.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_dir_init("fuzz-config-var");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned kind = data[0] % 5;
    const uint8_t *content = data + 1;
    size_t len = size - 1;
    fuzz_dir_clear();
    char path[256];
    snprintf(path, sizeof path, "%s/SOLODYNO_PROCFILE", fuzz_dir);
    switch (kind) {
    case 0:
        fuzz_put("SOLODYNO_PROCFILE", content, len);
        break;
    case 1:
        mkdir(path, 0755);
        break;
    case 2:
        mkfifo(path, 0644);
        break;
    case 3:
        fuzz_put("value-file", content, len);
        if (symlink("value-file", path) < 0)
            abort();
        break;
    default:
        break; /* missing */
    }

    char *value = NULL;
    enum config_status st = config_var_get(fuzz_dir, "SOLODYNO_PROCFILE", &value);
    if (kind == 4 && st != CONFIG_UNSET)
        abort();
    if ((kind == 1 || kind == 2) && st != CONFIG_INVALID)
        abort();
    if (st != CONFIG_SET) {
        if (value)
            abort();
        return 0;
    }
    /* What the value must be: the content, less one "\n" and then one "\r". */
    size_t want = len;
    if (want && content[want - 1] == '\n')
        want--;
    if (want && content[want - 1] == '\r')
        want--;
    size_t n = strlen(value);
    if (n != want || memcmp(value, content, n) != 0 || n > 64 * 1024)
        abort();
    if (memchr(value, '\n', n) || memchr(value, '\r', n) || memchr(content, '\0', want))
        abort();
    free(value);
    return 0;
}
