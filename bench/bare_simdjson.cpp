// The floor of the fast path: read each line of a log and parse it with simdjson,
// nothing else. `dom` (the default) is the parser the core uses (monitor/extract.cpp:
// whole-document validation); `ondemand` walks every value of each line with the
// On-Demand API, for comparison. bench/run.sh prints both beside jansson's floor.
// On-Demand is compiled into the caller from the header: without -march flags it is
// simdjson's portable "fallback" kernel, while DOM runs the library's kernel chosen
// at run time for the CPU (haswell here), one reason the core uses DOM.
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace simdjson;

// every value of the document, so On-Demand validates what DOM validates
static error_code walk(ondemand::value v)
{
        ondemand::json_type t;
        if (auto e = v.type().get(t))
                return e;
        switch (t) {
        case ondemand::json_type::object: {
                ondemand::object o;
                if (auto e = v.get_object().get(o))
                        return e;
                for (auto field : o) {
                        std::string_view k;
                        if (auto e = field.unescaped_key().get(k))
                                return e;
                        ondemand::value fv;
                        if (auto e = field.value().get(fv))
                                return e;
                        if (auto e = walk(fv))
                                return e;
                }
                return SUCCESS;
        }
        case ondemand::json_type::array: {
                ondemand::array a;
                if (auto e = v.get_array().get(a))
                        return e;
                for (auto el : a) {
                        ondemand::value ev;
                        if (auto e = el.get(ev))
                                return e;
                        if (auto e = walk(ev))
                                return e;
                }
                return SUCCESS;
        }
        case ondemand::json_type::string:
                return v.get_string().error();
        case ondemand::json_type::number:
                return v.get_number().error();
        case ondemand::json_type::boolean:
                return v.get_bool().error();
        case ondemand::json_type::null:
                return v.is_null() ? SUCCESS : INCORRECT_TYPE;
        }
        return SUCCESS;
}

int main(int argc, char **argv)
{
        if (argc < 2 || argc > 3 ||
            (argc == 3 && strcmp(argv[2], "dom") != 0 && strcmp(argv[2], "ondemand") != 0)) {
                fprintf(stderr, "usage: bare_simdjson LOG [dom|ondemand]\n");
                return 2;
        }
        bool od = argc == 3 && strcmp(argv[2], "ondemand") == 0;
        FILE *f = fopen(argv[1], "rb");
        if (!f) {
                perror(argv[1]);
                return 1;
        }
        char *line = nullptr;
        size_t cap = 0, bcap = 0;
        char *buf = nullptr;
        ssize_t n;
        unsigned long lines = 0, bad = 0;
        dom::parser dp;
        ondemand::parser op;
        while ((n = getline(&line, &cap, f)) > 0) {
                if (size_t(n) + SIMDJSON_PADDING > bcap) {
                        bcap = size_t(n) + SIMDJSON_PADDING;
                        buf = static_cast<char *>(realloc(buf, bcap));
                        if (!buf)
                                abort();
                }
                memcpy(buf, line, size_t(n));
                memset(buf + n, 0, SIMDJSON_PADDING);
                bool ok;
                if (od) {
                        ondemand::document doc;
                        ondemand::value v;
                        ok = op.iterate(buf, size_t(n), bcap).get(doc) == SUCCESS &&
                             doc.get_value().get(v) == SUCCESS && walk(v) == SUCCESS;
                } else {
                        ok = dp.parse(buf, size_t(n), false).error() == SUCCESS;
                }
                bad += !ok;
                lines++;
        }
        free(line);
        free(buf);
        fclose(f);
        printf("%lu lines, %lu not JSON\n", lines, bad);
        return 0;
}
