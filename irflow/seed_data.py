"""Demo data: Khujand State University's faculties and the programs and partners named in
the department's own description (names spelled as the institutions spell them)."""

# code, name in English, Russian and Tajik
FACULTIES = (
    ("PHYS", "Faculty of Physics and Engineering", "Физико-технический факультет", "Факултети физикаю техника"),
    ("MATH", "Faculty of Mathematics", "Математический факультет", "Факултети математика"),
    (
        "IT",
        "Faculty of Information Technology",
        "Факультет информационных технологий",
        "Факултети технологияҳои иттилоотӣ",
    ),
    ("NAT", "Faculty of Natural Sciences", "Факультет естественных наук", "Факултети илмҳои табиӣ"),
    (
        "TPHIL",
        "Faculty of Tajik Philology and Journalism",
        "Факультет таджикской филологии и журналистики",
        "Факултети филологияи тоҷик ва журналистика",
    ),
    ("RPHIL", "Faculty of Russian Philology", "Факультет русской филологии", "Факултети филологияи рус"),
    ("ORIENT", "Faculty of Oriental Languages", "Факультет восточных языков", "Факултети забонҳои шарқ"),
    ("GERM", "Faculty of Germanic Languages", "Факультет германских языков", "Факултети забонҳои германӣ"),
    ("HIST", "Faculty of History and Law", "Факультет истории и права", "Факултети таърих ва ҳуқуқ"),
    (
        "ECON",
        "Faculty of Economics and Management",
        "Факультет экономики и управления",
        "Факултети иқтисод ва идоракунӣ",
    ),
    (
        "PED",
        "Faculty of Pedagogy and Psychology",
        "Факультет педагогики и психологии",
        "Факултети педагогика ва психология",
    ),
    ("PE", "Faculty of Physical Education", "Факультет физического воспитания", "Факултети тарбияи ҷисмонӣ"),
)

# The seed partners' cities: (latitude, longitude) in degrees, north and east positive,
# for the grants' travel distance bands.
CITY_COORDINATES = {
    "Almaty": (43.2389, 76.8897),
    "Batken": (40.0625, 70.8194),
    "Beijing": (39.9042, 116.4074),
    "Berlin": (52.5200, 13.4050),
    "Bishkek": (42.8746, 74.5698),
    "Bonn": (50.7374, 7.0982),
    "Borås": (57.7210, 12.9401),
    "Daugavpils": (55.8750, 26.5356),
    "Dresden": (51.0504, 13.7373),
    "Dushanbe": (38.5598, 68.7870),
    "Geneva": (46.2044, 6.1432),
    "Grenoble": (45.1885, 5.7245),
    "Jülich": (50.9220, 6.3617),
    "Kazan": (55.7963, 49.1088),
    "Kharkiv": (49.9935, 36.2304),
    "L'Aquila": (42.3498, 13.3995),
    "Ludwigsburg": (48.8975, 9.1922),
    "Moscow": (55.7558, 37.6173),
    "New Delhi": (28.6139, 77.2090),
    "Nitra": (48.3069, 18.0864),
    "Osh": (40.5283, 72.7985),
    "Paris": (48.8566, 2.3522),
    "Poznań": (52.4064, 16.9252),
    "Santiago de Compostela": (42.8782, -8.5448),
    "Thessaloniki": (40.6401, 22.9444),
    "Urumqi": (43.8256, 87.6168),
    "Vienna": (48.2082, 16.3738),
    "Vilnius": (54.6872, 25.2797),
    "Warsaw": (52.2297, 21.0122),
    "Washington": (38.9072, -77.0369),
}

