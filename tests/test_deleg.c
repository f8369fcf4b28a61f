/* deleg and countries: display-name patterns, country names and codes, aliases and
 * groups, phone names, the roster CSV (docs/semantics.md §3 "Delegations"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "countries.h"
#include "deleg.h"
#include "tap.h"
#include "util.h"

static char tmpdir[] = "/tmp/capmon-test-deleg-XXXXXX";

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "wb");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
                perror(path);
                exit(2);
        }
}

/* Resolves a display name alone (no roster, email or phone). */
static const char *by_name(const Resolver *r, const char *name)
{
        PartIdent p = {name, NULL, NULL, NULL};
        return Resolver_resolve(r, &p);
}

static void name_is(const Resolver *r, const char *name, const char *want)
{
        is_str(by_name(r, name), want, "\"%s\" -> %s", name, want);
}

static void test_table(const Resolver *r)
{
        is_int(COUNTRIES_LEN, 194, "the country table has 194 rows");
        int dup2 = 0, dup3 = 0, badcode = 0, unsorted = 0, own = 0, extras = 0, missing_lang = 0;
        for (size_t i = 0; i < COUNTRIES_LEN; i++) {
                const Country *c = &COUNTRIES[i];
                if (strlen(c->alpha2) != 2 || strlen(c->alpha3) != 3)
                        badcode++;
                for (const char *p = c->alpha2; *p; p++)
                        badcode += *p < 'A' || *p > 'Z';
                for (const char *p = c->alpha3; *p; p++)
                        badcode += *p < 'A' || *p > 'Z';
                for (size_t k = i + 1; k < COUNTRIES_LEN; k++) {
                        dup2 += strcmp(c->alpha2, COUNTRIES[k].alpha2) == 0;
                        dup3 += strcmp(c->alpha3, COUNTRIES[k].alpha3) == 0;
                }
                if (i > 0 && strcmp(COUNTRIES[i - 1].en, c->en) >= 0)
                        unsorted++;
                /* every official name and code of a row leads back to that row */
                const char *names[] = {c->en,     c->fr, c->es, c->alpha2,
                                       c->alpha3, c->ar, c->zh, c->ru};
                for (size_t k = 0; k < 8; k++) {
                        if (!names[k]) {
                                missing_lang += k >= 5;
                                continue;
                        }
                        const char *got = Resolver_lookup(r, names[k]);
                        if (!got || strcmp(got, c->en) != 0) {
                                own++;
                                diag("%s -> %s (expected %s)", names[k], got ? got : "NULL", c->en);
                        }
                }
                for (const char *p = c->extra; p && *p;) {
                        size_t n = strcspn(p, "|");
                        char *one = strndup(p, n);
                        const char *got = Resolver_lookup(r, one);
                        if (!got || strcmp(got, c->en) != 0) {
                                extras++;
                                diag("extra %s -> %s (expected %s)", one, got ? got : "NULL",
                                     c->en);
                        }
                        free(one);
                        p += n + (p[n] == '|');
                }
        }
        is_int(badcode, 0, "codes are 2 and 3 capital letters");
        is_int(dup2, 0, "alpha-2 codes are unique");
        is_int(dup3, 0, "alpha-3 codes are unique");
        is_int(unsorted, 0, "rows sorted by English name in byte order, no duplicate name");
        is_int(own, 0, "every name in the six languages and every code resolves to its own row");
        is_int(missing_lang, 0, "every row has an Arabic, a Chinese and a Russian name");
        is_int(extras, 0, "every extra name resolves to its own row");
        ok(Resolver_lookup(r, "Palau") && Resolver_lookup(r, "Vatican"),
           "Palau and the Vatican are members");
        ok(Resolver_lookup(r, "Palestine") == NULL && Resolver_lookup(r, "PS") == NULL,
           "Palestine (an observer) is not");
}

