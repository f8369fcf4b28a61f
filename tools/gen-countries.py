#!/usr/bin/python3
"""Generate monitor/countries.c: the ITU Member States with their names in the
six official languages of the UN (Arabic, Chinese, English, French, Russian,
Spanish), short and formal, and their ISO codes.

Sources, all read here, nothing fetched:
  tools/countries.tsv      the 194 rows: English/French/Spanish UN short names,
                           ISO alpha-2/alpha-3, other names people type (curated)
  tools/countries-un.tsv   UN names in ar/zh/ru (and others) where the iso-codes
                           translations lack or differ from them
  Debian's iso-codes       /usr/share/iso-codes/json/iso_3166-1.json and its
                           translations (iso_3166-1.mo for fr, es, ar, zh_CN, ru):
                           short, official and common names

Every name is folded as capmon folds names (NFKD, case folding, combining marks
dropped; monitor/util.c text_fold): a name whose folded form belongs to two
countries is left out of both and reported, so no name is ambiguous.

usage: /usr/bin/python3 tools/gen-countries.py [--check] [OUT]
  OUT defaults to monitor/countries.c; --check compares instead of writing
  (exit 1 when the file is not what the sources give)."""
import gettext
import json
import os
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ISO = "/usr/share/iso-codes/json/iso_3166-1.json"
LOCALES = "/usr/share/locale"
LANGS = [("fr", "fr"), ("es", "es"), ("ar", "ar"), ("zh", "zh_CN"), ("ru", "ru")]
LATIN = {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "t", "ħ": "h", "ı": "i", "ŧ": "t",
         "æ": "ae", "œ": "oe", "’": "'", "‘": "'", "ʼ": "'"}


def fold(s):
    s = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", s).casefold())
    out = []
    for ch in s:
        if unicodedata.category(ch) in ("Mn", "Me"):
            continue
        out.append(LATIN.get(ch, ch))
    return " ".join("".join(out).split())


def c_str(s):
    if s is None:
        return "NULL"
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    check = "--check" in sys.argv[1:]
    out = args[0] if args else os.path.join(ROOT, "monitor", "countries.c")
    rows = []
    with open(os.path.join(ROOT, "tools", "countries.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            en, fr, es, a2, a3, extra = line.rstrip("\n").split("\t")
            rows.append({"en": en, "fr": fr, "es": es, "alpha2": a2, "alpha3": a3,
                         "extra": [x for x in extra.split("|") if x]})
    un = {}
    with open(os.path.join(ROOT, "tools", "countries-un.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            a2, lang, names = line.rstrip("\n").split("\t")
            un.setdefault((a2, lang), []).extend(n for n in names.split("|") if n)
    iso = {c["alpha_2"]: c for c in json.load(open(ISO, encoding="utf-8"))["3166-1"]}
    tr = {k: gettext.translation("iso_3166-1", LOCALES, languages=[loc])
          for k, loc in LANGS}

    def translated(lang, msgid):
        t = tr[lang].gettext(msgid)
        return t if t != msgid else None  # untranslated: no name in that language

    for r in rows:
        c = iso.get(r["alpha2"])
        if not c or c["alpha_3"] != r["alpha3"]:
            sys.exit("gen-countries: %s/%s not in iso-codes" % (r["alpha2"], r["alpha3"]))
        names = []  # every other name: iso's English ones, then each language's
        for k in ("name", "official_name", "common_name"):
            if c.get(k):
                names.append(c[k])
        for lang, _ in LANGS:
            over = un.get((r["alpha2"], lang), [])
            iso_names = [translated(lang, c[k]) for k in ("name", "official_name", "common_name")
                         if c.get(k)]
            iso_names = [n for n in iso_names if n]
            if lang in ("ar", "zh", "ru"):
                short = over[0] if over else (iso_names[0] if iso_names else None)
                r[lang] = short
            names += over + iso_names
        r["more"] = names

    # each folded name to the rows it would name; shared ones are dropped
    owner = {}
    for i, r in enumerate(rows):
        for n in [r["en"], r["fr"], r["es"], r["ar"], r["zh"], r["ru"], r["alpha2"],
                  r["alpha3"]] + r["extra"] + r["more"]:
            if n:
                owner.setdefault(fold(n), set()).add(i)
    dropped = sorted(k for k, v in owner.items() if len(v) > 1)
    for r in rows:  # the primary names must stay unique
        for k in ("en", "fr", "es", "ar", "zh", "ru", "alpha2", "alpha3"):
            if r[k] and fold(r[k]) in dropped:
                sys.exit("gen-countries: %s name %r of %s is also another country's"
                         % (k, r[k], r["en"]))
    lines = []
    for r in rows:
        seen = {fold(r[k]) for k in ("en", "fr", "es", "ar", "zh", "ru", "alpha2", "alpha3")
                if r[k]}
        extra = []
        for n in r["extra"] + r["more"]:
            f = fold(n)
            if f and f not in seen and f not in dropped:
                seen.add(f)
                extra.append(n)
        lines.append("    {%s, %s, %s, %s, %s, %s, %s, %s,\n     %s}," % (
            c_str(r["en"]), c_str(r["fr"]), c_str(r["es"]), c_str(r["ar"]), c_str(r["zh"]),
            c_str(r["ru"]), c_str(r["alpha2"]), c_str(r["alpha3"]),
            c_str("|".join(extra)) if extra else "NULL"))
    text = HEADER + "const Country COUNTRIES[] = {\n" + "\n".join(lines) + \
        "\n};\n/* clang-format on */\nconst size_t COUNTRIES_LEN = sizeof COUNTRIES / sizeof COUNTRIES[0];\n"
    if check:
        cur = open(out, encoding="utf-8").read() if os.path.exists(out) else ""
        if cur != text:
            sys.exit("gen-countries: %s is not what tools/gen-countries.py makes of its "
                     "sources: run it" % out)
        return
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    if dropped:
        print("gen-countries: %d names shared by two countries left out: %s"
              % (len(dropped), ", ".join(dropped[:12])), file=sys.stderr)


HEADER = """/* GENERATED by tools/gen-countries.py from tools/countries.tsv,
 * tools/countries-un.tsv and Debian's iso-codes (names and translations): do not
 * edit; change the sources and run the script again.
 *
 * The ITU Member States (194 rows: the 193 UN Member States and the Vatican,
 * sorted by `en`) with their short names in the six official UN languages, their
 * ISO 3166-1 codes, and in `extra` every other name people type: formal names in
 * the six languages, iso-codes' own names, common names. After folding (case,
 * accents, compatibility forms) no name belongs to two rows.
 */
#include "countries.h"

/* clang-format off */

"""

main()
