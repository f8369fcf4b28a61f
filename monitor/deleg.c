#include "deleg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "countries.h"
#include "hmap.h"
#include "util.h"

const char DELEG_UNIDENTIFIED[] = "Unidentified";
const char DELEG_DIALIN[] = "Dial-in";

#define FOLD_MAX        512
#define ROSTER_LINE_MAX 4096
#define ROSTER_FILE_MAX (16 * 1024 * 1024) /* bytes of a roster file */

struct Resolver {
        HMap names;    /* folded name/code/alias -> canonical delegation */
        HMap interned; /* canonical text -> same pointer */
        HMap r_reg;    /* roster registrant_id -> delegation */
        HMap r_email;  /* roster folded email -> delegation */
        HMap r_name;   /* roster folded name (and "<delegation> - <name>") -> delegation */
        char **owned;  /* strings owned by the resolver */
        size_t nowned, capowned;
        size_t roster_rows;
};

static const char *own(Resolver *r, char *s)
{
        if (r->nowned == r->capowned) {
                r->capowned = r->capowned ? r->capowned * 2 : 256;
                r->owned = xrealloc(r->owned, r->capowned * sizeof(char *));
        }
        r->owned[r->nowned++] = s;
        return s;
}

static const char *fold_own(Resolver *r, const char *s)
{
        char buf[FOLD_MAX];
        text_fold(s, buf, sizeof buf);
        return own(r, xstrdup(buf));
}

const char *Resolver_intern(Resolver *r, const char *name)
{
        const char *p = HMap_get(&r->interned, name);
        if (!p) {
                p = own(r, xstrdup(name));
                HMap_put(&r->interned, p, (void *)p);
        }
        return p;
}

/* Map a folded key to a canonical name; the first mapping wins. */
static void add_name(Resolver *r, const char *text, const char *canon)
{
        char buf[FOLD_MAX];
        text_fold(text, buf, sizeof buf);
        if (!buf[0] || HMap_get(&r->names, buf))
                return;
        HMap_put(&r->names, own(r, xstrdup(buf)), (void *)canon);
}

Resolver *Resolver_new(void)
{
        Resolver *r = xcalloc(1, sizeof *r);
        HMap_init(&r->names);
        HMap_init(&r->interned);
        HMap_init(&r->r_reg);
        HMap_init(&r->r_email);
        HMap_init(&r->r_name);
        for (size_t i = 0; i < COUNTRIES_LEN; i++) {
                const Country *c = &COUNTRIES[i];
                const char *canon = Resolver_intern(r, c->en);
                add_name(r, c->en, canon);
                add_name(r, c->alpha3, canon);
                add_name(r, c->alpha2, canon);
                add_name(r, c->fr, canon);
                add_name(r, c->es, canon);
                if (c->ar)
                        add_name(r, c->ar, canon);
                if (c->zh)
                        add_name(r, c->zh, canon);
                if (c->ru)
                        add_name(r, c->ru, canon);
        }
        /* extras last, so that no extra name shadows an official one */
        for (size_t i = 0; i < COUNTRIES_LEN; i++) {
                const Country *c = &COUNTRIES[i];
                if (!c->extra)
                        continue;
                const char *canon = Resolver_intern(r, c->en);
                const char *p = c->extra;
                while (*p) {
                        const char *bar = strchr(p, '|');
                        size_t n = bar ? (size_t)(bar - p) : strlen(p);
                        char *one = xstrndup(p, n);
                        add_name(r, one, canon);
                        free(one);
                        p += n + (bar ? 1 : 0);
                }
        }
        const char *itu = Resolver_intern(r, "ITU");
        add_name(r, "ITU", itu);
        add_name(r, "UIT", itu);
        return r;
}

void Resolver_free(Resolver *r)
{
        if (!r)
                return;
        HMap_done(&r->names);
        HMap_done(&r->interned);
        HMap_done(&r->r_reg);
        HMap_done(&r->r_email);
        HMap_done(&r->r_name);
        for (size_t i = 0; i < r->nowned; i++)
                free(r->owned[i]);
        free(r->owned);
        free(r);
}

