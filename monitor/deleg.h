/* Delegation resolution: roster, display-name patterns, country table, aliases. */
#ifndef CAPMON_DELEG_H
#define CAPMON_DELEG_H

#include <stddef.h>
#include <stdio.h>

extern const char DELEG_UNIDENTIFIED[]; /* "Unidentified" */
extern const char DELEG_DIALIN[];       /* "Dial-in" */

typedef struct Resolver Resolver;

/* What is known of a participant when a session or entry opens. */
typedef struct PartIdent {
        const char *name;          /* display name (sanitised), may be NULL */
        const char *email;         /* may be NULL */
        const char *registrant_id; /* may be NULL */
        const char *phone;         /* phone_number, may be NULL */
} PartIdent;

Resolver *Resolver_new(void);
void Resolver_free(Resolver *r);

/* Canonical delegation for a country name, code, alias or group, or NULL. The
 * returned string lives as long as the resolver. */
const char *Resolver_lookup(const Resolver *r, const char *text);
/* The delegation a name alone points to by the display-name patterns, or NULL. */
const char *Resolver_from_display_name(const Resolver *r, const char *name);
/* Full resolution (roster, patterns, dial-in, unidentified); never NULL. */
const char *Resolver_resolve(const Resolver *r, const PartIdent *p);
/* Intern a delegation name (a roster's own group, a quota key): stable pointer. */
const char *Resolver_intern(Resolver *r, const char *name);

/* Configuration. Each returns 0, or -1 with a message in err. */
int Resolver_add_alias(Resolver *r, const char *alias, const char *target, char *err,
                       size_t errlen);
int Resolver_add_group(Resolver *r, const char *group, const char *alias, char *err, size_t errlen);
int Resolver_load_roster(Resolver *r, const char *path, char *err, size_t errlen);
/* Same, from an open stream; path names it in messages. */
int Resolver_load_roster_stream(Resolver *r, FILE *f, const char *path, char *err, size_t errlen);
size_t Resolver_roster_size(const Resolver *r);
struct Config;
/* Organisations, aliases and the roster of a configuration, in that order. */
int Resolver_apply_config(Resolver *r, const struct Config *cfg, char *err, size_t errlen);

/* 1 when the name looks like a phone number (digits, spaces, "+-()." and >= 6 digits). */
int deleg_is_phone_name(const char *name);

#endif
