/* jsoncmp EXPECTED ACTUAL: compare two JSON documents; exit 0 when equal.
 * Numbers compare by value (121 equals 121.0); an expected string "*" matches any
 * string (for hashes nobody can compute by hand). Prints the path of the first
 * difference. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *path, const char *what, json_t *e, json_t *a)
{
        char *es = e ? json_dumps(e, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        char *as = a ? json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        fprintf(stderr, "%s: %s\n  expected: %.300s\n  actual:   %.300s\n", *path ? path : "$",
                what, es ? es : "(missing)", as ? as : "(missing)");
        free(es);
        free(as);
        return 1;
}

static int cmp(json_t *e, json_t *a, const char *path)
{
        char sub[1024];
        if (json_is_number(e) && json_is_number(a)) {
                double x = json_number_value(e), y = json_number_value(a);
                return fabs(x - y) <= 1e-9 * fmax(1, fabs(x)) ? 0
                                                              : fail(path, "numbers differ", e, a);
        }
        if (json_is_string(e) && strcmp(json_string_value(e), "*") == 0)
                return json_is_string(a) ? 0 : fail(path, "expected any string", e, a);
        if (json_typeof(e) != json_typeof(a))
                return fail(path, "types differ", e, a);
        if (json_is_object(e)) {
                const char *k;
                json_t *v;
                json_object_foreach(e, k, v)
                {
                        snprintf(sub, sizeof sub, "%s.%s", path, k);
                        json_t *av = json_object_get(a, k);
                        if (!av)
                                return fail(sub, "key missing in actual", v, NULL);
                        if (cmp(v, av, sub))
                                return 1;
                }
                json_object_foreach(a, k, v)
                {
                        snprintf(sub, sizeof sub, "%s.%s", path, k);
                        if (!json_object_get(e, k))
                                return fail(sub, "unexpected key in actual", NULL, v);
                }
                return 0;
        }
        if (json_is_array(e)) {
                size_t i;
                json_t *v;
                json_array_foreach(e, i, v)
                {
                        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
                        json_t *av = json_array_get(a, i);
                        if (!av)
                                return fail(sub, "element missing in actual", v, NULL);
                        if (cmp(v, av, sub))
                                return 1;
                }
                if (json_array_size(a) > json_array_size(e)) {
                        snprintf(sub, sizeof sub, "%s[%zu]", path, json_array_size(e));
                        return fail(sub, "extra element in actual", NULL,
                                    json_array_get(a, json_array_size(e)));
                }
                return 0;
        }
        return json_equal(e, a) ? 0 : fail(path, "values differ", e, a);
}

int main(int argc, char **argv)
{
        json_error_t err;
        if (argc != 3) {
                fprintf(stderr, "usage: jsoncmp EXPECTED ACTUAL\n");
                return 2;
        }
        json_t *e = json_load_file(argv[1], 0, &err);
        if (!e) {
                fprintf(stderr, "%s:%d: %s\n", argv[1], err.line, err.text);
                return 2;
        }
        json_t *a = json_load_file(argv[2], 0, &err);
        if (!a) {
                fprintf(stderr, "%s:%d: %s\n", argv[2], err.line, err.text);
                json_decref(e);
                return 2;
        }
        int rc = cmp(e, a, "");
        json_decref(e);
        json_decref(a);
        return rc;
}
