#!/usr/bin/python3
"""Generate deterministic, realistic capmon event recordings (JSON Lines, SPEC §5).

Modes:
  sitting   a three-hour council sitting of an intergovernmental body: about 180
            delegations, waiting room, churn, early drops, breakout moves, a bound
            phone, role changes, cameras, portal join failures at capacity, and
            Zoom's messiness (redeliveries, late and out-of-order lefts, a few bad
            lines). The bundled demo recording, examples/council-sitting.jsonl.
  stress    a large log for benchmarks: several meetings of up to N concurrent
            participants each, --records records of the same shapes.
  sessions  --count concurrent open sessions in one meeting (joins only), for a
            memory benchmark.
  meetings  --count one-person meetings one after the other (started, joined,
            left, ended), for the cost of many meetings (bench/bench_scale.sh).
  churn     --records records of a steady account: --concurrent sessions open at
            any time, spread over --meetings live meetings of an hour each that
            end and are replaced, sessions that leave and are replaced, one
            record every 50 ms; the same shape at any length, for the memory of
            long runs (bench/bench_scale.sh).

Usage:
  tools/gen-recording.py --mode sitting --seed 1 --out examples/council-sitting.jsonl
  tools/gen-recording.py --mode stress --seed 1 --records 1000000 --out /tmp/stress.jsonl
  tools/gen-recording.py --mode sessions --count 100000 --out /tmp/sessions.jsonl
  tools/gen-recording.py --mode meetings --count 20000 --out /tmp/meetings.jsonl
  tools/gen-recording.py --mode churn --records 1000000 --concurrent 2000 | capmon replay --max -

Output is a function of the options only: every random choice comes from
random.Random(seed) and every time from the fixed base 2026-03-10T08:00:00Z, never
from the wall clock. Records are written in arrival (`recv`) order with `seq`
1, 2, 3, ... A summary goes to stderr. Standard library only (Python 3.11).
"""

import argparse
import bisect
import calendar
import heapq
import json
import random
import sys
import time

BASE_ISO = "2026-03-10T08:00:00Z"
BASE_MS = calendar.timegm(time.strptime(BASE_ISO, "%Y-%m-%dT%H:%M:%SZ")) * 1000
SEC = 1000
MIN = 60 * SEC

# --------------------------------------------------------------------------------
# Reference data: countries and names
# --------------------------------------------------------------------------------

# ITU Member States as monitor/countries.c knows them: English|French|Spanish|ISO
# alpha-3, with the name people actually type first when the official English
# name is long ("Bolivia" for "Bolivia (Plurinational State of)").
COUNTRIES = """\
Afghanistan|Afghanistan|Afganistán|AFG
Albania|Albanie|Albania|ALB
Algeria|Algérie|Argelia|DZA
Andorra|Andorre|Andorra|AND
Angola|Angola|Angola|AGO
Antigua and Barbuda|Antigua-et-Barbuda|Antigua y Barbuda|ATG
Argentina|Argentine|Argentina|ARG
Armenia|Arménie|Armenia|ARM
Australia|Australie|Australia|AUS
Austria|Autriche|Austria|AUT
Azerbaijan|Azerbaïdjan|Azerbaiyán|AZE
Bahamas|Bahamas|Bahamas|BHS
Bahrain|Bahreïn|Bahrein|BHR
Bangladesh|Bangladesh|Bangladesh|BGD
Barbados|Barbade|Barbados|BRB
Belarus|Bélarus|Belarús|BLR
Belgium|Belgique|Bélgica|BEL
Belize|Belize|Belice|BLZ
Benin|Bénin|Benin|BEN
Bhutan|Bhoutan|Bhután|BTN
Bolivia|Bolivie|Bolivia|BOL
Bosnia and Herzegovina|Bosnie-Herzégovine|Bosnia y Herzegovina|BIH
Botswana|Botswana|Botswana|BWA
Brazil|Brésil|Brasil|BRA
Brunei Darussalam|Brunéi Darussalam|Brunei Darussalam|BRN
Bulgaria|Bulgarie|Bulgaria|BGR
Burkina Faso|Burkina Faso|Burkina Faso|BFA
Burundi|Burundi|Burundi|BDI
Cabo Verde|Cabo Verde|Cabo Verde|CPV
Cambodia|Cambodge|Camboya|KHM
Cameroon|Cameroun|Camerún|CMR
Canada|Canada|Canadá|CAN
Central African Republic|République centrafricaine|República Centroafricana|CAF
Chad|Tchad|Chad|TCD
Chile|Chili|Chile|CHL
China|Chine|China|CHN
Colombia|Colombie|Colombia|COL
Comoros|Comores|Comoras|COM
Congo|Congo|Congo|COG
Costa Rica|Costa Rica|Costa Rica|CRI
Croatia|Croatie|Croacia|HRV
Cuba|Cuba|Cuba|CUB
Cyprus|Chypre|Chipre|CYP
Czech Republic|République tchèque|República Checa|CZE
Côte d'Ivoire|Côte d'Ivoire|Côte d'Ivoire|CIV
DPR Korea|République populaire démocratique de Corée|República Popular Democrática de Corea|PRK
DR Congo|République démocratique du Congo|República Democrática del Congo|COD
Denmark|Danemark|Dinamarca|DNK
Djibouti|Djibouti|Djibouti|DJI
Dominica|Dominique|Dominica|DMA
Dominican Republic|République dominicaine|República Dominicana|DOM
Ecuador|Équateur|Ecuador|ECU
Egypt|Égypte|Egipto|EGY
El Salvador|El Salvador|El Salvador|SLV
Equatorial Guinea|Guinée équatoriale|Guinea Ecuatorial|GNQ
Eritrea|Érythrée|Eritrea|ERI
Estonia|Estonie|Estonia|EST
Eswatini|Eswatini|Eswatini|SWZ
Ethiopia|Éthiopie|Etiopía|ETH
Fiji|Fidji|Fiji|FJI
Finland|Finlande|Finlandia|FIN
France|France|Francia|FRA
Gabon|Gabon|Gabón|GAB
Gambia|Gambie|Gambia|GMB
Georgia|Géorgie|Georgia|GEO
Germany|Allemagne|Alemania|DEU
Ghana|Ghana|Ghana|GHA
Greece|Grèce|Grecia|GRC
Grenada|Grenade|Granada|GRD
Guatemala|Guatemala|Guatemala|GTM
Guinea|Guinée|Guinea|GIN
Guinea-Bissau|Guinée-Bissau|Guinea-Bissau|GNB
Guyana|Guyana|Guyana|GUY
Haiti|Haïti|Haití|HTI
Honduras|Honduras|Honduras|HND
Hungary|Hongrie|Hungría|HUN
Iceland|Islande|Islandia|ISL
India|Inde|India|IND
Indonesia|Indonésie|Indonesia|IDN
Iran|Iran (République islamique d')|Irán (República Islámica del)|IRN
Iraq|Iraq|Iraq|IRQ
Ireland|Irlande|Irlanda|IRL
Israel|Israël|Israel|ISR
Italy|Italie|Italia|ITA
Jamaica|Jamaïque|Jamaica|JAM
Japan|Japon|Japón|JPN
Jordan|Jordanie|Jordania|JOR
Kazakhstan|Kazakhstan|Kazajstán|KAZ
Kenya|Kenya|Kenya|KEN
Kiribati|Kiribati|Kiribati|KIR
Kuwait|Koweït|Kuwait|KWT
Kyrgyzstan|Kirghizistan|Kirguistán|KGZ
Lao PDR|République démocratique populaire lao|República Democrática Popular Lao|LAO
Latvia|Lettonie|Letonia|LVA
Lebanon|Liban|Líbano|LBN
Lesotho|Lesotho|Lesotho|LSO
Liberia|Libéria|Liberia|LBR
Libya|Libye|Libia|LBY
Liechtenstein|Liechtenstein|Liechtenstein|LIE
Lithuania|Lituanie|Lituania|LTU
Luxembourg|Luxembourg|Luxemburgo|LUX
Madagascar|Madagascar|Madagascar|MDG
Malawi|Malawi|Malawi|MWI
Malaysia|Malaisie|Malasia|MYS
Maldives|Maldives|Maldivas|MDV
Mali|Mali|Malí|MLI
Malta|Malte|Malta|MLT
Marshall Islands|Îles Marshall|Islas Marshall|MHL
Mauritania|Mauritanie|Mauritania|MRT
Mauritius|Maurice|Mauricio|MUS
Mexico|Mexique|México|MEX
Micronesia|Micronésie|Micronesia|FSM
Monaco|Monaco|Mónaco|MCO
Mongolia|Mongolie|Mongolia|MNG
Montenegro|Monténégro|Montenegro|MNE
Morocco|Maroc|Marruecos|MAR
Mozambique|Mozambique|Mozambique|MOZ
Myanmar|Myanmar|Myanmar|MMR
Namibia|Namibie|Namibia|NAM
Nauru|Nauru|Nauru|NRU
Nepal|Népal|Nepal|NPL
Netherlands|Pays-Bas|Países Bajos|NLD
New Zealand|Nouvelle-Zélande|Nueva Zelandia|NZL
Nicaragua|Nicaragua|Nicaragua|NIC
Niger|Niger|Níger|NER
Nigeria|Nigéria|Nigeria|NGA
North Macedonia|Macédoine du Nord|Macedonia del Norte|MKD
Norway|Norvège|Noruega|NOR
Oman|Oman|Omán|OMN
Pakistan|Pakistan|Pakistán|PAK
Palau|Palaos|Palau|PLW
Panama|Panama|Panamá|PAN
Papua New Guinea|Papouasie-Nouvelle-Guinée|Papua Nueva Guinea|PNG
Paraguay|Paraguay|Paraguay|PRY
Peru|Pérou|Perú|PER
Philippines|Philippines|Filipinas|PHL
Poland|Pologne|Polonia|POL
Portugal|Portugal|Portugal|PRT
Qatar|Qatar|Qatar|QAT
Republic of Korea|République de Corée|República de Corea|KOR
Moldova|République de Moldova|República de Moldova|MDA
Romania|Roumanie|Rumania|ROU
Russian Federation|Fédération de Russie|Federación de Rusia|RUS
Rwanda|Rwanda|Rwanda|RWA
Saint Kitts and Nevis|Saint-Kitts-et-Nevis|Saint Kitts y Nevis|KNA
Saint Lucia|Sainte-Lucie|Santa Lucía|LCA
Saint Vincent and the Grenadines|Saint-Vincent-et-les Grenadines|San Vicente y las Granadinas|VCT
Samoa|Samoa|Samoa|WSM
San Marino|Saint-Marin|San Marino|SMR
Sao Tome and Principe|Sao Tomé-et-Principe|Santo Tomé y Príncipe|STP
Saudi Arabia|Arabie saoudite|Arabia Saudita|SAU
Senegal|Sénégal|Senegal|SEN
Serbia|Serbie|Serbia|SRB
Seychelles|Seychelles|Seychelles|SYC
Sierra Leone|Sierra Leone|Sierra Leona|SLE
Singapore|Singapour|Singapur|SGP
Slovakia|Slovaquie|Eslovaquia|SVK
Slovenia|Slovénie|Eslovenia|SVN
Solomon Islands|Îles Salomon|Islas Salomón|SLB
Somalia|Somalie|Somalia|SOM
South Africa|Afrique du Sud|Sudáfrica|ZAF
South Sudan|Soudan du Sud|Sudán del Sur|SSD
Spain|Espagne|España|ESP
Sri Lanka|Sri Lanka|Sri Lanka|LKA
Sudan|Soudan|Sudán|SDN
Suriname|Suriname|Suriname|SUR
Sweden|Suède|Suecia|SWE
Switzerland|Suisse|Suiza|CHE
Syrian Arab Republic|République arabe syrienne|República Árabe Siria|SYR
Tajikistan|Tadjikistan|Tayikistán|TJK
Thailand|Thaïlande|Tailandia|THA
Timor-Leste|Timor-Leste|Timor-Leste|TLS
Togo|Togo|Togo|TGO
Tonga|Tonga|Tonga|TON
Trinidad and Tobago|Trinité-et-Tobago|Trinidad y Tabago|TTO
Tunisia|Tunisie|Túnez|TUN
Turkmenistan|Turkménistan|Turkmenistán|TKM
Tuvalu|Tuvalu|Tuvalu|TUV
Türkiye|Türkiye|Türkiye|TUR
Uganda|Ouganda|Uganda|UGA
Ukraine|Ukraine|Ucrania|UKR
United Arab Emirates|Émirats arabes unis|Emiratos Árabes Unidos|ARE
United Kingdom|Royaume-Uni|Reino Unido|GBR
Tanzania|République-Unie de Tanzanie|República Unida de Tanzanía|TZA
United States|États-Unis|Estados Unidos|USA
Uruguay|Uruguay|Uruguay|URY
Uzbekistan|Ouzbékistan|Uzbekistán|UZB
Vanuatu|Vanuatu|Vanuatu|VUT
Vatican|Saint-Siège|Santa Sede|VAT
Venezuela|Venezuela (République bolivarienne du)|Venezuela (República Bolivariana de)|VEN
Viet Nam|Viet Nam|Viet Nam|VNM
Yemen|Yémen|Yemen|YEM
Zambia|Zambie|Zambia|ZMB
Zimbabwe|Zimbabwe|Zimbabwe|ZWE
"""

