/* The floor for replay speed: read each line of a log and parse it with jansson,
 * nothing else. bench/run.sh compares `capmon replay --max` with this. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: bare_parse LOG\n");
                return 2;
        }
        FILE *f = fopen(argv[1], "rb");
        if (!f) {
                perror(argv[1]);
                return 1;
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        unsigned long lines = 0, bad = 0;
        json_error_t err;
        while ((n = getline(&line, &cap, f)) > 0) {
                json_t *j = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &err);
                if (!j)
                        bad++;
                json_decref(j);
                lines++;
        }
        free(line);
        fclose(f);
        printf("%lu lines, %lu not JSON\n", lines, bad);
        return 0;
}
