/* Unit tests of what counts as reading an environment variable in Ruby, ERB
 * (templates and YAML) and JavaScript, and of reading Mastodon's version.rb
 * in every format it has had. The snippets are shaped like Mastodon's own
 * files (config/puma.rb, config/database.yml, config/sidekiq.yml,
 * app/lib/request_pool.rb, streaming/index.js) and forks' initializers. */
#include <stdlib.h>

#include "build/code_reads.h"
#include "build/version_rb.h"
#include "unit.h"

static char got[4096];

static void collect(void *ctx, const char *name, size_t len, int line)
{
    (void)ctx;
    snprintf(got + strlen(got), sizeof got - strlen(got), "%s%.*s:%d", got[0] ? " " : "", (int)len, name, line);
}

static const char *rb(const char *src)
{
    got[0] = '\0';
    ruby_env_reads(src, strlen(src), collect, NULL);
    return got;
}

static const char *erb(const char *src, bool yaml)
{
    got[0] = '\0';
    erb_env_reads(src, strlen(src), yaml, collect, NULL);
    return got;
}

static const char *js(const char *src)
{
    got[0] = '\0';
    js_env_reads(src, strlen(src), collect, NULL);
    return got;
}

static const char *version(const char *src)
{
    static char v[MASTODON_VERSION_MAX + 1];
    return mastodon_version_parse(src, strlen(src), v) ? v : "(none)";
}