# name, country (ISO 3166-1 alpha-2), city, kind, website
PARTNERS = (
    ("Beijing University of Agriculture", "CN", "Beijing", "university", "https://www.bua.edu.cn"),
    ("Xinjiang Normal University", "CN", "Urumqi", "university", "https://www.xjnu.edu.cn"),
    ("Moscow State University of Economics, Statistics and Informatics", "RU", "Moscow", "university", None),
    ("Kharkiv National University of Radio Electronics", "UA", "Kharkiv", "university", "https://nure.ua"),
    ("Osh State University", "KG", "Osh", "university", "https://www.oshsu.kg"),
    ("Batken State University", "KG", "Batken", "university", None),
    ("Jawaharlal Nehru University", "IN", "New Delhi", "university", "https://www.jnu.ac.in"),
    ("Al-Farabi Kazakh National University", "KZ", "Almaty", "university", "https://www.kaznu.kz"),
    ("Humboldt University of Berlin", "DE", "Berlin", "university", "https://www.hu-berlin.de"),
    ("Aristotle University of Thessaloniki", "GR", "Thessaloniki", "university", "https://www.auth.gr"),
    ("Forschungszentrum Jülich", "DE", "Jülich", "research_centre", "https://www.fz-juelich.de"),
    ("Kazan Federal University", "RU", "Kazan", "university", "https://kpfu.ru"),
    ("Kyrgyz State Technical University named after I. Razzakov", "KG", "Bishkek", "university", "https://kstu.kg"),
    ("Daugavpils University", "LV", "Daugavpils", "university", "https://du.lv"),
    ("Russian-Tajik Slavonic University", "TJ", "Dushanbe", "university", "https://rtsu.tj"),
    ("Technische Universität Berlin", "DE", "Berlin", "university", "https://www.tu.berlin"),
    ("Ludwigsburg University of Education", "DE", "Ludwigsburg", "university", "https://www.ph-ludwigsburg.de"),
    ("Technische Universität Dresden", "DE", "Dresden", "university", "https://tu-dresden.de"),
    ("Vilnius Pedagogical University", "LT", "Vilnius", "university", None),
    ("Constantine the Philosopher University in Nitra", "SK", "Nitra", "university", "https://www.ukf.sk"),
    ("University of Santiago de Compostela", "ES", "Santiago de Compostela", "university", "https://www.usc.gal"),
    ("Warsaw University of Life Sciences", "PL", "Warsaw", "university", "https://www.sggw.edu.pl"),
    ("Adam Mickiewicz University, Poznań", "PL", "Poznań", "university", "https://amu.edu.pl"),
    ("Pierre Mendès France University", "FR", "Grenoble", "university", None),
    ("Alexander Technological Educational Institute of Thessaloniki", "GR", "Thessaloniki", "university", None),
    ("University of L'Aquila", "IT", "L'Aquila", "university", "https://www.univaq.it"),
    ("University of Natural Resources and Life Sciences, Vienna", "AT", "Vienna", "university", "https://boku.ac.at"),
    ("University of Borås", "SE", "Borås", "university", "https://www.hb.se"),
    ("Public Affairs Section, Embassy of the United States in Tajikistan", "US", "Dushanbe", "embassy", None),
    ("Embassy of the Federal Republic of Germany in Tajikistan", "DE", "Dushanbe", "embassy", None),
    ("Embassy of the Russian Federation in Tajikistan", "RU", "Dushanbe", "embassy", None),
    ("Cultural Council of the Islamic Republic of Iran", "IR", "Dushanbe", "embassy", None),
    ("A. M. Gorky Institute of World Literature", "RU", "Moscow", "research_centre", "https://imli.ru"),
    (
        "Institute of Oriental Studies of the Russian Academy of Sciences",
        "RU",
        "Moscow",
        "research_centre",
        "https://www.ivran.ru",
    ),
    ("Aga Khan Foundation", "CH", "Geneva", "foundation", "https://www.akdn.org"),
    (
        "American Councils for International Education (ACCELS)",
        "US",
        "Washington",
        "international_organisation",
        "https://www.americancouncils.org",
    ),
    ("IREX", "US", "Washington", "international_organisation", "https://www.irex.org"),
    ("German Academic Exchange Service (DAAD)", "DE", "Bonn", "international_organisation", "https://www.daad.de"),
    (
        "Deutsche Gesellschaft für Internationale Zusammenarbeit (GIZ)",
        "DE",
        "Bonn",
        "international_organisation",
        "https://www.giz.de",
    ),
    ("ACTED", "FR", "Paris", "international_organisation", "https://www.acted.org"),
    ("UNESCO", "FR", "Paris", "international_organisation", "https://www.unesco.org"),
    ("Eurasia Foundation", "US", "Washington", "foundation", "https://www.eurasia.org"),
)


def demo_oid(position):
    """A made-up Erasmus+ Organisation ID ("E" + 8 digits) for the seeded partner at `position`:
    distinct for every position, so that the demo's Beneficiary Module export is complete."""
    return f"E10{position * 7919 % 10**6:06d}"