const char *Resolver_lookup(const Resolver *r, const char *text)
{
        char buf[FOLD_MAX];
        text_fold(text, buf, sizeof buf);
        return buf[0] ? HMap_get(&r->names, buf) : NULL;
}

int Resolver_add_alias(Resolver *r, const char *alias, const char *target, char *err, size_t errlen)
{
        const char *canon = Resolver_lookup(r, target);
        if (!canon) {
                xsnprintf(err, errlen, "alias \"%s\": unknown country or group \"%s\"", alias,
                          target);
                return -1;
        }
        char buf[FOLD_MAX];
        text_fold(alias, buf, sizeof buf);
        if (!buf[0]) {
                xsnprintf(err, errlen, "empty alias for \"%s\"", target);
                return -1;
        }
        HMap_put(&r->names, own(r, xstrdup(buf)), (void *)canon);
        return 0;
}

int Resolver_add_group(Resolver *r, const char *group, const char *alias, char *err, size_t errlen)
{
        char buf[FOLD_MAX];
        text_fold(alias ? alias : group, buf, sizeof buf);
        if (!buf[0]) {
                xsnprintf(err, errlen, "empty organisation name");
                return -1;
        }
        HMap_put(&r->names, own(r, xstrdup(buf)), (void *)Resolver_intern(r, group));
        return 0;
}

/* Trimmed copy of s[0..n) into out; returns out. */
static char *trim_copy(const char *s, size_t n, char *out, size_t len)
{
        while (n > 0 && isspace((unsigned char)*s))
                s++, n--;
        while (n > 0 && isspace((unsigned char)s[n - 1]))
                n--;
        if (n >= len)
                n = len - 1;
        memcpy(out, s, n);
        out[n] = '\0';
        return out;
}

static const char *try_part(const Resolver *r, const char *s, size_t n)
{
        char part[FOLD_MAX];
        trim_copy(s, n, part, sizeof part);
        return part[0] ? Resolver_lookup(r, part) : NULL;
}

const char *Resolver_from_display_name(const Resolver *r, const char *name)
{
        if (!name || !*name)
                return NULL;
        static const char *const dashes[] = {" - ", " \xe2\x80\x93 ", " \xe2\x80\x94 "};
        const char *hit;
        /* 1. Country - First Last (hyphen, en dash, em dash) */
        for (size_t i = 0; i < sizeof dashes / sizeof dashes[0]; i++) {
                const char *p = strstr(name, dashes[i]);
                if (p && (hit = try_part(r, name, (size_t)(p - name))))
                        return hit;
        }
        /* 2. Country: First Last */
        const char *colon = strchr(name, ':');
        if (colon && (hit = try_part(r, name, (size_t)(colon - name))))
                return hit;
        /* 3. [Country] First Last */
        const char *s = name;
        while (isspace((unsigned char)*s))
                s++;
        if (*s == '[') {
                const char *close = strchr(s, ']');
                if (close && (hit = try_part(r, s + 1, (size_t)(close - s - 1))))
                        return hit;
        }
        /* 4. First Last (Country): the parenthesis that closes at the end */
        size_t n = strlen(name);
        while (n > 0 && isspace((unsigned char)name[n - 1]))
                n--;
        if (n > 0 && name[n - 1] == ')') {
                int depth = 0;
                for (size_t i = n; i-- > 0;) {
                        if (name[i] == ')')
                                depth++;
                        else if (name[i] == '(' && --depth == 0) {
                                if ((hit = try_part(r, name + i + 1, n - i - 2)))
                                        return hit;
                                break;
                        }
                }
        }
        /* 5. Country, First Last */
        const char *comma = strchr(name, ',');
        if (comma && (hit = try_part(r, name, (size_t)(comma - name))))
                return hit;
        return NULL;
}

int deleg_is_phone_name(const char *name)
{
        int digits = 0;
        if (!name)
                return 0;
        for (const char *p = name; *p; p++) {
                if (isdigit((unsigned char)*p))
                        digits++;
                else if (!strchr(" +-().", *p))
                        return 0;
        }
        return digits >= 6;
}

