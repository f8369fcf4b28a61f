/* The built-in table of ITU Member States used to resolve delegations, in the six
 * official UN languages (generated: tools/gen-countries.py). */
#ifndef CAPMON_COUNTRIES_H
#define CAPMON_COUNTRIES_H

#include <stddef.h>

typedef struct Country {
        const char *en;     /* canonical English short name (the delegation name) */
        const char *fr;     /* French short name */
        const char *es;     /* Spanish short name */
        const char *ar;     /* Arabic short name, or NULL */
        const char *zh;     /* Chinese (simplified) short name, or NULL */
        const char *ru;     /* Russian short name, or NULL */
        const char *alpha2; /* ISO 3166-1 alpha-2 */
        const char *alpha3; /* ISO 3166-1 alpha-3 */
        const char *extra;  /* other common names, '|'-separated, or NULL */
} Country;

extern const Country COUNTRIES[];
extern const size_t COUNTRIES_LEN;

#endif