# name, kind, funder
PROGRAMS = (
    ("Erasmus+ KA171 International Credit Mobility", "erasmus_plus", "European Commission"),
    ("Erasmus Mundus Silk Route", "erasmus_mundus", "European Commission"),
    ("Erasmus Mundus CANEM", "erasmus_mundus", "European Commission"),
    ("Erasmus Mundus TOSCA", "erasmus_mundus", "European Commission"),
    ("Erasmus Mundus MANECA", "erasmus_mundus", "European Commission"),
    ("TEMPUS CANQA – Central Asian Network for Quality Assurance", "tempus", "European Commission"),
    ("TEMPUS PROTRAINING – qualification of teachers for the credit system", "tempus", "European Commission"),
    ("TEMPUS EPASET – environment protection and agro-technology", "tempus", "European Commission"),
    ("TEMPUS EDUCA – curricula for pedagogy and management", "tempus", "European Commission"),
    ("TEMPUS MEDIATE – Master of Science in computer science and telecommunication", "tempus", "European Commission"),
    ("TEMPUS QUADRIGA", "tempus", "European Commission"),
    ("TEMPUS FIEPP", "tempus", "European Commission"),
    ("TEMPUS PROMIS", "tempus", "European Commission"),
    ("DAAD scholarships", "daad", "German Academic Exchange Service (DAAD)"),
    ("Bilateral exchange with partner universities", "bilateral", "Khujand State University"),
    ("Embassy and foundation scholarships", "other", None),
)

_ERASMUS_MUNDUS = (
    "An Erasmus Mundus partnership of Central Asian and European universities for the mobility of students and staff.",
    "Партнёрство Erasmus Mundus университетов Центральной Азии и Европы для мобильности студентов и сотрудников.",
    "Шарикии Erasmus Mundus-и донишгоҳҳои Осиёи Марказӣ ва Аврупо барои мобилияти донишҷӯён ва кормандон.",
)
_TEMPUS = (
    "A TEMPUS project of the European Union, completed; kept for the record of past mobility.",
    "Проект TEMPUS Европейского союза, завершён; сохранён для учёта прошлой мобильности.",
    "Лоиҳаи TEMPUS-и Иттиҳоди Аврупо, анҷомёфта; барои сабти мобилияти гузашта нигоҳ дошта шудааст.",
)

# Program name -> description in English, Russian and Tajik
PROGRAM_DESCRIPTIONS = {
    "Erasmus+ KA171 International Credit Mobility": (
        "Semester exchanges of students and short visits of staff to European universities, funded by the "
        "European Union; credits earned abroad are recognised at home.",
        "Семестровые обмены студентов и краткосрочные визиты сотрудников в европейские университеты при "
        "финансировании Европейского союза; кредиты, полученные за рубежом, перезачитываются дома.",
        "Мубодилаи семестрии донишҷӯён ва сафарҳои кӯтоҳмуддати кормандон ба донишгоҳҳои Аврупо бо "
        "маблағгузории Иттиҳоди Аврупо; кредитҳои дар хориҷа гирифташуда дар ватан ба ҳисоб гирифта мешаванд.",
    ),
    "Erasmus Mundus Silk Route": (
        "Scholarships for bachelor, master and PhD studies and staff exchanges between Central Asian and "
        "European universities along the Silk Road.",
        "Стипендии для обучения в бакалавриате, магистратуре и докторантуре и обмены сотрудниками между "
        "университетами Центральной Азии и Европы вдоль Шёлкового пути.",
        "Стипендияҳо барои таҳсил дар бакалавриат, магистратура ва докторантура ва мубодилаи кормандон байни "
        "донишгоҳҳои Осиёи Марказӣ ва Аврупо дар масири Роҳи Абрешим.",
    ),
    "Erasmus Mundus CANEM": _ERASMUS_MUNDUS,
    "Erasmus Mundus TOSCA": _ERASMUS_MUNDUS,
    "Erasmus Mundus MANECA": _ERASMUS_MUNDUS,
    **{name: _TEMPUS for name, kind, _funder in PROGRAMS if kind == "tempus"},
    "DAAD scholarships": (
        "Scholarships of the German Academic Exchange Service for study and research stays in Germany.",
        "Стипендии Германской службы академических обменов для учёбы и научных стажировок в Германии.",
        "Стипендияҳои Хадамоти мубодилаи академии Олмон барои таҳсил ва таҷрибаомӯзии илмӣ дар Олмон.",
    ),
    "Bilateral exchange with partner universities": (
        "Exchanges under the university's own agreements with partner universities in Central Asia, Russia and beyond.",
        "Обмены по собственным договорам университета с вузами-партнёрами в Центральной Азии, России и других странах.",
        "Мубодилаҳо тибқи шартномаҳои худи донишгоҳ бо донишгоҳҳои шарик дар Осиёи Марказӣ, Русия ва дигар кишварҳо.",
    ),
    "Embassy and foundation scholarships": (
        "Scholarships offered through embassies and foundations; the office announces each one as a call.",
        "Стипендии, предлагаемые через посольства и фонды; отдел объявляет каждую из них как конкурс.",
        "Стипендияҳое, ки тавассути сафоратхонаҳо ва бунёдҳо пешниҳод мешаванд; шуъба ҳар якеро ҳамчун озмун "
        "эълон мекунад.",
    ),
}