const char *Resolver_resolve(const Resolver *r, const PartIdent *p)
{
        char buf[FOLD_MAX];
        const char *d;
        if (r->roster_rows) {
                if (p->registrant_id && *p->registrant_id &&
                    (d = HMap_get(&r->r_reg, p->registrant_id)))
                        return d;
                if (p->email && *p->email) {
                        text_fold(p->email, buf, sizeof buf);
                        if ((d = HMap_get(&r->r_email, buf)))
                                return d;
                }
                if (p->name && *p->name) {
                        text_fold(p->name, buf, sizeof buf);
                        if ((d = HMap_get(&r->r_name, buf)))
                                return d;
                }
        }
        if ((d = Resolver_from_display_name(r, p->name)))
                return d;
        if ((p->phone && *p->phone) || deleg_is_phone_name(p->name))
                return DELEG_DIALIN;
        return DELEG_UNIDENTIFIED;
}

size_t Resolver_roster_size(const Resolver *r)
{
        return r->roster_rows;
}

/* Split one CSV record (RFC 4180 quoting; no newlines inside quotes) into at most
 * max fields written into buf. Returns the number of fields or -1. */
static int csv_split(const char *line, char *buf, size_t buflen, char **fields, int max)
{
        int nf = 0;
        size_t o = 0;
        const char *p = line;
        for (;;) {
                if (nf == max)
                        return -1;
                fields[nf++] = buf + o;
                if (*p == '"') {
                        p++;
                        for (;;) {
                                if (*p == '\0')
                                        return -1; /* unterminated quote */
                                if (*p == '"') {
                                        if (p[1] == '"') {
                                                p += 2;
                                                if (o + 1 >= buflen)
                                                        return -1;
                                                buf[o++] = '"';
                                                continue;
                                        }
                                        p++;
                                        break;
                                }
                                if (o + 1 >= buflen)
                                        return -1;
                                buf[o++] = *p++;
                        }
                        while (*p == ' ' || *p == '\t')
                                p++;
                        if (*p != ',' && *p != '\0')
                                return -1;
                } else {
                        while (*p && *p != ',') {
                                if (o + 1 >= buflen)
                                        return -1;
                                buf[o++] = *p++;
                        }
                }
                if (o + 1 >= buflen)
                        return -1;
                buf[o++] = '\0';
                if (*p == '\0')
                        return nf;
                p++; /* ',' */
        }
}

int Resolver_load_roster(Resolver *r, const char *path, char *err, size_t errlen)
{
        FILE *f = fopen(path, "r");
        if (!f) {
                xsnprintf(err, errlen, "%s: %s", path, strerror(errno));
                return -1;
        }
        int rc = Resolver_load_roster_stream(r, f, path, err, errlen);
        fclose(f);
        return rc;
}