static void test_lookup(const Resolver *r)
{
        is_str(Resolver_lookup(r, "Switzerland"), "Switzerland", "English name");
        is_str(Resolver_lookup(r, "Suisse"), "Switzerland", "French name");
        is_str(Resolver_lookup(r, "Suiza"), "Switzerland", "Spanish name");
        is_str(Resolver_lookup(r, "CH"), "Switzerland", "alpha-2");
        is_str(Resolver_lookup(r, "che"), "Switzerland", "alpha-3, lower case");
        is_str(Resolver_lookup(r, "ch"), "Switzerland", "alpha-2, lower case");
        is_str(Resolver_lookup(r, "ALLEMAGNE"), "Germany", "upper case");
        is_str(Resolver_lookup(r, "etats-unis"), "United States", "accents optional");
        is_str(Resolver_lookup(r, "\xc3\x89tats-Unis"), "United States", "accents given");
        is_str(Resolver_lookup(r, "Espana"), "Spain", "n for n-tilde");
        is_str(Resolver_lookup(r, "  united \t kingdom "), "United Kingdom", "white space folded");
        is_str(Resolver_lookup(r, "COTE D\xe2\x80\x99IVOIRE"), "C\xc3\xb4te d'Ivoire",
               "typographic apostrophe");
        is_str(Resolver_lookup(r, "Turkey"), "T\xc3\xbcrkiye", "former name (extra)");
        is_str(Resolver_lookup(r, "Turkiye"), "T\xc3\xbcrkiye", "u for u-diaeresis");
        is_str(Resolver_lookup(r, "Rep\xc3\xba"
                                  "blica Checa"),
               "Czech Republic", "Spanish name");
        is_str(Resolver_lookup(r, "Royaume-Uni"), "United Kingdom", "French name with hyphen");
        is_str(Resolver_lookup(r, "ITU"), "ITU", "ITU is its own group");
        is_str(Resolver_lookup(r, "uit"), "ITU", "UIT (French/Spanish) is ITU");
        ok(Resolver_lookup(r, "Atlantis") == NULL, "unknown name: NULL");
        ok(Resolver_lookup(r, "") == NULL && Resolver_lookup(r, "   ") == NULL, "empty name: NULL");
        ok(Resolver_lookup(r, "Fran") == NULL, "no prefix matching");
}

/* The six official languages of the UN, short and formal names, as delegates
 * type them (issue 16): each checked by hand against the country it names. */