# Partner name -> description in English, Russian and Tajik (the hosts of the demo calls)
PARTNER_DESCRIPTIONS = {
    "Technische Universität Dresden": (
        "A technical university in Dresden, Saxony; hosts Erasmus+ students of engineering and natural sciences.",
        "Технический университет в Дрездене (Саксония); принимает студентов Erasmus+ инженерных и естественных "
        "специальностей.",
        "Донишгоҳи техникӣ дар Дрезден (Саксония); донишҷӯёни Erasmus+-ро дар соҳаҳои муҳандисӣ ва илмҳои табиӣ "
        "қабул мекунад.",
    ),
    "Humboldt University of Berlin": (
        "One of Berlin's oldest universities; hosts students of languages, humanities and sciences.",
        "Один из старейших университетов Берлина; принимает студентов языковых, гуманитарных и естественных "
        "специальностей.",
        "Яке аз қадимтарин донишгоҳҳои Берлин; донишҷӯёни ихтисосҳои забоншиносӣ, гуманитарӣ ва табииро қабул мекунад.",
    ),
    "Adam Mickiewicz University, Poznań": (
        "A large public university in Poznań, Poland; hosts students of philology and social sciences.",
        "Крупный государственный университет в Познани (Польша); принимает студентов филологии и социальных наук.",
        "Донишгоҳи бузурги давлатӣ дар Познани Лаҳистон; донишҷӯёни филология ва илмҳои иҷтимоиро қабул мекунад.",
    ),
    "Daugavpils University": (
        "A university in Latgale, Latvia; hosts students of education, languages and natural sciences.",
        "Университет в Латгалии (Латвия); принимает студентов педагогики, языков и естественных наук.",
        "Донишгоҳ дар Латгалияи Латвия; донишҷӯёни педагогика, забонҳо ва илмҳои табииро қабул мекунад.",
    ),
    "Osh State University": (
        "A neighbouring university in southern Kyrgyzstan; short teaching and research visits.",
        "Соседний университет на юге Кыргызстана; краткие преподавательские и научные визиты.",
        "Донишгоҳи ҳамсоя дар ҷануби Қирғизистон; сафарҳои кӯтоҳи омӯзгорӣ ва илмӣ.",
    ),
    "Al-Farabi Kazakh National University": (
        "Kazakhstan's leading university, in Almaty; teaching and research visits.",
        "Ведущий университет Казахстана, в Алматы; преподавательские и научные визиты.",
        "Донишгоҳи пешбари Қазоқистон, дар Алмаато; сафарҳои омӯзгорӣ ва илмӣ.",
    ),
    "Kazan Federal University": (
        "A federal university in Kazan, Russia; teaching and research visits.",
        "Федеральный университет в Казани (Россия); преподавательские и научные визиты.",
        "Донишгоҳи федералӣ дар Қазони Русия; сафарҳои омӯзгорӣ ва илмӣ.",
    ),
}

# Criterion name in English -> in Russian and Tajik
CRITERIA = {
    "English test": ("Тест по английскому языку", "Санҷиши забони англисӣ"),
    "Interview": ("Собеседование", "Мусоҳиба"),
    "Average grade": ("Средний балл", "Баҳои миёна"),
    "Teaching plan": ("План занятий", "Нақшаи дарсҳо"),
}

TEST_PLACE = ("Main building, room 210", "Главный корпус, аудитория 210", "Бинои асосӣ, ҳуҷраи 210")