int Resolver_load_roster_stream(Resolver *r, FILE *f, const char *path, char *err, size_t errlen)
{
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        long lineno = 0;
        int col[4] = {-1, -1, -1, -1}; /* delegation, name, email, registrant_id */
        int rc = 0;
        char buf[ROSTER_LINE_MAX];
        char *fields[16];
        size_t total = 0;
        while ((n = getline_max(&line, &cap, f, ROSTER_LINE_MAX)) != -1) {
                lineno++;
                if (n == -2) {
                        xsnprintf(err, errlen, "%s:%ld: line longer than %d bytes", path, lineno,
                                  ROSTER_LINE_MAX);
                        rc = -1;
                        break;
                }
                total += (size_t)n;
                if (total > ROSTER_FILE_MAX) {
                        xsnprintf(err, errlen, "%s:%ld: roster larger than %d MiB", path, lineno,
                                  ROSTER_FILE_MAX / (1024 * 1024));
                        rc = -1;
                        break;
                }
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                        line[--n] = '\0';
                char *text = line;
                if (lineno == 1 && strncmp(text, "\xef\xbb\xbf", 3) == 0)
                        text += 3; /* UTF-8 byte order mark */
                if (n == 0 || (size_t)n >= ROSTER_LINE_MAX) {
                        if (n == 0)
                                continue;
                        xsnprintf(err, errlen, "%s:%ld: line longer than %d bytes", path, lineno,
                                  ROSTER_LINE_MAX);
                        rc = -1;
                        break;
                }
                int nf = csv_split(text, buf, sizeof buf, fields, 16);
                if (nf < 0) {
                        xsnprintf(err, errlen, "%s:%ld: malformed CSV line", path, lineno);
                        rc = -1;
                        break;
                }
                if (col[0] < 0 && col[1] < 0) { /* header */
                        static const char *const want[] = {"delegation", "name", "email",
                                                           "registrant_id"};
                        for (int i = 0; i < nf; i++) {
                                char h[64];
                                trim_copy(fields[i], strlen(fields[i]), h, sizeof h);
                                for (int k = 0; k < 4; k++) {
                                        if (strcasecmp(h, want[k]) == 0)
                                                col[k] = i;
                                }
                        }
                        if (col[0] < 0) {
                                xsnprintf(err, errlen,
                                          "%s:%ld: header must name a \"delegation\" column "
                                          "(delegation,name,email,registrant_id)",
                                          path, lineno);
                                rc = -1;
                                break;
                        }
                        continue;
                }
                char v[4][FOLD_MAX];
                for (int k = 0; k < 4; k++) {
                        v[k][0] = '\0';
                        if (col[k] >= 0 && col[k] < nf) {
                                char *clean = text_sanitize(fields[col[k]], CAPMON_TEXT_MAX);
                                trim_copy(clean, strlen(clean), v[k], sizeof v[k]);
                                free(clean);
                        }
                }
                if (!v[0][0]) {
                        xsnprintf(err, errlen, "%s:%ld: empty delegation", path, lineno);
                        rc = -1;
                        break;
                }
                const char *canon = Resolver_lookup(r, v[0]);
                const char *deleg = canon ? canon : Resolver_intern(r, v[0]);
                if (v[3][0])
                        HMap_put(&r->r_reg, own(r, xstrdup(v[3])), (void *)deleg);
                if (v[2][0])
                        HMap_put(&r->r_email, fold_own(r, v[2]), (void *)deleg);
                if (v[1][0]) {
                        char full[2 * FOLD_MAX + 4];
                        HMap_put(&r->r_name, fold_own(r, v[1]), (void *)deleg);
                        xsnprintf(full, sizeof full, "%s - %s", v[0], v[1]);
                        HMap_put(&r->r_name, fold_own(r, full), (void *)deleg);
                        if (deleg != v[0] && strcmp(deleg, v[0]) != 0) {
                                xsnprintf(full, sizeof full, "%s - %s", deleg, v[1]);
                                HMap_put(&r->r_name, fold_own(r, full), (void *)deleg);
                        }
                }
                r->roster_rows++;
        }
        if (rc == 0 && ferror(f)) {
                xsnprintf(err, errlen, "%s: %s", path, strerror(errno));
                rc = -1;
        }
        free(line);
        return rc;
}

int Resolver_apply_config(Resolver *r, const Config *cfg, char *err, size_t errlen)
{
        for (size_t i = 0; i < cfg->norgs; i++) {
                if (Resolver_add_group(r, cfg->orgs[i].name, NULL, err, errlen))
                        return -1;
                for (size_t k = 0; k < cfg->orgs[i].n; k++) {
                        if (Resolver_add_group(r, cfg->orgs[i].name, cfg->orgs[i].items[k], err,
                                               errlen))
                                return -1;
                }
        }
        for (size_t i = 0; i < cfg->naliases; i++) {
                if (Resolver_add_alias(r, cfg->aliases[i].items[0], cfg->aliases[i].name, err,
                                       errlen))
                        return -1;
        }
        if (cfg->roster && Resolver_load_roster(r, cfg->roster, err, errlen))
                return -1;
        return 0;
}