static void test_six_languages(const Resolver *r)
{
        static const struct {
                const char *name, *want, *what;
        } cases[] = {
            {"Estados Unidos de Am\xc3\xa9rica", "United States", "Spanish formal"},
            {"\xd0\xa0\xd0\xbe\xd1\x81\xd1\x81\xd0\xb8\xd0\xb9\xd1\x81\xd0\xba\xd0\xb0\xd1\x8f "
             "\xd0\xa4\xd0\xb5\xd0\xb4\xd0\xb5\xd1\x80\xd0\xb0\xd1\x86\xd0\xb8\xd1\x8f",
             "Russian Federation", "Russian: \"Rossiyskaya Federatsiya\""},
            {"\xd0\xa0\xd0\x9e\xd0\xa1\xd0\xa1\xd0\x98\xd0\xaf", "Russian Federation",
             "Russian, upper case: \"ROSSIYA\""},
            {"\xe4\xb8\xad\xe5\x9b\xbd", "China", "Chinese: \"Zhongguo\""},
            {"\xe4\xb8\xad\xe5\x8d\x8e\xe4\xba\xba\xe6\xb0\x91\xe5\x85\xb1\xe5\x92\x8c\xe5\x9b\xbd",
             "China", "Chinese formal: People's Republic of China"},
            {"\xd9\x85\xd8\xb5\xd8\xb1", "Egypt", "Arabic: \"Misr\""},
            {"\xd8\xac\xd9\x85\xd9\x87\xd9\x88\xd8\xb1\xd9\x8a\xd8\xa9 \xd9\x85\xd8\xb5\xd8\xb1 "
             "\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\xa9",
             "Egypt", "Arabic formal, written without harakat"},
            {"\xd8\xa7\xd9\x84\xd8\xb5\xd9\x91\xd9\x8a\xd9\x86", "China",
             "Arabic with a shadda (a combining mark, folded away)"},
            {"Vi\xe1\xbb\x87t Nam", "Viet Nam", "Vietnamese spelling with a dot below"},
            {"\xef\xbc\xa6\xef\xbc\xb2\xef\xbc\xa1\xef\xbc\xae\xef\xbc\xa3\xef\xbc\xa5", "France",
             "full-width letters"},
            {"R\xc3\xa9publique populaire de Chine", "China", "French formal"},
            {"\xe5\xbe\xb7\xe5\x9b\xbd", "Germany", "Chinese: \"Deguo\""},
            {"\xd0\x93\xd0\xb5\xd1\x80\xd0\xbc\xd0\xb0\xd0\xbd\xd0\xb8\xd1\x8f", "Germany",
             "Russian: \"Germaniya\""},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
                is_str(Resolver_lookup(r, cases[i].name), cases[i].want, "%s", cases[i].what);
        PartIdent p = {0};
        p.name =
            "\xd0\xa0\xd0\xbe\xd1\x81\xd1\x81\xd0\xb8\xd1\x8f - \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd "
            "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2";
        is_str(Resolver_resolve(r, &p), "Russian Federation",
               "display name \"Rossiya - Ivan Petrov\" in Cyrillic");
        p.name = "\xe4\xb8\xad\xe5\x9b\xbd - \xe7\x8e\x8b\xe4\xbc\x9f";
        is_str(Resolver_resolve(r, &p), "China", "display name \"Zhongguo - Wang Wei\"");
}

static void test_patterns(const Resolver *r)
{
        name_is(r, "France - Jean Dupont", "France");
        name_is(r, "France \xe2\x80\x93 Jean Dupont", "France"); /* en dash */
        name_is(r, "France \xe2\x80\x94 Jean Dupont", "France"); /* em dash */
        name_is(r, "Suisse: Hans Muster", "Switzerland");
        name_is(r, "Suiza : Ana", "Switzerland");
        name_is(r, "[DE] Hans M\xc3\xbcller", "Germany");
        name_is(r, "  [ Japon ]Taro", "Japan");
        name_is(r,
                "Maria L\xc3\xb3pez (Espa\xc3\xb1"
                "a)",
                "Spain");
        name_is(r, "Maria Lopez (ESP)  ", "Spain");
        name_is(r, "Evo (Bolivia (Plurinational State of))", "Bolivia (Plurinational State of)");
        name_is(r, "Japan, Taro Yamada", "Japan");
        name_is(r, "united states of america - John", "United States");
        name_is(r, "\xc3\x89tats-Unis - Jean", "United States");
        name_is(r, "Estados Unidos: Ana", "United States");
        name_is(r, "ITU - Staff", "ITU");
        name_is(r, "UIT: Personnel", "ITU");
        name_is(r, "[uit] Secr\xc3\xa9tariat", "ITU");
        name_is(r, "Bolivia (Plurinational State of) - Evo", "Bolivia (Plurinational State of)");
        /* pattern order: the first pattern whose country part is known wins */
        name_is(r, "France - Marie (Germany)", "France");
        name_is(r, "Marie Curie - Paris (Poland)", "Poland");
        name_is(r, "Kenya: Ann - Smith", "Kenya"); /* pattern 1 part unknown, then 2 */
        name_is(r, "Smith, John (Kenya)", "Kenya");
        name_is(r, "Dr. Smith (Ghana) ", "Ghana");
        name_is(r, "Tedros (WHO)", DELEG_UNIDENTIFIED);
        name_is(r, "France-Jean", DELEG_UNIDENTIFIED); /* no spaces around the hyphen */
        name_is(r, "John Smith", DELEG_UNIDENTIFIED);
        name_is(r, "Smith, John", DELEG_UNIDENTIFIED);
        name_is(r, "", DELEG_UNIDENTIFIED);
        ok(Resolver_from_display_name(r, NULL) == NULL, "NULL name: no pattern");
        ok(Resolver_from_display_name(r, "Kenya") == NULL, "a bare country name is no pattern");
        PartIdent none = {NULL, NULL, NULL, NULL};
        is_str(Resolver_resolve(r, &none), DELEG_UNIDENTIFIED, "nothing known: Unidentified");
}

static void test_phone(const Resolver *r)
{
        ok(deleg_is_phone_name("+41 22 730 5111"), "international number");
        ok(deleg_is_phone_name("(022) 730-51.11"), "brackets, dash and dot");
        ok(deleg_is_phone_name("123456"), "exactly 6 digits");
        ok(!deleg_is_phone_name("12345"), "5 digits are too few");
        ok(!deleg_is_phone_name("+1 (234) 5"), "5 digits among punctuation");
        ok(!deleg_is_phone_name("Call 0227305111"), "letters");
        ok(!deleg_is_phone_name("022/730 51 11"), "slash is not allowed");
        ok(!deleg_is_phone_name(""), "empty");
        ok(!deleg_is_phone_name(NULL), "NULL");
        name_is(r, "+41 22 730 5111", DELEG_DIALIN);
        name_is(r, "12345", DELEG_UNIDENTIFIED);
        PartIdent p = {"Guest", NULL, NULL, "+41227305111"};
        is_str(Resolver_resolve(r, &p), DELEG_DIALIN, "phone_number given: Dial-in");
        PartIdent q = {"Kenya - Guest", NULL, NULL, "+254700000000"};
        is_str(Resolver_resolve(r, &q), "Kenya", "a name pattern comes before the phone number");
        PartIdent e = {"Guest", NULL, NULL, ""};
        is_str(Resolver_resolve(r, &e), DELEG_UNIDENTIFIED, "empty phone_number is no phone");
}

static void test_aliases(void)
{
        char err[256] = "";
        Resolver *r = Resolver_new();
        is_int(Resolver_add_alias(r, "Helvetia", "CH", err, sizeof err), 0, "alias to a code");
        is_int(Resolver_add_alias(r, "Swiss Confederation", "Switzerland", err, sizeof err), 0,
               "alias to a name");
        is_str(Resolver_lookup(r, "helvetia"), "Switzerland", "alias, any case");
        name_is(r, "Swiss  Confederation - Hans", "Switzerland");
        err[0] = '\0';
        is_int(Resolver_add_alias(r, "Ruritania", "Narnia", err, sizeof err), -1,
               "alias to an unknown target fails");
        is_str(err, "alias \"Ruritania\": unknown country or group \"Narnia\"",
               "message names alias and target");
        is_int(Resolver_add_alias(r, "  ", "France", err, sizeof err), -1, "empty alias fails");

        is_int(Resolver_add_group(r, "WHO", NULL, err, sizeof err), 0, "group");
        is_int(Resolver_add_group(r, "WHO", "World Health Organization", err, sizeof err), 0,
               "group alias");
        is_int(Resolver_add_group(r, "WHO", "OMS", err, sizeof err), 0, "second group alias");
        name_is(r, "WHO: Dr Tedros", "WHO");
        name_is(r, "Dr Tedros (World Health Organization)", "WHO");
        name_is(r, "[oms] Dr Tedros", "WHO");
        is_int(Resolver_add_alias(r, "Weltgesundheitsorganisation", "OMS", err, sizeof err), 0,
               "alias to a group alias");
        is_str(Resolver_lookup(r, "weltgesundheitsorganisation"), "WHO", "resolves to the group");
        ok(Resolver_lookup(r, "WHO") == Resolver_intern(r, "WHO"),
           "group name interned: one pointer");
        is_int(Resolver_add_group(r, "", NULL, err, sizeof err), -1, "empty group name fails");
        Resolver_free(r);
}

static void test_roster(void)
{
        char path[128], err[512];
        Resolver *r = Resolver_new();
        snprintf(path, sizeof path, "%s/roster.csv", tmpdir);
        write_file(path, "\xef\xbb\xbf"
                         "delegation,name,email,registrant_id\r\n"
                         "France,\"Dupont, Jean\",Jean.Dupont@Example.org,R1\r\n"
                         "\r\n"
                         "\"Suisse\",\"Hans \"\"Hansi\"\" Muster\",,R2\r\n"
                         "WHO,Tedros,tedros@who.int,,extra\r\n"
                         "France,Germany - Hans,,\r\n"
                         "\"Kenya\" ,\"Wanjiru\" ,x@y.ke\r\n"
                         "France,Last Line,,R9");
        err[0] = '\0';
        is_int(Resolver_load_roster(r, path, err, sizeof err), 0, "roster with BOM, CRLF, quotes");
        is_str(err, "", "no message");
        is_int(Resolver_roster_size(r), 6, "6 rows (header and blank line not counted)");

        PartIdent p = {"Someone", NULL, "R1", NULL};
        is_str(Resolver_resolve(r, &p), "France", "by registrant_id");
        PartIdent q = {"Someone", "JEAN.DUPONT@example.ORG", NULL, NULL};
        is_str(Resolver_resolve(r, &q), "France", "by email, case-insensitive");
        name_is(r, "dupont,  jean", "France");
        name_is(r, "Hans \"Hansi\" Muster", "Switzerland");
        name_is(r, "Suisse - Hans \"Hansi\" Muster", "Switzerland");
        name_is(r, "Switzerland - Hans \"Hansi\" Muster", "Switzerland");
        PartIdent h = {"Anyone", NULL, "R2", NULL};
        is_str(Resolver_resolve(r, &h), "Switzerland", "quoted delegation canonicalised");
        name_is(r, "Tedros", "WHO");
        name_is(r, "WHO - Tedros", "WHO");
        PartIdent t = {"x", "TEDROS@WHO.INT", NULL, NULL};
        is_str(Resolver_resolve(r, &t), "WHO", "roster's own group by email");
        name_is(r, "Germany - Hans", "France"); /* the roster comes before the patterns */
        name_is(r, "Germany - Fritz", "Germany");
        name_is(r, "Wanjiru", "Kenya");
        name_is(r, "Last Line", "France");
        PartIdent reg = {"Germany - Fritz", NULL, "R9", NULL};
        is_str(Resolver_resolve(r, &reg), "France", "registrant_id before name pattern");
        PartIdent miss = {"Germany - Fritz", "nobody@example.org", "R404", NULL};
        is_str(Resolver_resolve(r, &miss), "Germany", "no roster match: patterns");
        Resolver_free(r);

        /* errors, with file and line */
        char want[512];
        struct {
                const char *text, *what;
                int line;
                const char *msg;
        } bad[] = {
            {"delegation,name\nFrance,Jean\nFrance,\"Unterminated\nKenya,Ann\n",
             "unterminated quote", 3, "malformed CSV line"},
            {"delegation,name\n\nFrance,\"Jean\"x\n", "text after a closing quote", 3,
             "malformed CSV line"},
            {"delegation,name\r\nFrance,Jean\r\n ,Ann\r\n", "empty delegation", 3,
             "empty delegation"},
            {"name,email\nJean,j@x.org\n", "no delegation column", 1,
             "header must name a \"delegation\" column (delegation,name,email,registrant_id)"},
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                r = Resolver_new();
                snprintf(path, sizeof path, "%s/bad%zu.csv", tmpdir, i);
                write_file(path, bad[i].text);
                err[0] = '\0';
                is_int(Resolver_load_roster(r, path, err, sizeof err), -1, "%s fails", bad[i].what);
                snprintf(want, sizeof want, "%s:%d: %s", path, bad[i].line, bad[i].msg);
                is_str(err, want, "%s: message with line %d", bad[i].what, bad[i].line);
                Resolver_free(r);
        }

        r = Resolver_new();
        snprintf(path, sizeof path, "%s/long.csv", tmpdir);
        char *big = malloc(8192);
        strcpy(big, "delegation,name\nFrance,");
        size_t n = strlen(big);
        memset(big + n, 'a', 5000);
        strcpy(big + n + 5000, "\n");
        write_file(path, big);
        free(big);
        is_int(Resolver_load_roster(r, path, err, sizeof err), -1, "over-long line fails");
        snprintf(want, sizeof want, "%s:2: line longer than 4096 bytes", path);
        is_str(err, want, "over-long line: message with line 2");
        Resolver_free(r);

        r = Resolver_new();
        snprintf(path, sizeof path, "%s/blank-first.csv", tmpdir);
        write_file(path, "\nname,email\n");
        is_int(Resolver_load_roster(r, path, err, sizeof err), -1, "header after a blank line");
        snprintf(want, sizeof want,
                 "%s:2: header must name a \"delegation\" column "
                 "(delegation,name,email,registrant_id)",
                 path);
        is_str(err, want, "header error names the header's line (2)");
        Resolver_free(r);

        r = Resolver_new();
        snprintf(path, sizeof path, "%s/missing.csv", tmpdir);
        is_int(Resolver_load_roster(r, path, err, sizeof err), -1, "missing file fails");
        snprintf(want, sizeof want, "%s: No such file or directory", path);
        is_str(err, want, "missing file: message names the file");
        is_int(Resolver_roster_size(r), 0, "nothing loaded");
        Resolver_free(r);
}

int main(void)
{
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 2;
        }
        Resolver *r = Resolver_new();
        test_table(r);
        test_lookup(r);
        test_six_languages(r);
        test_patterns(r);
        test_phone(r);
        Resolver_free(r);
        test_aliases();
        test_roster();
        int rc = done_testing();
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
                diag("could not remove %s", tmpdir);
        return rc;
}
