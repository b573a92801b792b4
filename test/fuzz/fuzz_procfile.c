/* libFuzzer target: the Procfile grammar in both modes, and the invariant that
 * rendering an unchanged app Procfile gives back its bytes (minus a missing
 * final newline). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/procfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct procfile pf;
    strbuf diag = STRBUF_INIT;
    procfile_parse((const char *)data, size, "Procfile", PROCFILE_APP, &pf, &diag);
    strbuf out = STRBUF_INIT;
    procfile_render(&pf, &out);
    /* Same bytes back, except line endings may be normalised to the first line's. */
    size_t body = size - (pf.bom ? 3 : 0); /* the bytes after a byte order mark */
    if (!pf.crlf && (size == 0 || memchr(data, '\r', size) == NULL)) {
        size_t expect = size + (body > 0 && data[size - 1] != '\n' ? 1 : 0);
        if (out.len != expect || (size > 0 && memcmp(out.data, data, size) != 0))
            abort();
    }
    /* Rewriting keeps the file parseable and the entry findable. */
    procfile_set(&pf, "web", "solodyno run Procfile.web", NULL, false);
    if (!procfile_find(&pf, "web"))
        abort();
    procfile_free(&pf);
    sb_free(&out);
    sb_free(&diag);

    if (procfile_parse((const char *)data, size, "Procfile.web", PROCFILE_WEB, &pf, &diag) == 0) {
        /* A strict file renders to something that parses to the same members. */
        procfile_set(&pf, "x", "y", "V", true);
        procfile_render(&pf, &out);
        struct procfile again;
        strbuf d2 = STRBUF_INIT;
        if (procfile_parse(out.data, out.len, "again", PROCFILE_WEB, &again, &d2) != 0)
            abort();
        if (again.n != pf.n)
            abort();
        procfile_free(&again);
        sb_free(&d2);
        procfile_free(&pf);
    }
    sb_free(&out);
    sb_free(&diag);
    return 0;
}