# Language area of each country's delegates (for their names and for whether they
# type the French or Spanish country name). Countries not listed use "en".
REGIONS = {
    "fr": "FRA BEL LUX MCO SEN CIV MLI BFA NER TCD CMR GAB COG COD BEN TGO GIN MDG "
          "HTI DJI COM BDI RWA CAF",
    "es": "ESP MEX ARG CHL COL PER VEN BOL ECU URY PRY CUB DOM GTM HND SLV NIC CRI "
          "PAN GNQ AND",
    "pt": "BRA PRT AGO MOZ CPV GNB STP TLS",
    "ar": "SAU ARE EGY DZA MAR TUN LBY JOR LBN SYR IRQ KWT QAT BHR OMN YEM SDN MRT SOM",
    "sl": "RUS UKR BLR KAZ KGZ TJK UZB TKM ARM AZE GEO MDA POL CZE SVK BGR SRB HRV "
          "SVN BIH MNE MKD",
    "de": "DEU AUT CHE NLD DNK SWE NOR FIN ISL LIE",
    "eu": "ITA GRC HUN ROU ALB CYP EST LVA LTU MLT SMR VAT",
    "zh": "CHN", "ja": "JPN", "ko": "KOR PRK",
    "se": "VNM THA IDN MYS PHL KHM LAO MMR SGP BRN MNG",
    "sa": "IND PAK BGD LKA NPL BTN MDV AFG",
    "ir": "IRN", "tr": "TUR",
    "af": "NGA KEN GHA UGA TZA ZAF ZMB ZWE MWI BWA NAM LSO SWZ ETH ERI SSD LBR SLE "
          "GMB SYC MUS",
}

# First names / last names per language area.
NAMES = {
    "en": ("James Sarah Michael Emily David Olivia Daniel Grace Thomas Hannah Robert "
           "Laura William Rachel Peter Catherine Andrew Jessica Mark Helen",
           "Smith Johnson Brown Taylor Wilson Campbell Clarke Walker Robinson Hughes "
           "Edwards Morgan Bennett Mitchell Turner Parker Reid Stewart Harris Cooper"),
    "fr": ("Marie Jean Sophie Pierre Camille Nicolas Claire Julien Aminata Moussa "
           "Fatou Ibrahima Élodie François Mariama Cheikh Nathalie Olivier Awa Serge",
           "Dupont Martin Lefebvre Moreau Laurent Girard Diallo Traoré Ndiaye Koné "
           "Diop Ouédraogo Nkurunziza Habimana Ngoma Mbarga Fontaine Rousseau Bernard "
           "Mercier"),
    "es": ("Carlos María José Lucía Javier Ana Alejandro Carmen Diego Sofía Andrés "
           "Valentina Luis Gabriela Fernando Isabel Ricardo Daniela Pablo Elena",
           "García Rodríguez Martínez López González Hernández Pérez Sánchez Ramírez "
           "Torres Flores Rivera Gómez Díaz Vargas Castro Morales Ortiz Rojas Mendoza"),
    "pt": ("João Ana Pedro Mariana Lucas Beatriz Rafael Fernanda Tiago Carolina "
           "Miguel Inês Bruno Juliana André",
           "Silva Santos Oliveira Souza Pereira Costa Ferreira Almeida Carvalho Gomes "
           "Ribeiro Martins Rocha Barbosa Mendes"),
    "ar": ("Mohammed Fatima Ahmed Aisha Omar Layla Khalid Noura Youssef Mariam Hassan "
           "Salma Abdullah Huda Karim Rania Tariq Amira Samir Leila",
           "Al-Mansouri Haddad El-Sayed Benali Al-Rashid Khoury Mahmoud Nasser "
           "Al-Harbi Bouzid Saleh Abdelrahman Hamdan Aziz Farouk Al-Qahtani Mansour "
           "Darwish Youssef Rahman"),
    "sl": ("Alexander Olga Dmitry Elena Sergey Natalia Andrei Irina Piotr Katarzyna "
           "Tomáš Jana Nikola Milica Aleksandar Ivana Oleksandr Yulia Aibek Gulnara",
           "Ivanov Petrova Kovalenko Nowak Kowalski Novák Horvat Popović Jovanović "
           "Smirnov Shevchenko Kuznetsova Dvořák Abenov Aliyev Grigoryan Beridze "
           "Ceban Dimitrov Kolar"),
    "de": ("Anna Lukas Katharina Jonas Lena Felix Sofie Erik Ingrid Lars Sanne Pieter "
           "Johanna Matthias Astrid Niklas Eva Stefan Maja Henrik",
           "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Hansen "
           "Johansson Nielsen Andersen de_Vries Jansen Virtanen Berg Huber Gruber "
           "Keller Lindqvist"),
    "eu": ("Giulia Marco Francesca Luca Eleni Georgios Zsófia Gábor Andreea Mihai "
           "Elira Andreas Kristina Mārtiņš Rūta Joseph Chiara Dimitris Ioana Tamás",
           "Rossi Bianchi Romano Papadopoulos Nagy Kovács Popescu Ionescu Hoxha "
           "Georgiou Tamm Bērziņš Kazlauskas Borg Conti Esposito Nikolaou Szabó "
           "Constantin Galea"),
    "zh": ("Wei Li Jing Hao Xiaoming Yan Jun Mei Lei Ying Tao Fang",
           "Wang Li Zhang Liu Chen Yang Zhao Huang Zhou Wu Xu Sun"),
    "ja": ("Hiroshi Yuki Takeshi Akiko Kenji Naoko Satoshi Emi Daisuke Keiko",
           "Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato"),
    "ko": ("Min-jun Seo-yeon Ji-hoon Ji-woo Hyun-woo Soo-jin Dong-hyun Eun-ji",
           "Kim Lee Park Choi Jung Kang Cho Yoon"),
    "se": ("Minh Siti Ahmad Somchai Putri Budi Maricel Rizal Lan Nurul Sokha Aung",
           "Nguyen Tran Pham Rahman Santos Wijaya Halim Chaiyaporn Lim Tan Reyes Sok"),
    "sa": ("Rahul Priya Amit Ananya Vikram Sunita Imran Ayesha Farhan Nadia Rajesh "
           "Kavita Sanjay Deepa Tenzin Nimal",
           "Sharma Patel Singh Gupta Khan Ahmed Chowdhury Hossain Perera Fernando "
           "Shrestha Dorji Iyer Reddy Malik Qureshi"),
    "ir": ("Ali Zahra Reza Maryam Hossein Fatemeh Mehdi Narges",
           "Hosseini Ahmadi Mohammadi Karimi Rezaei Moradi Jafari Sadeghi"),
    "tr": ("Mehmet Ayşe Mustafa Elif Emre Zeynep Burak Selin",
           "Yılmaz Kaya Demir Şahin Çelik Öztürk Aydın Arslan"),
    "af": ("Chinedu Amina Kwame Wanjiru Tendai Nomvula Oluwaseun Abena Baraka "
           "Thandiwe Yaw Nia Kofi Zanele Emeka Akua Joseph Grace Sipho Tsion",
           "Okafor Mensah Ochieng Kamau Moyo Dlamini Adeyemi Banda Mwangi Nkosi Asante "
           "Otieno Chukwu Boateng Tesfaye Phiri Mutua Kariuki Osei Bekele"),
}
NAMES = {k: (f.split(), [x.replace("_", " ") for x in l.split()])
         for k, (f, l) in NAMES.items()}


