/* libFuzzer target: reading package.json (name, type, scripts) and what npm
 * and yarn command lines run with those scripts. Invariants: a file that
 * reads has unique script names and valid UTF-8 without NUL bytes in every
 * string kept; the same file read twice gives the same scripts; classifying
 * commands against its scripts terminates (scripts that call each other). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "build/package_json.h"
#include "build/proc_command.h"
#include "common/quote.h"

static void check_string(const char *s)
{
    if (s && !utf8_valid(s, strlen(s)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct app_scripts s;
    memset(&s, 0, sizeof s);
    if (package_json_parse((const char *)data, size, &s.root) == 0) {
        check_string(s.root.name);
        check_string(s.root.type);
        if (s.root.n_scripts > PKG_SCRIPTS_MAX)
            abort();
        for (size_t i = 0; i < s.root.n_scripts; i++) {
            check_string(s.root.scripts[i].name);
            check_string(s.root.scripts[i].command);
            for (size_t j = i + 1; j < s.root.n_scripts; j++)
                if (!strcmp(s.root.scripts[i].name, s.root.scripts[j].name))
                    abort();
            if (package_json_script(&s.root, s.root.scripts[i].name) != s.root.scripts[i].command)
                abort();
        }
        struct package_json again;
        if (package_json_parse((const char *)data, size, &again) != 0 || again.n_scripts != s.root.n_scripts)
            abort();
        package_json_free(&again);
    } else if (s.root.n_scripts || s.root.name || s.root.type) {
        abort(); /* a file that does not read leaves nothing behind */
    }
    /* The same file as the streaming workspace's package.json. */
    package_json_parse((const char *)data, size, &s.streaming);
    static const char *const calls[] = {"npm start", "npm run start", "yarn start", "yarn run dev", "yarn x",
                                        "npm run-script a -w streaming", "npm start --workspace=streaming",
                                        "yarn workspace @mastodon/streaming start"};
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++)
        (void)proc_kind_in_app(calls[i], &s);
    for (size_t i = 0; i < s.root.n_scripts; i++) {
        bool plain;
        (void)package_script_runs_streaming(&s, s.root.scripts[i].name, &plain);
        strbuf cmd = STRBUF_INIT;
        sb_printf(&cmd, "npm run %s", s.root.scripts[i].name);
        (void)proc_kind_in_app(cmd.data, &s);
        sb_free(&cmd);
    }
    package_json_free(&s.root);
    package_json_free(&s.streaming);
    return 0;
}
