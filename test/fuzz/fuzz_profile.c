/* libFuzzer target: the .profile block rewrite (the app's .profile is outside
 * input). On success: the block appears once, the user's bytes before and
 * after it are kept, and a second rewrite changes nothing. Also the check of
 * an app's .bash_profile for a line sourcing .profile: any text followed by
 * such a line sources it, and a comment line changes nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "build/profile.h"

static void check_sourced_by(const char *in, size_t size)
{
    bool plain = profile_sourced_by(in, size);
    static const char sourcing[] = "\n. ~/.profile\n", comment[] = "\n# . \"$HOME/.profile\"\n";
    char *more = malloc(size + sizeof comment); /* the longer of the two */
    memcpy(more, in, size);
    memcpy(more + size, sourcing, sizeof sourcing - 1);
    if (!profile_sourced_by(more, size + sizeof sourcing - 1))
        abort();
    memcpy(more + size, comment, sizeof comment - 1);
    if (profile_sourced_by(more, size + sizeof comment - 1) != plain)
        abort();
    free(more);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    check_sourced_by(in, size);
    strbuf out = STRBUF_INIT;
    const char *why = NULL;
    size_t line = 0;
    if (profile_rewrite(in, size, &out, &why, &line) != 0) {
        if (!why || line == 0)
            abort();
        sb_free(&out);
        return 0;
    }
    size_t blen = strlen(profile_block);
    const char *at = memmem(out.data, out.len, profile_block, blen);
    if (!at)
        abort();
    size_t pos = (size_t)(at - out.data);
    size_t tail = out.len - pos - blen;
    /* before the block: the user's bytes (plus at most a line ending added to
     * a last line that had none) */
    size_t prefix = pos < size ? pos : size;
    if (memcmp(out.data, in, prefix) != 0 || pos > size + 2)
        abort();
    /* after it: the user's last bytes */
    if (tail > size || memcmp(out.data + pos + blen, in + size - tail, tail) != 0)
        abort();

    strbuf again = STRBUF_INIT;
    if (profile_rewrite(out.data, out.len, &again, &why, &line) != 0)
        abort();
    if (again.len != out.len || memcmp(again.data, out.data, out.len) != 0)
        abort();
    sb_free(&again);
    sb_free(&out);
    return 0;
}
