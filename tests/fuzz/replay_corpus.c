/* Runs a fuzz target over every file of the corpus directories given: the fuzz
 * corpora become plain regression tests under any compiler. TAP output. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return -1;
        size_t cap = 4096, len = 0, n;
        uint8_t *buf = malloc(cap);
        while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
                len += n;
                if (len == cap)
                        buf = realloc(buf, cap *= 2);
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        return 0;
}

int main(int argc, char **argv)
{
        int count = 0, fail = 0;
        for (int i = 1; i < argc; i++) {
                DIR *d = opendir(argv[i]);
                if (!d) {
                        printf("not ok %d - cannot open %s\n", ++count, argv[i]);
                        fail = 1;
                        continue;
                }
                struct dirent *e;
                while ((e = readdir(d))) {
                        char path[4096];
                        if (e->d_name[0] == '.')
                                continue;
                        snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
                        int rc = run_file(path); /* a crash fails the whole test */
                        printf("%s %d - %s\n", rc ? "not ok" : "ok", ++count, e->d_name);
                        fail |= rc != 0;
                }
                closedir(d);
        }
        printf("1..%d\n", count);
        return fail;
}
