/* libFuzzer target: reading one Procfile command (the shell lexer, the
 * one-liner shapes, a command's kind) and the rewrites made to one: adding
 * Sidekiq's -c and the release guard are each done once (applied again they
 * change nothing), and the members recognised are never empty. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "build/oneliner.h"
#include "build/proc_command.h"
#include "build/shell_lex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ol_result res;
    if (oneliner_parse((const char *)data, size, &res) == OL_OK) {
        if (res.n == 0)
            abort();
        for (size_t i = 0; i < res.n; i++)
            if (!res.members[i].command[0])
                abort();
        ol_result_free(&res);
    }

    char *cmd = strndup((const char *)data, size);
    if (!cmd)
        return 0;
    (void)proc_kind_of(cmd);

    strbuf once = STRBUF_INIT, twice = STRBUF_INIT;
    if (sidekiq_add_concurrency(cmd, &once) && sidekiq_add_concurrency(once.data, &twice))
        abort();
    sb_free(&once);
    sb_free(&twice);

    strbuf g = STRBUF_INIT, g2 = STRBUF_INIT;
    if (release_guard(cmd, &g) && release_guard(g.data, &g2))
        abort();
    sb_free(&g);
    sb_free(&g2);
    free(cmd);
    return 0;
}