# Demo accounts: e-mail, native name, Latin name, category, faculty code, roles
DEMO_USERS = (
    ("admin@irflow.example", "Администратор Системӣ", "SYSTEM ADMINISTRATOR", "staff", None, ("admin",)),
    ("head@irflow.example", "Саидова Гулноза Раҳимовна", "SAIDOVA GULNOZA", "staff", None, ("head",)),
    ("coordinator@irflow.example", "Каримов Фаррух Бахтиёрович", "KARIMOV FARRUKH", "staff", "GERM", ("coordinator",)),
    ("examiner@irflow.example", "Назарова Малика Шерзодовна", "NAZAROVA MALIKA", "teacher", "GERM", ("examiner",)),
    ("student@irflow.example", "Раҳимов Алишер Ҷамшедович", "RAHIMOV ALISHER", "bachelor", "GERM", ()),
)

# The agreements under which the demo calls' hosts are offered (partners.policy.agreement_problems):
# partner, program, title, direction, mobility types, levels, ISCED-F code, places, months and
# days a year, language and CEFR level, contact name and e-mail. Valid from the academic year
# before the seeding's for six years.
_ERASMUS = "Erasmus+ KA171 International Credit Mobility"
_BILATERAL = "Bilateral exchange with partner universities"
_ALL_LEVELS = ("bachelor", "master", "doctoral", "staff")
AGREEMENTS = (
    ("Technische Universität Dresden", _ERASMUS, "Erasmus+ inter-institutional agreement", "both",
     ("study", "teaching", "training"), _ALL_LEVELS, "0710", 4, 20, 10, "English", "B2",
     "International Office", "erasmus@tu-dresden.example"),
    ("Humboldt University of Berlin", _ERASMUS, "Erasmus+ inter-institutional agreement", "both",
     ("study", "teaching"), _ALL_LEVELS, "0231", 2, 10, 10, "German", "B1",
     "International Office", "outgoing@hu-berlin.example"),
    ("Adam Mickiewicz University, Poznań", _ERASMUS, "Erasmus+ inter-institutional agreement", "both",
     ("study", "teaching", "training"), _ALL_LEVELS, "0232", 4, 20, 15, "English", "B2",
     "Erasmus+ coordinator", "erasmus@amu.example"),
    ("Daugavpils University", _ERASMUS, "Erasmus+ inter-institutional agreement", "both",
     ("study", "training"), ("bachelor", "master", "staff"), "0111", 4, 20, 10, "English", "B1",
     "International Relations Office", "international@du.example"),
    ("Osh State University", _BILATERAL, "Agreement on academic cooperation", "both",
     ("teaching", "research", "conference"), ("doctoral", "staff"), None, 4, 4, 30, "Russian", "B2",
     "Department of International Relations", "intl@oshsu.example"),
    ("Al-Farabi Kazakh National University", _BILATERAL, "Agreement on academic cooperation", "both",
     ("teaching", "research"), ("doctoral", "staff"), None, 4, 4, 30, "Russian", "B2",
     "Academic mobility office", "mobility@kaznu.example"),
    ("Kazan Federal University", _BILATERAL, "Agreement on academic cooperation", "both",
     ("study", "teaching", "research"), _ALL_LEVELS, None, 2, 4, 20, "Russian", "B2",
     "International Office", "intl@kpfu.example"),
)  # fmt: skip

# Demo grant rules for every demo call with hosts. DEMO FIGURES ONLY, shaped like the
# Erasmus+ KA171 2024 rates (individual support per month for students and per day for staff
# by host-country group, the seven distance bands' travel lump sums with their green-travel
# amounts, the fewer-opportunities top-up): the office enters the real rates of each call.
DEMO_GRANT_RATES = {
    "student_month_group1": 700,
    "student_month_group2": 600,
    "student_month_group3": 540,
    "staff_day_group1": 180,
    "staff_day_group2": 160,
    "staff_day_group3": 140,
    "fewer_opportunities_month": 250,
    "first_instalment_percent": 70,
}
# band: (standard amount, green-travel amount) in euros; demo figures.
DEMO_TRAVEL_BANDS = {
    1: (28, 56),
    2: (211, 285),
    3: (309, 417),
    4: (395, 535),
    5: (580, 785),
    6: (1188, 1188),
    7: (1735, 1735),
}
# The demo hosts' countries in a group (Erasmus+ 2024 grouping for DE, LV, PL; the Central
# Asian and Russian hosts of the bilateral call put in a group for the demo only).
DEMO_COUNTRY_GROUPS = {"DE": 2, "LV": 3, "PL": 3, "KG": 3, "KZ": 3, "RU": 2}