class Country:
    __slots__ = ("en", "fr", "es", "a3", "region")

    def __init__(self, line):
        self.en, self.fr, self.es, self.a3 = line.split("|")
        self.region = "en"


def load_countries():
    countries = [Country(line) for line in COUNTRIES.splitlines() if line]
    by_a3 = {c.a3: c for c in countries}
    for region, codes in REGIONS.items():
        for code in codes.split():
            by_a3[code].region = region
    return countries, by_a3


# --------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def token(rng, n):
    """A random Zoom-style id (registrant ids, host ids, account ids)."""
    return "".join(rng.choice(ALNUM) for _ in range(n))


def uuid_upper(rng):
    """A participant_uuid: UUID-shaped, upper-case hex, as Zoom shows them."""
    h = "%032X" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def meeting_uuid(rng):
    """A meeting instance uuid: 22 base64 characters plus '=='."""
    return token(rng, 22) + "=="


_iso_cache = [None, None]


def iso(ms):
    """ISO 8601 UTC with second precision, as in Zoom's participant times."""
    s = ms // 1000
    if _iso_cache[0] != s:
        _iso_cache[0] = s
        _iso_cache[1] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(s))
    return _iso_cache[1]


def dumps(obj):
    """Compact JSON, UTF-8 text kept as is (Zoom posts compact JSON)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def header_line(source):
    return dumps({"capmon_log": 1, "created": BASE_ISO, "source": source})


def delivery_delay(rng):
    """Webhook delivery delay in ms: mostly 50-900 ms, sometimes several seconds."""
    if rng.random() < 0.012:
        return rng.randint(2000, 8000)
    return 50 + min(850, int(rng.lognormvariate(5.2, 0.6)))


class Meeting:
    """The meeting fields Zoom repeats in every event's payload.object."""

    def __init__(self, rng, mid, topic, start_ms, duration):
        self.account_id = token(rng, 22)
        self.id = mid
        self.uuid = meeting_uuid(rng)
        self.host_id = token(rng, 22)
        self.topic = topic
        self.start_ms = start_ms
        self.duration = duration

    def obj(self):
        return {"id": self.id, "uuid": self.uuid, "host_id": self.host_id,
                "topic": self.topic, "type": 2, "start_time": iso(self.start_ms),
                "timezone": "Europe/Zurich", "duration": self.duration}

    def zoom_body(self, event, ts, participant=None, extra=None):
        """A Zoom webhook body: meeting.* event with the full meeting object."""
        obj = self.obj()
        if extra:
            obj.update(extra)
        if participant is not None:
            obj["participant"] = participant
        return {"event": event, "event_ts": ts,
                "payload": {"account_id": self.account_id, "object": obj}}

    def capmon_body(self, event, ts, participant):
        """A capmon extension body (video adapter, join portal)."""
        return {"event": event, "event_ts": ts,
                "payload": {"object": {"uuid": self.uuid, "id": self.id,
                                       "participant": participant}}}


# --------------------------------------------------------------------------------
# Mode 1: a council sitting
# --------------------------------------------------------------------------------

# Timeline of the sitting, in ms after BASE (08:00:00Z).
T_START = 1 * MIN                # host starts the meeting
T_PEAK_ADMIT = (19 * MIN, 34 * MIN)  # host overwhelmed: slow "admit all" batches
T_BREAKOUT = (100 * MIN, 116 * MIN)  # a drafting group in a breakout room
T_DIP = (120 * MIN, 172 * MIN)   # delegations leave after the main item
T_END = 180 * MIN                # host ends the meeting

# The platform refuses a joiner (the portal reports meeting_full) when the
# meeting holds ZOOM_LIMIT participants: at the join attempt, and again when
# someone admitted from the waiting room actually connects.
ZOOM_LIMIT = 1000
N_DELEGATES = 976                # delegates who will try to attend

# Cameras switched on, a target over time (minutes, cameras); the video process
# follows it with noise. Peak ~55 when the chair opens the sitting (08:30),
# then "please turn your cameras off" brings it under 40.
VIDEO_TARGET = [(3, 1), (15, 8), (25, 18), (29, 24), (31, 40), (35, 54), (52, 56),
                (58, 52), (63, 44), (68, 36), (90, 33), (120, 30), (150, 24),
                (178, 14)]

BIG_DELEGATIONS = {"USA": 24, "CHN": 25, "RUS": 20, "BRA": 16, "IND": 18, "JPN": 16,
                   "DEU": 14, "FRA": 14, "GBR": 14, "SAU": 14, "KOR": 12, "CAN": 10,
                   "NGA": 12, "KEN": 11, "EGY": 10, "TUR": 10, "IDN": 10, "ARE": 10,
                   "ZAF": 10, "MEX": 10, "ARG": 8, "ESP": 8, "ITA": 8, "CHE": 9,
                   "IRN": 8}

LEFT_NORMAL = "left the meeting. Reason : left the meeting"
LEFT_NETWORK = "got disconnected from the meeting. Reason : Network connection error."
LEFT_TO_BREAKOUT = "left the meeting. Reason : left the meeting to join breakout room"
LEFT_FROM_BREAKOUT = ("left the meeting. Reason : left the meeting leave breakout "
                      "room to join main meeting")
LEFT_HOST_ENDED = "left the meeting. Reason : Host ended the meeting."
LEFT_REMOVED = "left the meeting. Reason : Removed by host."
WR_LEFT = "Leave waiting room."
WR_REMOVED = "Removed by host from waiting room."


class Person:
    """Someone who tries to attend, with a plan of departures."""

    def __init__(self, name, kind, delegation=None):
        self.name = name
        self.kind = kind            # delegate | staff | host | guest | dialin
        self.delegation = delegation
        self.registrant_id = ""
        self.zoom_id = ""           # participant.id (signed-in Zoom user)
        self.account_user_id = ""   # participant_user_id (host account users)
        self.email = ""
        self.phone = ""
        self.bypass_wr = False      # host-account users skip the waiting room
        self.arrival = 0
        self.plan = []              # [(kind, when or None, arg)], consumed in order
        self.patience = None        # abandons the waiting room after this (ms)
        self.remove_from_wr = False
        self.role = None            # new_role once in (co-host)
        self.video_always = False
        self.refusals = 0
        self.session = None
        self.bind_to = None         # phone person: the computer person it binds to


class Session:
    __slots__ = ("uid", "puuid", "person", "since", "state", "bound", "ghost")

    def __init__(self, uid, puuid, person):
        self.uid = uid
        self.puuid = puuid
        self.person = person
        self.since = 0
        self.state = "waiting"      # waiting | admitted | in | breakout | closed
        self.bound = False
        self.ghost = False