int main(void)
{
    /* ---- Ruby: the forms that read */
    CHECK_STR(rb("threads_count = ENV.fetch('MAX_THREADS') { 5 }.to_i\n"
                 "port ENV.fetch(\"PORT\", 3000)\n"
                 "workers ENV['WEB_CONCURRENCY'].to_i if ENV.key?('SOCKET')\n"
                 "x = ::ENV[\"DB_POOL\"] || ENV.has_key?( 'A' ) || ENV&.fetch('B')\n"),
              "MAX_THREADS:1 PORT:2 WEB_CONCURRENCY:3 SOCKET:3 DB_POOL:4 A:4 B:4");
    CHECK_STR(rb("Rack::Timeout.service_timeout = ENV.fetch('SERVICE_TIMEOUT') { 90 }.to_i\n"),
              "SERVICE_TIMEOUT:1");
    /* inside "#{...}", even nested */
    CHECK_STR(rb("bind \"tcp://#{ENV.fetch('BIND', '127.0.0.1')}:#{ENV.fetch('PORT', 3000)}\"\n"
                 "x = \"a #{\"b #{ENV['DEEP']}\"}\"\n"),
              "BIND:1 PORT:1 DEEP:2");
    /* ---- Ruby: what only names a variable */
    CHECK_STR(rb("class RequestPool\n  WAIT_TIMEOUT = 5\n  def x\n    timeout: WAIT_TIMEOUT\n  end\nend\n"), "");
    CHECK_STR(rb("# ENV['SERVICE_TIMEOUT'] is what forks read\n"
                 "msg = 'ENV[\"A\"]' + \"ENV['B']\" + %q(ENV['C']) + %w[ENV['D']].join + `echo ENV['E']`\n"
                 "re = /ENV\\['F'\\]/ ; s = :\"ENV['G']\"\n"
                 "=begin\nENV['H']\n=end\n"
                 "Foo::ENV['I']; x.ENV['J']; MY_ENV['K']; ENV.delete('L'); ENV[name]; ENV[\"M#{x}\"]\n"),
              "");
    /* a heredoc's text is a string; "#{}" in it is code; the line after it counts right */
    CHECK_STR(rb("sql = <<~SQL\n  SELECT 'ENV[\"A\"]'\n  #{ENV['B']}\nSQL\nx = ENV['C']\n"
                 "y = <<-'RAW'\n#{ENV['D']}\n    RAW\nz = ENV[\"E\"]\n"),
              "B:3 C:5 E:9");
    CHECK_STR(rb("a = b << c\nd = ENV['SHIFTED']\n"), "SHIFTED:2");
    CHECK_STR(rb("x = y / 2 # ENV['NO']\nz = ENV['YES'] / 3\n"), "YES:2");
    CHECK_STR(rb("c = ?' ; ENV['AFTER_CHAR']\n"), "AFTER_CHAR:1");
    CHECK_STR(rb("puts $'; ENV['AFTER_GLOBAL']\n"), "AFTER_GLOBAL:1");
    CHECK_STR(rb("x = ENV['BEFORE']\n__END__\nENV['DATA']\n"), "BEFORE:1");
    /* never stuck or out of bounds on broken code */
    CHECK_STR(rb("x = \"open #{ ENV['A'] "), "A:1");
    CHECK_STR(rb("x = <<~EOS\nno end"), "");
    CHECK_STR(rb("%"), "");
    CHECK_STR(rb("ENV["), "");

    /* ---- ERB in YAML: config/database.yml, config/sidekiq.yml */
    CHECK_STR(erb("default: &default\n  adapter: postgresql\n"
                  "  pool: <%= ENV[\"DB_POOL\"] || (if Sidekiq.server? then Sidekiq[:concurrency] else "
                  "ENV['MAX_THREADS'] end) || 5 %>\n",
                  true),
              "DB_POOL:3 MAX_THREADS:3");
    CHECK_STR(erb("---\n:concurrency: <%= ENV.fetch('SIDEKIQ_CONCURRENCY', 5) %>\n:queues:\n  - [default, 8]\n", true),
              "SIDEKIQ_CONCURRENCY:2");
    CHECK_STR(erb("# pool: <%= ENV['COMMENTED'] %>\n  # <%= ENV['ALSO'] %>\n<%# ENV['ERB_COMMENT'] %>\n"
                  "text: <%% ENV['LITERAL'] %>\nkey: ENV['PLAIN_TEXT']\n",
                  true),
              "");
    CHECK_STR(erb("a: 1\nb: <%=\n  ENV['SPANS']\n%>\nc: <%= ENV['NEXT'] %>\n", true), "SPANS:3 NEXT:5");
    CHECK_STR(erb("<p># <%= ENV['IN_HTML'] %></p>\n", false), "IN_HTML:1"); /* not YAML: # is text */
    CHECK_STR(erb("x: <%= ENV['UNCLOSED'] ", true), "UNCLOSED:1");

    /* ---- JavaScript: streaming/index.js */
    CHECK_STR(js("const numWorkers = +process.env.STREAMING_CLUSTER_NUM || (env === 'development' ? 1 : 2);\n"
                 "const port = process.env['PORT'] || process.env[\"SOCKET\"];\n"
                 "log.level = process.env?.LOG_LEVEL;\n"),
              "STREAMING_CLUSTER_NUM:1 PORT:2 SOCKET:2 LOG_LEVEL:3");
    CHECK_STR(js("const { DB_POOL, REDIS_URL: url, DB_HOST = 'localhost', 'DB_PORT': port, ...rest } = process.env;\n"),
              "DB_POOL:1 REDIS_URL:1 DB_HOST:1 DB_PORT:1");
    CHECK_STR(js("const env = process.env;\nconst pool = env.DB_POOL || 10;\nconst e2 = process.env.NODE_ENV;\n"
                 "e2.NOT_ENV;\n"),
              "DB_POOL:2 NODE_ENV:3");
    CHECK_STR(js("// process.env.STREAMING_CLUSTER_NUM was here\n/* process.env.B\n process.env.C */\n"
                 "const s = 'process.env.D' + \"process.env.E\" + `process.env.F ${process.env.G}`;\n"
                 "const r = /process.env.H'/; x.process.env.I; env.J; a == process.env; const k = process.envX;\n"),
              "G:4");
    CHECK_STR(js("const t = `a\n${`b ${process.env.NESTED}`}\n`;\n"), "NESTED:2");
    CHECK_STR(js("x = `unclosed ${process.env.A"), "A:1");

    /* ---- version.rb in every format */
    CHECK_STR(version("module Mastodon\n  VERSION = '1.2.2'\nend\n"), "1.2.2");
    const char *v14 = "module Mastodon\n  module Version\n    module_function\n\n    def major\n      1\n    end\n\n"
                      "    def minor\n      4\n    end\n\n    def patch\n      0\n    end\n\n    def pre\n      6\n"
                      "    end\n\n    def to_a\n      [major, minor, patch, pre].compact\n    end\n  end\nend\n";
    CHECK_STR(version(v14), "1.4.0.6");
    CHECK_STR(version("def major\n 1\nend\ndef minor\n 4\nend\ndef patch\n 7\nend\ndef pre\n nil\nend\n"), "1.4.7");
    CHECK_STR(version("def major\n 2\nend\ndef minor\n 1\nend\ndef patch\n 0\nend\ndef pre\n 'rc6'\nend\n"
                      "def flags\n ''\nend\n"),
              "2.1.0.rc6");
    CHECK_STR(version("def major\n 2\nend\ndef minor\n 4\nend\ndef patch\n 0\nend\ndef pre\n nil\nend\n"
                      "def flags\n 'rc1'\nend\n"),
              "2.4.0rc1");
    CHECK_STR(version("def major\n 3\nend\ndef minor\n 0\nend\ndef patch\n 0\nend\ndef flags\n 'rc1'\nend\n"
                      "def suffix\n ''\nend\n"),
              "3.0.0rc1");
    CHECK_STR(version("def major; 3; end\ndef minor; 5; end\ndef patch; 17; end\ndef flags; ''; end\n"), "3.5.17");
    CHECK_STR(version("def major\n 4\nend\ndef minor\n 2\nend\ndef patch\n 0\nend\n"
                      "def flags\n ENV.fetch('MASTODON_VERSION_FLAGS', '-beta1')\nend\n"
                      "def suffix\n ENV.fetch('MASTODON_VERSION_SUFFIX', '')\nend\n"),
              "4.2.0-beta1");
    CHECK_STR(version("def major\n 4\nend\ndef minor\n 2\nend\ndef patch\n 0\nend\n"
                      "def flags\n ENV['MASTODON_VERSION_FLAGS'].presence || '-beta2'\nend\n"),
              "4.2.0-beta2");
    const char *v48 = "    def major\n      4\n    end\n\n    def minor\n      8\n    end\n\n    def patch\n      0\n"
                      "    end\n\n    def default_prerelease\n      'alpha.1'\n    end\n\n    def prerelease\n"
                      "      version_configuration[:prerelease].presence || default_prerelease\n    end\n";
    CHECK_STR(version(v48), "4.8.0-alpha.1");
    CHECK_STR(version("def major\n 4\nend\ndef minor\n 2\nend\ndef patch\n 0\nend\ndef default_prerelease\n ''\nend\n"
                      "def prerelease\n ENV['MASTODON_VERSION_PRERELEASE'].presence || default_prerelease\nend\n"),
              "4.2.0");
    CHECK_STR(version("def major\n 4\nend\ndef minor\n 3\nend\ndef patch\n 2\nend\ndef default_prerelease\n 'not ok'\n"
                      "end\n"),
              "(none)");
    CHECK_STR(version("def major\n ENV['X']\nend\ndef minor\n 3\nend\n"), "(none)");
    CHECK_STR(version("def major_version\n 9\nend\ndef major\n 4\nend\ndef minor\n 1\nend\n"), "4.1.0");
    UNIT_DONE();
}