class Sitting:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        rng = self.rng
        self.countries, self.by_a3 = load_countries()
        self.meeting = Meeting(rng, "84791203356",
                               "Council, 4th sitting",
                               BASE_MS + T_START, 180)
        self.queue = []             # (t, n, fn, args)
        self.qn = 0
        self.now = 0
        self.records = []           # [event_ts, recv, src, body, order]
        self.next_uid = 16778240
        self.open = {}              # uid -> Session (in or breakout)
        self.waiting = {}           # uid -> Session
        self.admitting = 0          # admitted, join not yet in
        self.count = 0              # Zoom-side count: open, not bound phone
        self.video = set()          # uids with video on
        self.people = []
        self.stats = {"refused": 0, "abandoned": 0, "removed_wr": 0, "drops": 0,
                      "churn": 0, "ghost": 0, "late_left": 0, "breakout": 0}

    # -- scheduling ------------------------------------------------------------

    def at(self, t, fn, *args):
        heapq.heappush(self.queue, (int(t), self.qn, fn, args))
        self.qn += 1

    def run(self):
        while self.queue:
            t, _, fn, args = heapq.heappop(self.queue)
            if t > T_END:
                break
            self.now = t
            fn(*args)

    def u(self, a, b):
        """A uniform random duration in ms between a and b (ms)."""
        return self.rng.randint(int(a), int(b))

    # -- emitting records ------------------------------------------------------

    def emit(self, body, src="webhook", delay=None):
        ts = body["event_ts"]
        d = delivery_delay(self.rng) if delay is None else delay
        self.records.append([ts, ts + d, src, body, len(self.records)])

    def participant(self, s, time_key, t, reason=None, account_user=True):
        p = s.person
        d = {"user_id": str(s.uid), "user_name": p.name, "id": p.zoom_id,
             "participant_uuid": s.puuid, time_key: iso(BASE_MS + t),
             "email": p.email, "registrant_id": p.registrant_id}
        if account_user:        # participant_admitted has no participant_user_id
            d["participant_user_id"] = p.account_user_id
        if reason is not None:
            d["leave_reason"] = reason
        if p.phone:
            d["phone_number"] = p.phone
        return d

    def zoom(self, event, s, time_key, reason=None, t=None, delay=None):
        t = self.now if t is None else t
        body = self.meeting.zoom_body(
            "meeting." + event, BASE_MS + t,
            self.participant(s, time_key, t, reason,
                             event != "participant_admitted"))
        self.emit(body, delay=delay)

    def video_event(self, s, on, t=None):
        t = self.now if t is None else t
        body = self.meeting.capmon_body("capmon.participant_video", BASE_MS + t,
                                        {"user_id": str(s.uid),
                                         "video": "on" if on else "off"})
        self.emit(body, src="video")

    # -- people ----------------------------------------------------------------

    def display_name(self, country, first, last):
        """'Country - First Last', with the variants people actually type."""
        rng = self.rng
        full = f"{first} {last}"
        name = country.en
        if country.region == "fr" and rng.random() < 0.45:
            name = country.fr
        elif country.region == "es" and rng.random() < 0.45:
            name = country.es
        r = rng.random()
        if r < 0.80:
            return f"{name} - {full}"
        if r < 0.84:
            return f"{name}: {full}"
        if r < 0.87:
            return f"[{name}] {full}"
        if r < 0.90:
            return f"{full} ({name})"
        if r < 0.93:
            return f"{country.a3} - {full}"
        if r < 0.95:
            return f"{name}, {full}"
        if r < 0.97:
            return f"{name} \u2013 {full}"      # en dash
        return f"{name.lower()} - {full.lower()}"

    def make_people(self):
        rng = self.rng
        # Delegations: every big one, plus a random set of the others (~180).
        others = [c for c in self.countries if c.a3 not in BIG_DELEGATIONS]
        rng.shuffle(others)
        chosen = [(self.by_a3[a3], n) for a3, n in BIG_DELEGATIONS.items()]
        chosen += [(c, 1 + min(9, int(rng.expovariate(1 / 3.2))))
                   for c in others[:181 - len(BIG_DELEGATIONS)]]
        # Scale the small delegations so that the total is N_DELEGATES.
        total = sum(n for _, n in chosen)
        while total != N_DELEGATES:
            i = rng.randrange(len(BIG_DELEGATIONS), len(chosen))
            c, n = chosen[i]
            step = 1 if total < N_DELEGATES else -1
            if n + step >= 1 and n + step <= 10:
                chosen[i] = (c, n + step)
                total += step
        self.n_delegations = len(chosen)
        used = set()
        for country, n in chosen:
            firsts, lasts = NAMES[country.region]
            for _ in range(n):
                while True:
                    first, last = rng.choice(firsts), rng.choice(lasts)
                    if (country.a3, first, last) not in used:
                        used.add((country.a3, first, last))
                        break
                p = Person(self.display_name(country, first, last), "delegate",
                           country.en)
                p.registrant_id = token(rng, 22)
                self.people.append(p)

        # The secretariat: the host (signed-in, host account) and staff.
        host = Person("ITU - Council Secretariat", "host", "ITU")
        host.zoom_id = self.meeting.host_id
        host.account_user_id = self.meeting.host_id
        host.email = "council.secretariat@example.org"
        host.bypass_wr = True
        host.arrival = T_START + 2 * SEC
        self.host = host
        staff = []
        for i in range(14):
            region = "fr" if i % 3 == 0 else "en"
            first, last = rng.choice(NAMES[region][0]), rng.choice(NAMES[region][1])
            org = "UIT" if i in (4, 9) else "ITU"
            p = Person(f"{org} - {first} {last}", "staff", "ITU")
            p.zoom_id = p.account_user_id = token(rng, 22)
            p.email = f"{first[0].lower()}.{last.lower().replace(' ', '')}@example.org"
            p.bypass_wr = True
            p.arrival = T_START + self.u(1 * MIN, 14 * MIN)
            if i < 4:
                p.role = "co-host"
            staff.append(p)
        # Interpreters (six languages, three per booth), technicians and
        # captioning: host-account users too, no waiting room.
        crew = [f"Interpretation {lang} {i}" for lang in ("AR", "ZH", "EN", "FR", "RU",
                                                          "ES") for i in (1, 2, 3)]
        crew += ["Tech support 1", "Tech support 2", "Tech support 3",
                 "Tech support 4", "Captioning", "Remote participation desk"]
        for job in crew:
            p = Person(f"ITU - {job}", "staff", "ITU")
            p.zoom_id = p.account_user_id = token(rng, 22)
            p.bypass_wr = True
            p.arrival = T_START + self.u(30 * SEC, 12 * MIN)
            staff.append(p)
        # Guests nobody can identify; two are removed from the waiting room.
        guests = [("iPhone de Marie", 12, "stay", 72 * MIN),
                  ("Guest", 17, "removed", None),
                  ("Zoom user", 21, "stay", 48 * MIN),
                  ("Galaxy A54", 24, "abandon", None),
                  ("DESKTOP-7QK2M1F", 26, "removed", None),
                  ("Marc", 9, "stay", None),
                  ("Evil\u001b[2J\u0007 Name", 64, "kicked", 71 * MIN)]
        for name, minute, fate, until in guests:
            p = Person(name, "guest")
            p.arrival = minute * MIN + self.u(0, 50 * SEC)
            if fate == "removed":
                p.remove_from_wr = True
            elif fate == "abandon":
                p.patience = 70 * SEC
            elif fate == "kicked":
                p.plan.append(("final", until, LEFT_REMOVED))
            elif until:
                p.plan.append(("final", until, LEFT_NORMAL))
            staff.append(p)
        # Dial-ins (phone only) with the number as their name.
        for name, minute, until in [("+41 22 791 4420", 7, None),
                                    ("+254 20 271 3344", 18, 95 * MIN),
                                    ("+1 212 555 0147", 23, None)]:
            p = Person(name, "dialin")
            p.phone = name.replace(" ", "")
            p.arrival = minute * MIN + self.u(0, 50 * SEC)
            if until:
                p.plan.append(("final", until, LEFT_NORMAL))
            staff.append(p)

        self.plan_delegates()
        self.people.extend(staff)
        self.at(host.arrival, self.attempt, host)
        for p in self.people:
            self.at(p.arrival, self.attempt, p)

    def plan_delegates(self):
        """Arrival times and departures of the delegates."""
        rng = self.rng
        delegates = list(self.people)
        for p in delegates:
            if rng.random() < 0.02:     # late arrivals during the sitting
                p.arrival = self.u(32 * MIN, 95 * MIN)
            else:                       # the ramp: most in the last 12 minutes
                p.arrival = int(2 * MIN + 27 * MIN * rng.betavariate(2.6, 1.25))
            if rng.random() < 0.02:
                p.patience = self.u(30 * SEC, 100 * SEC)
        pick = rng.sample(delegates, len(delegates))
        cursor = 0

        def take(n):
            nonlocal cursor
            out = pick[cursor:cursor + n]
            cursor += n
            return out

        # Early drops: a bad connection kills them within a minute of joining.
        for p in take(12):
            p.plan.append(("drop", None, None))
            if rng.random() < 0.25:
                p.plan.append(("drop", None, None))
        # Leave and come back later (coffee, another meeting, a new device).
        for p in take(26):
            p.plan.append(("churn", self.u(36 * MIN, 115 * MIN),
                           self.u(2 * MIN, 12 * MIN)))
        # A killed client: the person rejoins at once, Zoom sends the old
        # session's left a minute later (after the rejoin).
        for p in take(2):
            p.plan.append(("ghost", self.u(75 * MIN, 95 * MIN), None))
        # A clean disconnect whose left is delivered late, after the rejoin.
        for p in take(2):
            p.plan.append(("late", self.u(75 * MIN, 95 * MIN), None))
        # A few leave for good during the sitting; seats free up for refused ones.
        for p in take(20):
            p.plan.append(("final", self.u(40 * MIN, 118 * MIN), LEFT_NORMAL))
        # The dip: delegations leave after the main item.
        for p in take(140):
            p.plan.append(("final", int(T_DIP[0] + (T_DIP[1] - T_DIP[0])
                                        * rng.betavariate(1.3, 1.6)), LEFT_NORMAL))
        # At the end, Zoom sends "Host ended the meeting." lefts for some.
        for p in take(10):
            p.plan.append(("final", T_END - self.u(0, 1500), LEFT_HOST_ENDED))
        # The chair and two vice-chairs: co-hosts, cameras always on.
        self.chairs = take(3)
        for p in self.chairs:
            p.role = "co-host"
            p.video_always = True
            p.arrival = self.u(12 * MIN, 20 * MIN)
            p.plan = []
        # A drafting group that moves to a breakout room (chosen when it starts).
        self.breakout_pool = pick[cursor:]
        # A delegate who also dials in by phone for audio; Zoom binds the two.
        comp = pick[cursor + 40]
        comp.plan = []
        comp.arrival = 16 * MIN
        phone = Person("+221 33 849 1275", "dialin")
        phone.phone = "+221338491275"
        phone.bind_to = comp
        phone.arrival = comp.arrival + 95 * SEC
        self.people.append(phone)

    # -- the join path ---------------------------------------------------------

    def new_session(self, p):
        self.next_uid += 1024 + self.rng.randrange(0, 64)
        return Session(self.next_uid, uuid_upper(self.rng), p)

    def attempt(self, p):
        """p tries to join (through the portal, then the waiting room)."""
        if self.count + self.admitting >= ZOOM_LIMIT:
            self.refuse(p)
            return
        s = self.new_session(p)
        if p.bypass_wr:
            self.join(s)
            return
        s.since = self.now
        self.waiting[s.uid] = s
        self.zoom("participant_joined_waiting_room", s, "date_time")
        if p.patience:
            self.at(self.now + p.patience, self.abandon, s)

    def refuse(self, p):
        """Meeting full: the SDK refuses the join; only the portal sees it."""
        self.stats["refused"] += 1
        p.refusals += 1
        body = self.meeting.capmon_body(
            "capmon.participant_join_failed", BASE_MS + self.now,
            {"user_name": p.name, "email": p.email, "registrant_id": p.registrant_id,
             "reason": "meeting_full", "code": 9})
        self.emit(body, src="portal", delay=self.u(20, 300))
        if p.refusals < 3 and self.rng.random() < 0.6:
            self.at(self.now + self.u(2 * MIN, 6 * MIN), self.attempt, p)

    def host_admits(self):
        """The host clicks "Admit all" (and removes the odd unknown guest)."""
        for s in list(self.waiting.values()):
            if self.now - s.since < 3 * SEC:
                continue
            del self.waiting[s.uid]
            if s.person.remove_from_wr:
                s.state = "closed"
                self.stats["removed_wr"] += 1
                self.zoom("participant_left_waiting_room", s, "date_time", WR_REMOVED)
                continue
            s.state = "admitted"
            self.admitting += 1
            self.zoom("participant_admitted", s, "date_time")
            t = self.now + self.u(300, 1500)
            self.zoom("participant_left_waiting_room", s, "date_time", t=t)
            self.at(t + self.u(600, 2500), self.join, s)
        if T_PEAK_ADMIT[0] <= self.now < T_PEAK_ADMIT[1]:
            gap = self.u(40 * SEC, 150 * SEC)   # swamped at the peak
        else:
            gap = self.u(4 * SEC, 15 * SEC)
        self.at(self.now + gap, self.host_admits)

    def abandon(self, s):
        if s.state != "waiting" or s.uid not in self.waiting:
            return
        del self.waiting[s.uid]
        s.state = "closed"
        self.stats["abandoned"] += 1
        self.zoom("participant_left_waiting_room", s, "date_time", WR_LEFT)
        if s.person.kind == "delegate" and self.rng.random() < 0.7:
            self.at(self.now + self.u(1 * MIN, 4 * MIN), self.attempt, s.person)

    def join(self, s):
        p = s.person
        if s.state == "admitted":
            self.admitting -= 1
            if self.count >= ZOOM_LIMIT:    # admitted, but the meeting filled up
                s.state = "closed"
                self.refuse(p)
                return
        s.state = "in"
        s.since = self.now
        self.open[s.uid] = s
        self.count += 1
        p.session = s
        self.zoom("participant_joined", s, "join_time")
        if p.role:
            self.at(self.now + self.u(10 * SEC, 60 * SEC), self.promote, s)
        if p.video_always:
            self.at(self.now + self.u(5 * SEC, 20 * SEC), self.set_video, s, True)
        if p.bind_to is not None:
            self.at(self.now + self.u(5 * SEC, 20 * SEC), self.bind, s)
        self.schedule_next(s)

    def schedule_next(self, s):
        """Schedule the next departure of s's person from their plan."""
        p = s.person
        while p.plan:
            kind, when, arg = p.plan[0]
            if kind == "drop":
                p.plan.pop(0)
                self.at(self.now + self.u(8 * SEC, 55 * SEC), self.depart, s, kind,
                        arg)
                return
            if when <= self.now:        # they were not in when planned: later
                when = self.now + self.u(30 * SEC, 5 * MIN)
            p.plan.pop(0)
            self.at(when, self.depart, s, kind, arg)
            return
        # No plan left: stays until the host ends the meeting.

    def depart(self, s, kind, arg):
        if s.state not in ("in", "breakout"):
            return
        p = s.person
        if kind == "ghost":
            # The client dies; Zoom notices a minute later. The person rejoins.
            self.stats["ghost"] += 1
            s.ghost = True
            self.video_off(s, emit=True)
            self.at(self.now + self.u(60 * SEC, 90 * SEC), self.close, s,
                    LEFT_NETWORK, None)
            self.at(self.now + self.u(10 * SEC, 25 * SEC), self.attempt, p)
            return
        if kind == "late":
            self.stats["late_left"] += 1
            self.close(s, LEFT_NETWORK, self.u(100 * SEC, 130 * SEC))
            self.at(self.now + self.u(10 * SEC, 25 * SEC), self.attempt, p)
            return
        if kind == "drop":
            self.stats["drops"] += 1
            self.close(s, LEFT_NETWORK, None)
            self.at(self.now + self.u(15 * SEC, 60 * SEC), self.attempt, p)
            return
        if kind == "churn":
            self.stats["churn"] += 1
            self.close(s, LEFT_NORMAL, None)
            self.at(self.now + arg, self.attempt, p)
            return
        self.close(s, arg, None)        # final

    def close(self, s, reason, delay):
        if s.state not in ("in", "breakout"):
            return
        s.state = "closed"
        del self.open[s.uid]
        if not s.bound:
            self.count -= 1
        if s.uid in self.video:
            self.video_off(s, emit=self.rng.random() < 0.4)
        self.zoom("participant_left", s, "leave_time", reason, delay=delay)

    # -- in-meeting events -----------------------------------------------------

    def promote(self, s):
        if s.state not in ("in", "breakout"):
            return
        p = s.person
        body = self.meeting.zoom_body(
            "meeting.participant_role_changed", BASE_MS + self.now,
            {"user_id": str(s.uid), "user_name": p.name, "email": p.email,
             "participant_uuid": s.puuid, "date_time": iso(BASE_MS + self.now),
             "old_role": "attendee", "new_role": p.role})
        self.emit(body)

    def bind(self, s):
        comp = s.person.bind_to.session
        if s.state != "in" or comp is None or comp.state not in ("in", "breakout"):
            return
        s.bound = True
        self.count -= 1
        body = self.meeting.zoom_body(
            "meeting.participant_bind", BASE_MS + self.now,
            {"user_id": str(s.uid), "user_name": s.person.name,
             "bind_user_id": str(comp.uid), "bind_participant_uuid": comp.puuid,
             "phone_number": s.person.phone, "date_time": iso(BASE_MS + self.now)})
        self.emit(body)

    def set_video(self, s, on):
        if s.state != "in" or (s.uid in self.video) == on:
            return
        if on:
            self.video.add(s.uid)
        else:
            self.video.discard(s.uid)
        self.video_event(s, on)

    def video_off(self, s, emit):
        if s.uid in self.video:
            self.video.discard(s.uid)
            if emit:
                self.video_event(s, False)

    def video_tick(self):
        """Cameras follow VIDEO_TARGET with noise; chairs keep theirs on."""
        rng = self.rng
        minute = self.now / MIN
        i = bisect.bisect(VIDEO_TARGET, (minute, 1e9))
        if i == 0:
            target = VIDEO_TARGET[0][1]
        elif i >= len(VIDEO_TARGET):
            target = VIDEO_TARGET[-1][1]
        else:
            (m0, v0), (m1, v1) = VIDEO_TARGET[i - 1], VIDEO_TARGET[i]
            target = v0 + (v1 - v0) * (minute - m0) / (m1 - m0)
        target += rng.uniform(-1.5, 1.5)
        diff = round(target - len(self.video))
        if abs(diff) == 1 and rng.random() < 0.5:
            diff = 0
        if diff > 0:
            cands = [s for s in self.open.values() if s.state == "in"
                     and s.uid not in self.video and not s.person.phone
                     and not s.ghost]
            for s in rng.sample(cands, min(len(cands), diff, rng.randint(1, 3))):
                self.set_video(s, True)
        elif diff < 0:
            cands = [self.open[u] for u in sorted(self.video)
                     if not self.open[u].person.video_always]
            for s in rng.sample(cands, min(len(cands), -diff, rng.randint(1, 3))):
                self.set_video(s, False)
        elif self.video and rng.random() < 0.05:
            # Someone's camera blinks off (or back on) without changing the level.
            cands = sorted(self.video)
            s = self.open[rng.choice(cands)]
            if not s.person.video_always:
                self.set_video(s, False)
        self.at(self.now + self.u(10 * SEC, 40 * SEC), self.video_tick)

    def breakout_start(self):
        """A drafting group of ten leaves the main room for a breakout room."""
        group = [p.session for p in self.breakout_pool
                 if p.session is not None and p.session.state == "in"
                 and not p.plan][:10]
        for s in group:
            t = self.now + self.u(0, 20 * SEC)
            s.state = "breakout"
            self.video_off(s, emit=True)
            self.zoom("participant_left", s, "leave_time", LEFT_TO_BREAKOUT, t=t)
            self.zoom("participant_joined_breakout_room", s, "join_time",
                      t=t + self.u(400, 1500))
            self.stats["breakout"] += 1
        self.at(T_BREAKOUT[1], self.breakout_end, group)

    def breakout_end(self, group):
        for s in group:
            if s.state != "breakout":
                continue
            t = self.now + self.u(0, 30 * SEC)
            s.state = "in"
            self.zoom("participant_left_breakout_room", s, "leave_time",
                      LEFT_FROM_BREAKOUT, t=t)
            self.zoom("participant_joined", s, "join_time", t=t + self.u(500, 2000))

    # -- start, end, messiness -------------------------------------------------

    def start(self):
        self.emit(self.meeting.zoom_body("meeting.started", BASE_MS + self.now))

    def end(self):
        """meeting.ended, the last record of the recording."""
        last = max(r[1] for r in self.records)
        ts = BASE_MS + T_END
        self.emit(self.meeting.zoom_body("meeting.ended", ts,
                                         extra={"end_time": iso(ts)}),
                  delay=max(self.u(200, 600), last + self.u(50, 300) - ts))

    def generate(self):
        self.make_people()
        self.at(T_START, self.start)
        self.at(T_START + 20 * SEC, self.host_admits)
        self.at(3 * MIN, self.video_tick)
        self.at(T_BREAKOUT[0], self.breakout_start)
        self.run()
        self.end()
        records = self.records
        end_recv = records[-1][1]
        # Zoom redelivers ~2% of webhooks (ack lost): same body, 5 or 20 min later.
        rng = self.rng
        hooks = [r for r in records if r[2] == "webhook" and r is not records[-1]]
        for r in rng.sample(hooks, round(len(records) * 0.02)):
            recv = r[1] + (5 if rng.random() < 0.85 else 25) * MIN + self.u(0, 4000)
            if recv < end_recv:
                records.append([r[0], recv, r[2], r[3], len(records)])
        records.sort(key=lambda r: (r[1], r[4]))
        return records

    def lines(self, source):
        records = self.generate()
        bodies = [(r[1], r[2], dumps(r[3])) for r in records]
        # The bad lines, spread through the file (positions in record order).
        n = len(bodies)
        bad = {
            n * 23 // 100: ("raw", "<html><head><title>502 Bad Gateway</title>"
                                   "</head><body>nginx</body></html>"),
            n * 41 // 100: ("record", None),
            n * 56 // 100: ("raw", '{"module":"heartbeat"}'),
            n * 74 // 100: ("invalid", None),
        }
        out = [header_line(source)]
        seq = 0
        for i, (recv, src, body) in enumerate(bodies):
            if i in bad:
                kind, text = bad[i]
                if kind == "raw":
                    out.append(text)
                elif kind == "record":      # a body without payload.object
                    seq += 1
                    out.append(dumps({"seq": seq, "recv": recv, "src": "webhook",
                                      "body": {"event": "meeting.participant_joined",
                                               "event_ts": recv - 412,
                                               "payload": {"account_id":
                                                           self.meeting.account_id}}}))
                else:
                    seq += 1
                    raw = '{"event":"meeting.participant_left","event_ts":17731'
                    out.append(dumps({"seq": seq, "recv": recv, "src": "webhook",
                                      "invalid": "not json: unexpected end of text",
                                      "raw": raw}))
            seq += 1
            out.append('{"seq":%d,"recv":%d,"src":"%s","body":%s}'
                       % (seq, recv, src, body))
        return out


def arrival_model(lines):
    """Apply the records in file order with capmon's counting rules (simplified:
    sessions by user_id, breakout counts, bound phones do not, exact duplicates
    skipped) and return the peaks and a few counts."""
    open_, bound, video, waiting, seen = {}, set(), set(), {}, set()
    peak = peak_video = peak_wait = 0
    peak_at = None
    longest_wait = 0
    stats = {"records": 0, "duplicates": 0, "bad": 0, "join_failed": 0}
    final = None
    for line in lines:
        try:
            rec = json.loads(line)
        except ValueError:
            stats["bad"] += 1
            continue
        if "capmon_log" in rec or "module" in rec:
            continue                    # header; WebSocket heartbeat (not an event)
        stats["records"] += 1
        body = rec.get("body")
        if not isinstance(body, dict) or "object" not in body.get("payload", {}):
            stats["bad"] += 1
            continue
        key = dumps(body)
        if key in seen:
            stats["duplicates"] += 1
            continue
        seen.add(key)
        ev = body["event"].split(".", 1)[1]
        ts = body["event_ts"]
        part = body["payload"]["object"].get("participant", {})
        uid = part.get("user_id")
        if ev == "participant_joined":
            open_[uid] = "in"
        elif ev == "participant_left":
            if "breakout room" in part.get("leave_reason", "").lower():
                if uid in open_:
                    open_[uid] = "breakout"
            else:
                open_.pop(uid, None)
                bound.discard(uid)
                video.discard(uid)
        elif ev == "participant_bind":
            if uid in open_:
                bound.add(uid)
        elif ev == "participant_video":
            if uid in open_:
                (video.add if part["video"] == "on" else video.discard)(uid)
        elif ev == "participant_joined_waiting_room":
            waiting[uid] = ts
        elif ev in ("participant_admitted", "participant_left_waiting_room"):
            since = waiting.pop(uid, None)
            if since is not None:
                longest_wait = max(longest_wait, ts - since)
        elif ev == "participant_join_failed":
            stats["join_failed"] += 1
        elif ev == "ended":
            final = len(open_) - len(bound)
            open_.clear(), bound.clear(), video.clear(), waiting.clear()
        n = len(open_) - len(bound & open_.keys())
        if n > peak:
            peak, peak_at = n, ts
        peak_video = max(peak_video, len(video))
        peak_wait = max(peak_wait, len(waiting))
        if ev != "ended":
            final = n
    stats.update(peak=peak, peak_at=iso(peak_at) if peak_at else None,
                 peak_video=peak_video, peak_waiting=peak_wait,
                 longest_wait_s=longest_wait // 1000, at_end=final)
    return stats


def after_peak_low(lines):
    """Lowest participant count (arrival order) after the peak, and the video
    count's lowest after its own peak: to check that the alerts resolve."""
    open_, video, seen = set(), set(), set()
    peak = low = 0
    vpeak = vlow = 0
    for line in lines:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        body = rec.get("body")
        if not isinstance(body, dict) or "object" not in body.get("payload", {}):
            continue
        key = dumps(body)
        if key in seen:
            continue
        seen.add(key)
        ev = body["event"].split(".", 1)[1]
        if ev == "ended":
            break
        part = body["payload"]["object"].get("participant", {})
        uid = part.get("user_id")
        if ev == "participant_joined":
            open_.add(uid)
        elif ev == "participant_left" and "breakout" not in part.get("leave_reason", ""):
            open_.discard(uid)
            video.discard(uid)
        elif ev == "participant_video" and uid in open_:
            (video.add if part["video"] == "on" else video.discard)(uid)
        if len(open_) >= peak:
            peak, low = len(open_), len(open_)
        low = min(low, len(open_))
        if len(video) >= vpeak:
            vpeak, vlow = len(video), len(video)
        vlow = min(vlow, len(video))
    return low, vlow


def mode_sitting(args, source):
    sit = Sitting(args.seed)
    lines = sit.lines(source)
    write_lines(args.out, lines)
    m = arrival_model(lines)
    low, vlow = after_peak_low(lines)
    size = sum(len(l.encode()) + 1 for l in lines)
    print(f"sitting: {len(lines)} lines ({m['records']} records with seq, "
          f"{m['bad']} invalid, 1 heartbeat, "
          f"{m['duplicates']} redelivered), {size / 1e6:.2f} MB; "
          f"{sit.n_delegations} delegations, {len(sit.people)} people", file=sys.stderr)
    print(f"model: peak participants {m['peak']} at {m['peak_at']}, lowest after "
          f"peak {low}, {m['at_end']} at end; peak video {m['peak_video']}, lowest "
          f"after {vlow}; peak waiting {m['peak_waiting']}, longest wait "
          f"{m['longest_wait_s']} s; join_failed {m['join_failed']}", file=sys.stderr)
    print("events: " + ", ".join(f"{k} {v}" for k, v in sit.stats.items()),
          file=sys.stderr)


# --------------------------------------------------------------------------------
# Mode 2: stress (large log, several meetings)
# --------------------------------------------------------------------------------

class FastMeeting:
    """Pre-rendered JSON pieces of one meeting, for fast string formatting."""

    def __init__(self, rng, idx, capacity):
        m = Meeting(rng, str(81000000000 + rng.randrange(10 ** 9)),
                    f"Stress meeting {idx + 1}", BASE_MS + idx * SEC, 240)
        self.m = m
        self.capacity = capacity
        obj = dumps(m.obj())[:-1]       # without the closing brace
        self.prefix = ('"payload":{"account_id":"%s","object":%s,"participant":'
                       % (m.account_id, obj))
        self.cprefix = ('"payload":{"object":{"uuid":"%s","id":"%s","participant":'
                        % (m.uuid, m.id))
        self.open = []                  # sessions: [uid, person, puuid, vidx]
        self.pos = {}                   # uid -> index in open
        self.free = []                  # persons not in the meeting
        self.joining = 0                # admitted, participant_joined queued
        self.vids = []                  # sessions with video on (vidx: index here)
        self.peak = 0
        self.peak_video = 0


def mode_stress(args, source):
    rng = random.Random(args.seed * 1000 + 2)   # not the sitting's meeting ids
    t0 = time.monotonic()
    countries, _ = load_countries()
    caps = [args.max_concurrent]
    for i in range(1, args.meetings):
        caps.append(max(100, round(args.max_concurrent * (1 - 0.2 * i))))
    meetings = [FastMeeting(rng, i, c) for i, c in enumerate(caps)]
    weights = [c / sum(caps) for c in caps]
    cum = [sum(weights[:i + 1]) for i in range(len(weights))]

    # Persons: (name as JSON text, registrant_id). 30% more than the capacity.
    for fm in meetings:
        for _ in range(int(fm.capacity * 1.3)):
            c = rng.choice(countries)
            firsts, lasts = NAMES[c.region]
            name = f"{c.en} - {rng.choice(firsts)} {rng.choice(lasts)}"
            fm.free.append((dumps(name), token(rng, 22)))
        rng.shuffle(fm.free)

    total = args.records
    out = open(args.out, "w", encoding="utf-8") if args.out != "-" else sys.stdout
    out.write(header_line(source) + "\n")
    buf = []
    seq = 0
    recv = BASE_MS
    ts = BASE_MS
    uid = 16778240
    recent = []                         # recent bodies, for redeliveries
    pending = []                        # future records: (t, n, src, body, fm, s, act)
    pn = 0
    R = rng.random
    RI = rng.randrange
    step_ms = max(1, (4 * 3600 * SEC) // total)   # about four hours of events

    def put(src, body, t):
        """Write one record; recv = t + delay, kept non-decreasing."""
        nonlocal seq, recv
        seq += 1
        d = 50 + RI(850) if R() > 0.01 else 2000 + RI(6000)
        recv = max(recv, t + d)
        buf.append('{"seq":%d,"recv":%d,"src":"%s","body":%s}\n'
                   % (seq, recv, src, body))
        if src == "webhook" and R() < 0.05:
            recent.append(body)
            if len(recent) > 512:
                del recent[:256]

    def later(t, body, fm, s=None, act=0):
        """Queue a record for event time t (act 1: the session opens then;
        act 2: the person is free again)."""
        nonlocal pn
        pn += 1
        heapq.heappush(pending, (t, pn, body, fm, s, act))

    def flush(until):
        while pending and pending[0][0] <= until:
            t, _, body, fm, s, act = heapq.heappop(pending)
            put("webhook", body, t)
            if act == 1:
                fm.joining -= 1
                fm.pos[s[0]] = len(fm.open)
                fm.open.append(s)
                fm.peak = max(fm.peak, len(fm.open))
            elif act == 2:
                fm.free.append(s[1])

    def part(s, key, t, reason=None):
        tail = ',"leave_reason":"%s"}' % reason if reason else "}"
        return ('{"user_id":"%d","user_name":%s,"id":"","participant_uuid":"%s",'
                '"%s":"%s","email":"","registrant_id":"%s","participant_user_id":""%s'
                % (s[0], s[1][0], s[2], key, iso(t), s[1][1], tail))

    def zoom(fm, event, t, p):
        return ('{"event":"meeting.%s","event_ts":%d,%s%s}}}'
                % (event, t, fm.prefix, p))

    def unlink_video(fm, s):
        i = s[3]
        last = fm.vids.pop()
        if last is not s:
            fm.vids[i] = last
            last[3] = i
        s[3] = -1

    def video(fm, s, on):
        """Camera of session s on/off; fm.vids lists the sessions with video on."""
        if on:
            s[3] = len(fm.vids)
            fm.vids.append(s)
            fm.peak_video = max(fm.peak_video, len(fm.vids))
        else:
            unlink_video(fm, s)
        put("video", '{"event":"capmon.participant_video","event_ts":%d,%s'
            '{"user_id":"%d","video":"%s"}}}}' % (ts, fm.cprefix, s[0],
                                                 "on" if on else "off"), ts)

    for fm in meetings:
        put("webhook", '{"event":"meeting.started","event_ts":%d,%s}}}'
            % (ts, fm.prefix[:-len(',"participant":')]), ts)
    limit = total - len(meetings)       # leave room for the meeting.ended records
    while seq + len(pending) < limit:
        ts += step_ms
        flush(ts)
        planned = seq + len(pending)
        if planned >= limit:
            break
        r = R()
        k = 0
        while r > cum[k] and k < len(cum) - 1:
            k += 1
        fm = meetings[k]
        progress = seq / total
        # Target fill: ramp to full in the first 20%, hold, sag at the end.
        level = min(1.0, progress / 0.2) if progress < 0.85 else 0.7
        want = fm.capacity * level
        n = len(fm.open)
        a = R()
        if a < 0.01 and recent:
            put("webhook", recent[RI(len(recent))], ts)        # redelivery
        elif a < 0.25 and n:
            # Cameras: about 1 in 40 on, up to capacity/50 + 40.
            vcap = fm.capacity // 50 + 40
            if fm.vids and (len(fm.vids) >= vcap or R() < 0.45):
                video(fm, fm.vids[RI(len(fm.vids))], False)
            else:
                s = fm.open[RI(n)]
                video(fm, s, s[3] < 0)
        elif (n + fm.joining < want and fm.free) and planned + 4 <= limit:
            # A join through the waiting room (3% abandon); the later steps
            # are queued at their own event times.
            person = fm.free.pop(RI(len(fm.free)))
            uid += 1024 + RI(64)
            h = "%032X" % rng.getrandbits(128)
            s = [uid, person, f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}",
                 -1]
            put("webhook", zoom(fm, "participant_joined_waiting_room", ts,
                                part(s, "date_time", ts)), ts)
            t = ts + 2000 + RI(20000)
            if R() < 0.03:
                later(t, zoom(fm, "participant_left_waiting_room", t,
                              part(s, "date_time", t, WR_LEFT)), fm, s, 2)
                continue
            fm.joining += 1
            later(t, zoom(fm, "participant_admitted", t, part(s, "date_time", t)), fm)
            t += 300 + RI(1200)
            later(t, zoom(fm, "participant_left_waiting_room", t,
                          part(s, "date_time", t)), fm)
            t += 600 + RI(2000)
            later(t, zoom(fm, "participant_joined", t, part(s, "join_time", t)),
                  fm, s, 1)
        elif n:
            # A leave (swap-remove); the person may come back later.
            # (Also used to fill the last few records exactly.)
            i = RI(n)
            s = fm.open[i]
            last = fm.open.pop()
            if last is not s:
                fm.open[i] = last
                fm.pos[last[0]] = i
            del fm.pos[s[0]]
            if s[3] >= 0:
                if R() < 0.5:
                    video(fm, s, False)     # the adapter reports it first
                else:
                    unlink_video(fm, s)     # closing the session turns it off
            reason = LEFT_NETWORK if R() < 0.15 else LEFT_NORMAL
            put("webhook", zoom(fm, "participant_left", ts,
                                part(s, "leave_time", ts, reason)), ts)
            fm.free.append(s[1])
        if len(buf) >= 8192:
            out.write("".join(buf))
            buf.clear()
    flush(float("inf"))
    ts = max(ts, recv - 1000)
    for fm in meetings:
        ts += step_ms
        obj = fm.prefix[:-len(',"participant":')]
        put("webhook", '{"event":"meeting.ended","event_ts":%d,%s,"end_time":"%s"}}}'
            % (ts, obj, iso(ts)), ts)
    out.write("".join(buf))
    if out is not sys.stdout:
        out.close()
    dt = time.monotonic() - t0
    print(f"stress: {seq} records, {len(meetings)} meetings, {dt:.1f} s", file=sys.stderr)
    for fm in meetings:
        print(f"  meeting {fm.m.id}: capacity {fm.capacity}, peak participants "
              f"{fm.peak}, peak video {fm.peak_video}", file=sys.stderr)


# --------------------------------------------------------------------------------
# Mode 3: many concurrent sessions in one meeting
# --------------------------------------------------------------------------------

def open_out(path):
    return open(path, "w", encoding="utf-8") if path != "-" else sys.stdout


def flush(out, buf, force=False):
    """Write the buffered lines once there are enough of them (or when forced)."""
    if force or len(buf) >= 8192:
        out.write("".join(buf))
        buf.clear()


def close_out(out, buf):
    flush(out, buf, True)
    if out is not sys.stdout:
        out.close()


def mode_sessions(args, source):
    rng = random.Random(args.seed * 1000 + 3)
    countries, _ = load_countries()
    m = Meeting(rng, "86000000001", "Memory benchmark", BASE_MS, 600)
    obj = dumps(m.obj())[:-1]
    prefix = '"payload":{"account_id":"%s","object":%s' % (m.account_id, obj)
    out = open(args.out, "w", encoding="utf-8") if args.out != "-" else sys.stdout
    out.write(header_line(source) + "\n")
    out.write('{"seq":1,"recv":%d,"src":"webhook","body":{"event":"meeting.started",'
              '"event_ts":%d,%s}}}}\n' % (BASE_MS + 300, BASE_MS, prefix))
    buf = []
    uid = 16778240
    recv = BASE_MS + 300
    for i in range(args.count):
        ts = BASE_MS + SEC + i * 10                     # one join every 10 ms
        recv = max(recv, ts + 50 + rng.randrange(850))  # arrival order
        c = countries[i % len(countries)]
        firsts, lasts = NAMES[c.region]
        name = dumps(f"{c.en} - {rng.choice(firsts)} {rng.choice(lasts)}")
        uid += 1024 + rng.randrange(64)
        h = "%032X" % rng.getrandbits(128)
        buf.append('{"seq":%d,"recv":%d,"src":"webhook","body":{"event":'
                   '"meeting.participant_joined","event_ts":%d,%s,"participant":'
                   '{"user_id":"%d","user_name":%s,"id":"","participant_uuid":'
                   '"%s-%s-%s-%s-%s","join_time":"%s","email":"","registrant_id":'
                   '"%s","participant_user_id":""}}}}}\n'
                   % (i + 2, recv, ts, prefix, uid, name,
                      h[:8], h[8:12], h[12:16], h[16:20], h[20:], iso(ts),
                      "%022x" % rng.getrandbits(88)))
        flush(out, buf)
    close_out(out, buf)
    print(f"sessions: {args.count + 1} records (1 started, {args.count} joins), "
          f"model: {args.count} participants open, video unknown", file=sys.stderr)


# --------------------------------------------------------------------------------
# Mode 4: many one-person meetings; mode 5: a steady account, any length
# --------------------------------------------------------------------------------



def mode_meetings(args, source):
    out = open_out(args.out)
    out.write(header_line(source) + "\n")
    buf = []
    seq = 0
    for i in range(args.count):
        t = BASE_MS + i * 10 * SEC
        uuid = "mtg%08d==" % i
        obj = '"uuid":"%s","id":"%d","topic":"Bilateral %d"' % (uuid, 87000000000 + i, i)
        part = ('"participant":{"user_id":"%d","user_name":"France - Ana Muster"}'
                % (16778240 + i))
        for k, (ev, body) in enumerate((("meeting.started", ""),
                                        ("meeting.participant_joined", "," + part),
                                        ("meeting.participant_left", "," + part),
                                        ("meeting.ended", ""))):
            seq += 1
            buf.append('{"seq":%d,"recv":%d,"src":"webhook","body":{"event":"%s",'
                       '"event_ts":%d,"payload":{"object":{%s%s}}}}\n'
                       % (seq, t + k * SEC + 300, ev, t + k * SEC, obj, body))
        flush(out, buf)
    close_out(out, buf)
    print(f"meetings: {seq} records, {args.count} one-person meetings", file=sys.stderr)


def mode_churn(args, source):
    rng = random.Random(args.seed * 1000 + 5)
    countries, _ = load_countries()
    names = []
    for i in range(4096):
        c = countries[i % len(countries)]
        firsts, lasts = NAMES[c.region]
        names.append(dumps(f"{c.en} - {rng.choice(firsts)} {rng.choice(lasts)}"))
    step = 50                                   # ms between records
    nm = max(1, args.meetings)
    per = max(1, args.concurrent // nm)         # sessions open per meeting
    life = 3600 * SEC                           # a meeting lasts an hour
    out = open_out(args.out)
    out.write(header_line(source) + "\n")
    buf = []
    seq = 0
    uid = 16778240
    t = BASE_MS
    serial = 0
    live = []                                   # [uuid text, ends at, open user ids]

    def emit(ev, obj, part=""):
        nonlocal seq
        seq += 1
        buf.append('{"seq":%d,"recv":%d,"src":"webhook","body":{"event":"%s",'
                   '"event_ts":%d,"payload":{"object":{%s%s}}}}\n'
                   % (seq, t + 300, ev, t, obj, part))

    def meeting_obj(m):
        return '"uuid":"%s","id":"%d","topic":"Session %d"' % (m[0], 88000000000 + m[3],
                                                                 m[3])

    def join(m):
        nonlocal uid
        uid += 1
        m[2].append(uid)
        emit("meeting.participant_joined", meeting_obj(m),
             ',"participant":{"user_id":"%d","user_name":%s,"id":"u%d"}'
             % (uid, names[uid % len(names)], uid))

    def leave(m, i):
        u = m[2][i]
        m[2][i] = m[2][-1]
        m[2].pop()
        emit("meeting.participant_left", meeting_obj(m),
             ',"participant":{"user_id":"%d","user_name":%s,"id":"u%d",'
             '"leave_reason":"left the meeting"}' % (u, names[u % len(names)], u))

    total = args.records
    while seq < total:
        t += step
        for m in [m for m in live if m[1] <= t]:
            emit("meeting.ended", meeting_obj(m))
            live.remove(m)
        if len(live) < nm:
            serial += 1
            m = ["churn-%08d==" % serial, t + life - rng.randrange(life // 2) * (len(live) > 0),
                 [], serial]
            live.append(m)
            emit("meeting.started", meeting_obj(m))
            continue
        m = live[rng.randrange(len(live))]
        if len(m[2]) < per:
            join(m)
        else:
            leave(m, rng.randrange(len(m[2])))
        flush(out, buf)
    close_out(out, buf)
    print(f"churn: {seq} records over {(t - BASE_MS) / 3600000:.1f} h, {nm} live meetings "
          f"of {per} sessions, {serial} meetings in all", file=sys.stderr)


# --------------------------------------------------------------------------------

def write_lines(path, lines):
    text = "\n".join(lines) + "\n"
    if path == "-":
        sys.stdout.write(text)
    else:
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)


def main():
    ap = argparse.ArgumentParser(
        description="Generate deterministic capmon event recordings (JSON Lines).")
    ap.add_argument("--mode", choices=("sitting", "stress", "sessions", "meetings", "churn"),
                    default="sitting")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="-", help="output file (default: stdout)")
    ap.add_argument("--records", type=int, default=1000000,
                    help="stress: number of records (default 1000000)")
    ap.add_argument("--meetings", type=int, default=5,
                    help="stress: number of meetings (default 5)")
    ap.add_argument("--max-concurrent", type=int, default=10000,
                    help="stress: largest meeting's concurrent participants")
    ap.add_argument("--count", type=int, default=100000,
                    help="sessions: number of open sessions; meetings: number of "
                         "meetings (default 100000)")
    ap.add_argument("--concurrent", type=int, default=2000,
                    help="churn: sessions open at any time (default 2000)")
    args = ap.parse_args()
    source = f"gen-recording.py --mode {args.mode} --seed {args.seed}"
    if args.mode == "stress":
        source += f" --records {args.records}"
        mode_stress(args, source)
    elif args.mode == "sessions":
        source += f" --count {args.count}"
        mode_sessions(args, source)
    elif args.mode == "meetings":
        source += f" --count {args.count}"
        mode_meetings(args, source)
    elif args.mode == "churn":
        source += f" --records {args.records} --meetings {args.meetings}"
        source += f" --concurrent {args.concurrent}"
        mode_churn(args, source)
    else:
        mode_sitting(args, source)


if __name__ == "__main__":
    main()
