"""Generic vocabulary shared by every topic: money cues, event status, sentence roles.

Nothing here names a company. A topic (a preset or a ``[[topics]]`` table) brings its own
entity aliases and may add terms to any of these lists.

Term syntax (also accepted in ``config.toml``), matched on folded text (see ``text.fold``):

* plain words, any case or accents: ``"levée de fonds"``; a space also matches a hyphen;
* ``*`` at the end of a word: any ending (``"valoris*"`` matches valorisation, valorisée);
* ``" $"`` at the end: only counts when a money amount is near (``"raise* $"``);
* ``" >"`` at the end: only counts when the entity is named just after (``"invest* in >"``);
* ``"re:"`` prefix: a raw regular expression on folded text.
"""

from __future__ import annotations

# ---------------------------------------------------------------- money cues, by event kind
# Strong cues say "money fact" on their own; weak cues (in WEAK_CUES) need an amount or a second cue.

CUES: dict[str, dict[str, list[str]]] = {
    "en": {
        "funding": [
            "funding", "fundraising", "fund-raising", "fundraise", "funding round", "financing round",
            "financing", "raise* $", "raising $", "raised $", "raise money", "raising money", "raise funds",
            "raising funds", "raise capital", "raising capital", "raise new capital", "fresh capital",
            "new capital", "capital raise", "new funds", "bags $", "secures $", "secured $", "lands $",
            "pulls in $", "nets $", "gets $", "seeks $", "seeking $", "series a", "series b", "series c",
            "series d", "series e", "series f", "seed round", "tranche", "investment round", "round",
            "invest* $ in >", "invest* in >", "investment in >", "investment into >", "investing in >",
            "pour* $ into >", "sink* $ into >", "deal for $ from", "receiv* $ from", "get* $ from",
            "accept* $ from", "secure* $ from", "put* $ into >", "inject* $ into >", "stake in >", "backers",
            "investors",
            "new investors", "pitching investors", "pitches investors", "convertible notes",
            "strategic investment", "capital injection", "recapitaliz*", "recapitalis*", "ownership stake",
            r"re:(?<![a-z])rais\w* (?:\w+ ){0,2}(?:capital|money|funds|cash|financing)(?![a-z])",
            # receiving investment, and investors' demand for the company's shares
            "secur* investment", "secur* new investment", "secur* fresh investment", "new investment from",
            "fresh investment from", "attract* investment", "investors pile in*", "investors flock*",
            "investors line up", "investors rush*", "investors clamor*", "investors clamour*",
        ],
        "valuation": [
            "valuation", "valuations", "valued at", "valuing", "values the company", "values it",
            "value the company", "value it at", "would value", "could value", "post-money", "pre-money",
            "price tag", "worth $", "is worth", "now worth", "be worth", "stake worth", "stake valued",
            "most valuable startup", "most valuable private", "market value",
        ],
        "share_sale": [
            "tender offer", "share sale", "sale of shares", "sale of stock", "stock sale", "secondary sale",
            "secondary share", "secondary shares", "secondary transaction", "secondary offering",
            "employee shares", "employee stock", "staff shares", "shares from employees",
            "shares from current and former", "stock owned by its current", "shares held by current",
            "sell shares", "sold shares", "sell stock", "sold stock", "sell* $ of stock", "sell* $ of shares",
            "sold $ of shares", "sold $ of stock", "sell* $ in shares", "sold $ in shares", "cash out",
            r"re:(?<![a-z])(?:sell|sells|selling|sold|offload\w*|unload\w*|cash\w* in) (?:[\w'$€£¥.,-]+ ){0,5}?"
            r"(?:shares|stock|stakes|holdings|equity)(?![a-z])",
            "existing shares",
        ],
        "credit": [
            "credit line", "line of credit", "credit facility", "revolving credit", "revolving line",
            "debt financing", "debt raise", "loan", "loans", "borrow*", "bond sale", "bonds",
        ],
        "ipo": [
            "ipo", "initial public offering", "go public", "going public", "goes public", "public listing",
            "stock market listing", "public company", "listing", "stock market debut", "list its shares",
            "float its shares",
        ],
        "revenue": [
            "revenue", "revenues", "annualized", "annualised", "run rate", "run-rate", "arr",
            "annual recurring", "recurring revenue", "sales", "turnover", "top line", "bookings",
            "earnings", "income", "revenue share", "revenue-share", "makes $ a month", "generating $",
            "generates $", "generated $", "revenue pace", "sales pace", "monthly revenue",
            "spen* $ on >", "paid $ for >", "grew", "growth", "financial projections", "projections",
            "financials", "finances", "financial documents", "financial data", "financial disclosures",
            "first-half numbers", "numbers show", "business grew",
            "brings in $", "bringing in $", "brought in $", "rakes in $", "raked in $", "raking in $", "takes in $",
            "took in $", "taking in $", "hauls in $", "hauled in $", "earns $", "earned $", "earning $",
            "makes $ a year", "making $ a year", "made $ a year", "makes $ per year", "making $ per year",
            "makes $ annually", "making $ annually", "made $ annually", "making $ a month", "made $ a month",
            "makes $ per month", "making $ per month",
        ],
        "loss": [
            "loss", "losses", "net loss", "lost $", "lose* $", "losing $", "losing money",
            r"re:(?<![a-z])los(?:e|es|ing|t) (?:so much|more|less|a lot of|lots of|that much|how much) money(?![a-z])",
            "lose money", "lost money",
            "loses money", "cash burn", "burn* cash", "burning through $", "burn* through cash", "burn* $",
            "in the red",
            "unprofitable", "cash pile", "cash on hand", "cash reserves", "war chest", "liquidity", "profit",
            "profits", "profitable", "profitability", "break even",
            "cash-flow positive", "cash flow", "free cash flow", "deficit", "bleeding cash",
            "gross margin", "gross margins", "operating margin", "operating margins", "profit margin",
            "profit margins", "compute margin", "compute margins", "chew* through $", "go through $",
            "goes through $", "going through $", "gone through $",
        ],
    },
    "fr": {
        "funding": [
            "levée de fonds", "levées de fonds", "lever des fonds", "lève des fonds", "lever des capitaux",
            "levée", "lève $", "leve $", "a levé $", "lever $", "lèverait", "tour de table", "tour de financement",
            "financement", "financements", "ouverture du capital", "ouvre son capital", "ouvrir son capital",
            "ouverture de son capital", "augmentation de capital", "investisseurs",
            "injecter $", "injectera", "investir $ dans >", "investir dans >", "investit $ dans >",
            "investissement dans >", "investissement $ dans >", "investissement de $", "prise de participation",
            "participation",
            "recapitalisation", "obligations convertibles", "apport", "cherch* $", "boucle $", "obtient $",
            "injecte* $ dans >", "injecter $ dans >",
        ],
        "valuation": [
            "valorisation", "valorisée", "valorisé", "valoriserait", "valorisant", "valorise", "valoriser",
            "vaut $", "valeur de $", "valeur du créateur", "porte sa valeur", "porterait sa valeur",
            "start-up la plus chère", "la plus valorisée", "capitalisation",
        ],
        "share_sale": [
            "cession d'actions", "cède $", "cèdent $", "cèdent", "cession de titres", "vente d'actions",
            "rachat d'actions", "rachetaient des titres", "rachèteraient des titres", "racheté des titres",
            "actions de salariés", "titres détenus par des salariés", "salariés", "offre de rachat", "opa",
            "actionnariat salarié", "marché secondaire",
            r"re:(?<![a-z])(?:vendre|vendront|vendent|vend|ceder|cedent|cede|cederont|ceda|revendre|ecouler) "
            r"(?:[\w'-]+ ){0,5}?(?:actions|titres|parts|participations)(?![a-z])",
        ],
        "credit": ["ligne de crédit", "facilité de crédit", "crédit renouvelable", "dette", "prêt", "emprunt"],
        "ipo": ["introduction en bourse", "entrée en bourse", "entrer en bourse", "cotation", "ipo"],
        "revenue": [
            "chiffre d'affaires", "revenus", "revenu", "recettes", "ventes", "rythme annuel",
            "revenus annualisés", "annualisé", "annualisés", "revenus annuels", "récurrents", "engrangé",
            "engrange", "croissance", "projections", "prévisions", "finances", "génère $", "générait $",
            "a généré $", "empoche $", "encaisse $", "facture $", "réalise $ de",
        ],
        "loss": [
            "pertes", "perte", "déficitaire", "déficit", "perd $", "perdu $", "perdra $", "perdrait $",
            "perdre de l'argent",
            "perd de l'argent", "brûlé $", "brûle $", "brûler", "trésorerie", "rentable", "rentabilité",
            "bénéfice", "bénéfices", "dans le rouge", "marge brute", "marge opérationnelle",
        ],
    },
    "de": {
        "funding": [
            "finanzierungsrunde", "finanzierung", "*finanzierung", "*runde", "kapitalrunde", "investitionsrunde",
            "runde", "investition", "*investition",
            "investitionen", "milliarden-investition", "investiert $ in >", "investieren in >", "investiert in >",
            "steckt $ in >", "investoren", "geldgeber", "sammelt $", "eingesammelt", "sammelt", "holt sich $",
            "holt $", "erhält $", "kapital", "frisches geld", "kapitalspritze", "beteiligung",
            "steigt $ ein", "steigt mit", "einstieg",
        ],
        "valuation": ["bewertung", "*bewertung", "bewertet", "firmenwert", "unternehmenswert", "marktwert",
        "wert von $", "wert"],
        "share_sale": [
            "anteilsplatzierung", "aktienverkauf", "anteilsverkauf", "mitarbeiteraktien", "aktien verkaufen",
            "anteile verkaufen", "übernahmeangebot", "rückkaufangebot",
            r"re:(?<![a-z])(?:aktien|anteile)(?: [\w'$€£¥.,-]+){0,6}? (?:verkaufen|veraussern|abgeben|zu verkaufen)"
            r"(?![a-z])",
            r"re:(?<![a-z])(?:verkaufen|verkauft|veraussern|veraussert) (?:[\w'$€£¥.,-]+ ){0,5}?(?:aktien|anteile)"
            r"(?![a-z])",
        ],
        "credit": ["kreditlinie", "kreditrahmen", "kredit", "kredite", "schulden", "darlehen", "anleihe"],
        "ipo": ["börsengang", "an die börse", "ipo", "börsennotierung"],
        "revenue": [
            "umsatz", "umsätze", "*umsatz", "jahresumsatz", "umsatzbeteiligung", "*umsatzbeteiligung", "umsetzen",
            "erlös", "erlöse", "einnahmen",
            "annualisiert*", "erwirtschaftet $", "nimmt $ ein", "setzt $ um", "verdient $",
            "wachstum", "finanzen", "prognose", "prognosen",
        ],
        "loss": [
            "verlust", "verluste", "*verlust*", "liquidität", "barmittel", "verliert $", "verlor $", "verlieren $",
            "defizit", "miese", "gewinn",
            "profitabel", "cash burn", "bruttomarge", "operative marge", "verbrennt $", "verbrennen $", "verbrannt",
            "verliert geld", "verlieren geld", "geld verlieren", "geld verbrennen",
        ],
    },
    "es": {
        "funding": [
            "ronda", "ronda de financiación", "financiación", "financiamiento", "recauda $", "recaudar",
            "recaudado", "capta $", "captar", "captación", "levanta $", "obtiene $", "consigue $",
            "inyección", "inversión", "inversiones", "invertir $ en >", "invertirá $ en >", "invertir en >",
            "invierte $ en >", "invertirá", "inversores", "inyección de capital", "ampliación de capital",
        ],
        "valuation": [
            "valoración", "valora", "valoraría", "valorada", "valorado", "vale $", "valdría",
            "valuación", "valor de mercado",
        ],
        "share_sale": [
            "venta de acciones", "vender acciones", "acciones de empleados", "oferta pública", "opa",
            r"re:(?<![a-z])(?:vender|venderan|venden|vende|vendieron|ceder|traspasar) (?:[\w'$€£¥.,-]+ ){0,6}?"
            r"(?:acciones|titulos|participaciones)(?![a-z])",
            "mercado secundario",
        ],
        "credit": ["línea de crédito", "crédito", "deuda", "préstamo"],
        "ipo": ["salida a bolsa", "salir a bolsa", "opv", "ipo", "cotizar en bolsa"],
        "revenue": [
            "ingresos", "facturación", "ventas", "ingresa* $", "ingresó $", "factura* $", "facturó $",
            "ingresos anualizados", "ingresos recurrentes", "ha facturado $", "genera $", "generó $",
            "gana $", "ganó $",
            "reparto de ingresos", "crecimiento", "proyecciones",
        ],
        "loss": [
            "pérdidas", "pérdida", "pierde $", "perderá $", "perdió $", "perdio $", "ha perdido $", "perdería",
            "números rojos", "déficit",
            "beneficios", "rentable", "rentabilidad", "quema $", "quemará", "quemar $", "quemaría $",
            "quema de caja", "consumo de caja", "quema de efectivo", "pierde dinero", "perdiendo dinero",
            "perdido $", "margen bruto", "margen operativo",
        ],
    },
    "it": {
        "funding": [
            "round", "round di finanziamento", "finanziamento", "raccolta", "raccoglie $", "raccolto $",
            "raccogliere", "investimento", "investimenti", "investire $ in >", "investire in >", "investe $ in >",
            "punta $ su >", "investitori", "aumento di capitale", "iniezione",
        ],
        "valuation": ["valutazione", "valutata", "valutato", "valuta", "vale $", "varrebbe", "più valutata"],
        "share_sale": ["cessione di azioni", "vendita di azioni", "ceduto azioni", "azioni dei dipendenti", "opa",
                       r"re:(?<![a-z])(?:vendere|venderanno|vendono|vende|cedere|cederanno) (?:[\w'$€£¥.,-]+ ){0,6}?"
                       r"(?:azioni|quote|titoli)(?![a-z])"],
        "credit": ["linea di credito", "credito", "debito", "prestito"],
        "ipo": ["quotazione", "ipo", "sbarco in borsa"],
        "revenue": ["ricavi", "fatturato", "entrate", "vendite", "ricavi annualizzati", "crescita", "incassa $",
                    "incassato $", "genera $", "fattura $", "guadagna $"],
        "loss": [
            "perdita", "perdite", "perde $", "perso $", "perderà $", "bruciato $", "brucia $", "bruciare $",
            "brucerà $", "consumo di cassa", "perde soldi", "perdendo soldi", "perde denaro", "in rosso", "utile",
            "margine lordo", "margine operativo",
            "utili",
            "redditizia", "redditività",
        ],
    },
    "pt": {
        "funding": [
            "rodada", "ronda", "rodada de investimento", "ronda de financiamento", "financiamento", "capta $",
            "captação", "captar", "levanta $", "aporte", "aportes", "investimento", "investir $ na >",
            "investir $ em >", "investir na >", "investe $ na >", "investidores", "injeção",
        ],
        "valuation": ["avaliação", "avaliada", "avaliado", "avalia", "avaliaria", "vale $", "valer $",
        "passa a valer", "valorização"],
        "share_sale": ["venda de ações", "vender ações", "ações de funcionários", "oferta pública",
        "mercado secundário", r"re:(?<![a-z])(?:vender|venderao|vendem|vende|ceder) (?:[\w'$€£¥.,-]+ ){0,6}?"
                              r"(?:acoes|participacoes)(?![a-z])"],
        "credit": ["linha de crédito", "crédito rotativo", "crédito", "dívida", "empréstimo"],
        "ipo": ["abertura de capital", "ipo", "entrada na bolsa", "oferta pública inicial"],
        "revenue": ["receita", "receitas", "faturamento", "vendas", "receita anualizada", "crescimento", "fatura $",
                    "faturou $", "gera $", "gerou $", "ganha $", "arrecada $"],
        "loss": ["prejuízo", "prejuízos", "perdas", "perda", "perde $", "perdeu $", "perderá $", "queima $", "lucro",
        "lucrativa", "queimar $", "queimará $", "queimou $", "queima de caixa", "consumo de caixa", "perde dinheiro",
        "perdendo dinheiro", "perdido $", "margem bruta", "margem operacional"],
    },
    "nl": {
        "funding": [
            "financieringsronde", "financiering", "haalt $", "steek* $ in >", "pompt $ in >", "stopt $ in >",
            "opgehaald", "ophalen", "investering",
            "investeert $ in >",
            "investeert in >", "investeren in >", "investeerders", "kapitaalinjectie",
        ],
        "valuation": ["waardering", "gewaardeerd", "waard", "waarde van $"],
        "share_sale": ["aandelenverkoop", "verkoop van aandelen", "werknemersaandelen",
                       r"re:(?<![a-z])aandelen (?:[\w'$€£¥.,-]+ ){0,5}?(?:verkopen|verkocht|van de hand doen)(?![a-z])",
                       r"re:(?<![a-z])(?:verkopen|verkoopt|verkocht) (?:[\w'$€£¥.,-]+ ){0,5}?aandelen(?![a-z])"],
        "credit": ["kredietlijn", "krediet", "schuld", "lening"],
        "ipo": ["beursgang", "naar de beurs", "ipo"],
        "revenue": ["omzet", "*omzet", "inkomsten", "jaaromzet", "opbrengsten", "groei", "verdient $", "haalt $ binnen"],
        "loss": ["verlies", "verliezen", "*verlies", "verliest $", "verloor $", "winst", "winstgevend",
                 "verbrandt $", "verbranden $", "verliest geld", "geld verliezen", "brutomarge"],
    },
    "ja": {
        "funding": [
            "資金調達", "調達", "出資", "増資", "資金を集め", "資金集め", "投資", "ラウンド", "拠出",
        ],
        "valuation": ["企業価値", "評価額", "時価総額", "価値"],
        "share_sale": [
            "株式売却", "株式を売却", "株式公開買い付け", "テンダーオファー", "tob", "株式を買い取",
            "従業員が保有する株式",
        ],
        "credit": ["融資枠", "与信枠", "クレジットライン", "借り入れ", "社債"],
        "ipo": ["上場", "ipo", "新規株式公開"],
        "revenue": ["売上高", "売上", "収益", "収入", "年換算", "営業収益"],
        "loss": ["赤字", "損失", "純損失", "黒字", "最終損益", "利益", "手元資金", "資金を燃焼", "資金燃焼", "現金燃焼",
                 "キャッシュバーン", "キャッシュを燃焼", "資金を消費", "現金を消費", "キャッシュを消費", "粗利益率",
                 "営業利益率"],
    },
    "zh": {
        "funding": ["融资", "募资", "筹资", "筹集", "注资", "投资", "领投", "跟投", "新一轮", "轮融资", "融资轮"],
        "valuation": ["估值", "市值", "投后估值"],
        "share_sale": ["股份出售", "出售股份", "员工股份", "二级市场交易", "老股", "要约收购"],
        "credit": ["信贷额度", "授信", "贷款", "债务", "信贷"],
        "ipo": ["上市", "ipo", "首次公开募股"],
        "revenue": ["收入", "营收", "营业收入", "销售额", "年化收入", "年化营收", "年化"],
        "loss": ["亏损", "净亏损", "现金消耗", "烧钱", "盈利", "利润", "现金储备", "毛利率", "营业利润率"],
    },
}

# Cues that count only with an amount or a second cue in the same sentence.
WEAK_CUES: frozenset[str] = frozenset({
    "round", "investors", "backers", "tranche", "sales", "earnings", "income", "grew", "growth", "listing",
    "public company", "projections", "financials", "finances", "financial data", "profit", "profits",
    "cash flow", "is worth", "be worth", "market value", "most valuable startup", "most valuable private",
    "existing shares", "cash out", "loan", "loans", "borrow*", "bonds", "numbers show", "business grew",
    "new investors", "price tag",
    "investisseurs", "participation", "ventes", "croissance", "prévisions", "salariés", "opa", "apport", "dette",
    "prêt", "emprunt", "bénéfice", "bénéfices", "trésorerie", "levée",
    "capitalisation", "cotation",
    "runde", "investoren", "geldgeber", "kapital", "sammelt", "beteiligung", "wert", "kredit", "kredite",
    "schulden", "darlehen", "anleihe", "wachstum", "finanzen", "prognose", "prognosen", "gewinn", "einstieg",
    "steigt mit",
    "ronda", "inversores", "ventas", "crédito", "deuda", "préstamo", "crecimiento", "proyecciones",
    "beneficios", "oferta pública", "valora", "investitori", "vendite", "credito", "debito", "prestito", "crescita",
    "utile", "utili", "valuta",
    "investidores", "vendas", "dívida", "empréstimo", "crescimento", "lucro", "avalia",
    "investeerders", "krediet", "schuld", "lening", "groei", "winst", "waard",
    "調達", "投資", "ラウンド", "価値", "利益", "収入", "黒字", "拠出",
    "投资", "新一轮", "信贷", "利润", "盈利", "市值", "年化",
})

# ---------------------------------------------------------------- mention context
# A mention of the entity preceded (within a few words, no comma between) by one of these is
# not the subject of the money fact: rivals, comparisons, former staff, founders of other firms.
NOT_SUBJECT_NEAR: list[str] = [
    # en
    "rival", "rivals", "competitor", "competitors", "competes with", "compete with", "competing with",
    "take on", "takes on", "taking on", "chas*", "closing in on", "closes in on", "close in on",
    "narrow* the gap", "challenger to", "gap with", "catch up with", "catching up with", "close the gap",
    "alternative to", "answer to", "ex", "former", "formerly", "founded by", "co-founded", "co-founder of",
    "cofounder of", "founder of", "alumni of", "veterans of", "defected from", "poached from", "overtak*",
    "surpass*", "outpac*", "far from", "invested by", "backed by", "bought by", "reliance on", "lead over",
    "dependence on", "supplier to", "to supply", "chaired by", "funded by",
    "started by", "launched by", "set up by", "created by", "spun out of", "one-time", "onetime", "erstwhile",
    "lancée par", "créée par", "creada por", "creado por", "creata da", "fondato da", "criada por", "opgericht door",
    "keep* pace with", "keeping pace with", "gain* ground on", "gaining ground on", "within reach of",
    "take* aim at", "taking aim at", "catch* up to", "catch up", "catching up", "second only to", "trail*",
    "head-to-head with", "go up against", "goes up against", "square off against", "on the heels of",
    "in pursuit of", "pursu*", "hot on", "bet against", "to counter", "to dethrone", "to unseat", "to beat",
    "to topple", "to match", "to rival", "to challenge", "mimic*",
    
    "customers including", "clients including", "customers like",
    "clients like", "customers such as", "clients such as", "its stake in", "its investment in",
    "seeks damages from", "damages from", "claim against", "claims against", "lawsuit against", "suit against",
    "case against", "sues", "suing", "sued",
    # fr
    "rivale", "concurrent", "concurrente", "concurrents", "concurrenc*", "rivaliser avec", "compet*", "konkurrier*",
    "competir con", "competir com", "competere con", "concurreren met", "rivalizar con", "herausfordern",
    "alternative à", "ancien", "ancienne", "anciens",
    "cofondateur", "cofondatrice", "fondée par", "fondé par", "passé par", "passée par", "loin de", "loin des",
    "rattraper", "à l'instar", "défie", "défient", "défier", "talonne", "talonner", "se rapproche d'",
    "se rapprocher d'", "contrer", "distancer", "détrôner", "tenir tête", 
    "clients dont", "clients comme", "poursuit", "poursuivre", "réclame", "réclamer", "à l'encontre d'",
    
    # de
    "konkurrent", "konkurrenten", "antwort auf", "alternative zu", "ehemalige", "ehemaliger", "früherer",
    "mitgründer von", "gegründet von", "früher*", "ehemalig*", "einstig*", "aufzuholen", "holt auf",
    "gleichzuziehen", "mitzuhalten", "herauszufordern", "herausforder*", "kunden wie", "darunter",
    "verklagt", "fordert von", 
    # es / it / pt / nl
    "competidor", "competidora", "antiguo", "antigua", "exdirectiv*", "exdirector*", "exempleado*", "exinvestigador*",
    "excientific*", "exejecutiv*", "exmiembro*", "exdirigente*", "exresponsable*", "cofundador", "cofundadora",
    "fundada por", "fundado por",
    "investidos por", "invertidos por", "concorrente", "concorrenti", "lontana da", "lontana dai", "lontano da",
    "plantar cara", "planta cara", "enfrentar*", "enfrentarse", "alcanzar a", "se acerca a", "acercarse a",
    "desafiar", "desafia", "demanda a", "ex", "sfidare", "sfida", "insegu*",
    "raggiungere", "rivalizar com", "alcançar", "bij te benen", "inhalen",
    "uitdag*", "waaronder", 
    "cofondatore", "fondata da", "ex-cientista", "ex-pesquisador", "ex-executivo", "antigo", "antiga",
    "rivaal", "voormalig", "oud-",
    # ja / zh
    "対抗", "ライバル", "競合", "出身", "对标", "中国版", "逼近", "比肩", "挑战", "仅次于", "紧追", "追赶", "赶超",
]
# Function words that make a mention a comparison only when they stand right before it.
NOT_SUBJECT_ADJ: list[str] = [
    "than", "such as", "like", "versus", "vs", "compared with", "compared to", "ahead of", "behind", "left",
    "leaving", "quit", "challenge", "customer", "customers", "clients", "partner", "partners",
    "partnered with", "supplies", "supply", "comme", "devant", "derrière", "face à", "dépasse", "partenaire",
    "wie", "gegen", "hinter", "partner", "como", "frente a", "por delante de", "detrás de", "empresas como",
    "zoals", "超越", "追赶", "parceira", "parceiro", "including", "notamment", "dont", "tra cui", "incluida",
    "incluido", "inclusive",
    "thanks to", "helped by", "driven by", "fueled by", "fuelled by", "boosted by", "lifted by", "buoyed by",
    "orders from", "order from", "demand from", "grâce à", "portée par", "porté par", "dank", "contre",
    "gracias a", "contra", "grazie a", "contro", "graças a", "dankzij", "tegen",
    "re:(?<![目之此以从提年月日当眼])前",
]
NOT_SUBJECT_AFTER: list[str] = [
    "-compatible", " compatible", " compatibility", "-kompatibel", "-kompatible", "-backed", " backed",
    "-funded", " startup fund", " fund", "'s former", "'s ex-", "'s ex ", " co-founder", " cofounder",
    " co-founders", " alum", " alumni", " veteran", " veterans", " rival", " rivals", "'s rival", "'s rivals",
    "-rivale", "-rivalen", "-konkurrent", " competitor", " ceo", " chief executive", " boss", "-chef", " chef",
    " patron", " chairman", " invests", " invested in", " will invest", " to invest", " plans to invest",
    " buys", " to buy", " is buying", " bought", " acquires", " to acquire", " will acquire", " acquired",
    " pays", " to pay", " will pay", " paid", " spends", " to spend", " will spend", " commits", " signs",
    " has secured up to", " investit", " investira", " rachète", " achète", " acquiert", " paie", " paiera",
    " invierte", " invertirá", " compra", " adquiere", " paga", " investe", " acquisisce", " investiert",
    " kauft", " übernimmt", " zahlt", " investeert", " koopt", "'s startup fund", " start-up fund",
    " ventures", " venture fund", "'s venture", " ex-", "-alumni", " mafia", "'s former chief",
    "前员工", "前高管", "前研究员", "前首席", "前员工创立", "元社員", "元幹部", "元研究者", "幹部", "社員", "研究者",
    "出身者", "の元", "的前",   # "OpenAIの元幹部", "OpenAI的前高管": its former people
    "最主要的竞争对手", "的竞争对手", "竞争对手", "的对手", "对手", "のライバル", "に対抗", "出身", "元幹部",
    " leads $", " led $", " leads a $", " led a $", " co-leads", " co-led", " participates in",
    " participated in", " takes part in", " took part in",
    "-style", " style", " killer", "-linked", "-related", "-exposed", "-adjacent", "-tied",
    "を追う", "を追い", "を猛追", "に迫る", "に迫り", "に挑む", "に挑み", "に並ぶ", "に次ぐ", "を上回", "を超え", "超え",
    "首席", "联合创始人", "创始人", "前cto", "高管创立", "员工创立",
    r"re:'s (?:\w+ ){0,2}(?:rivals?|competitors?|challengers?|former|ex-)(?![a-z])",
    r"re:-(?:\w*chef(?:in)?|\w*grunder(?:in)?|\w*forscher(?:in)?|manager(?:in)?|vorstand|urgestein)(?![a-z])",
]

# Money flowing out of the entity, or money that is someone else's: vetoes weak cues in the sentence.
OUTFLOW: dict[str, list[str]] = {
    "acquisition": [
        "acquire*", "acquisition", "to buy", "buying", "buys", "bought", "purchase*", "all-stock", "takeover",
        "rachat de", "rachète", "achète", "acquiert", "acquisition", "adquiere", "adquisición", "compra",
        "acquisisce", "acquisizione", "adquire", "aquisição", "übernimmt", "übernahme", "kauft", "koopt",
        "overname", "買収", "收购", "并购",
    ],
    "licensing": [
        "licensing", "license", "licence", "content deal", "content partnership", "paid by", "pay publishers",
        "publishers", "droits voisins", "éditeurs de presse", "rémunération", "compensación económica",
        "builders", "creators", "lizenz",
    ],
    "compute": [
        "computing power", "compute", "computing capacity", "capacity", "cloud contract", "cloud deal",
        "gpus", "data center", "data centers", "data-center", "datacenter", "gigawatt*", "rechenleistung",
        "rechenzentrum", "puissance de calcul", "capacité de calcul", "centres de données", "capacidad de cómputo",
        "centros de datos", "capacità di calcolo", "算力", "数据中心", "データセンター", "計算能力", "contract",
        "contracts", "contrat", "contratti", "vertrag",
    ],
    "pricing": [
        "price", "prices", "pricing", "priced", "per month", "a month", "per-month", "a-month", "cheaper",
        "prix", "tarif", "tarifs", "par mois", "preis", "preise", "pro monat", "precio", "precios", "al mes",
        "prezzo", "prezzi", "al mese", "preço", "preços", "por mês", "料金", "价格", "月额",
    ],
    "compensation": [
        "pay package*", "signing bonus*", "compensation", "salary", "bonuses", "pacotes",
        "stipendi", "rémunérations", "gehälter",
    ],
    "penalty": [
        "fined", "penalty", "owes", "owe", "amende", "multa", "sanzione", "bußgeld", "strafe", "damages", "owed",
        "罚款", "制裁金", "lawsuit", "settlement",
    ],
    "grant": ["grants", "donat*", "philanthrop*", "subvention*", "nonprofits"],
}

# Job titles and other phrases that contain a money word but are no money fact.
NEUTRAL: list[str] = [
    "chief revenue officer", "revenue officer", "head of revenue", "revenue chief", "chief financial officer",
    "directeur financier", "directrice financière", "finanzchef", "finanzchefin", "director financiero",
    "directora financiera", "direttore finanziario", "diretor financeiro", "financieel directeur",
]

# Statements that restate a known figure in passing rather than report it as news.
BACKGROUND: list[str] = [
    "last valued", "most recently valued", "recently valued", "latest valuation", "last valuation",
    "previously valued", "which was valued", "which is valued", "which has raised", "which raised",
    "which has invested", "that has invested", "who has invested", "valued at $ last", "dernière valorisation",
    "dernièrement valorisé", "qui a levé", "zuletzt", "letzte bewertung", "última valoración",
    "última valutazione", "última avaliação", "最新估值", "此前估值",
    "<なか", "<中、", "<一方",
]

# Event status words.
STATUS: dict[str, list[str]] = {
    "talks": [
        "in talks", "talks", "discussions", "discussing", "negotiat*", "considering", "weighs", "weighing",
        "seeks", "seeking", "looking to", "exploring", "plans to", "preparing", "prepares", "nears", "nearing",
        "close to", "could", "would", "may", "pitching", "pitches", "said to be", "mulls", "groundwork",
        "en discussions", "discute", "négocie", "négociations", "pourrait", "serait", "envisage", "chercherait",
        "viserait", "sonde", "prépare", "en passe de", "verhandelt", "gespräche", "lotet", "erwägt", "könnte",
        "strebt", "plant", "negocia", "negociaciones", "conversaciones", "estudia", "podría", "prepara",
        "trattative", "in trattativa", "negozia", "potrebbe", "conversas", "poderia", "poderá", "perto de",
        "in gesprek", "onderhandelt", "overweegt", "協議", "交渉", "検討", "调整", "洽谈", "谈判", "商谈", "考虑",
        "计划", "可能", "拟", "可望",
    ],
    "completed": [
        "closes", "closed", "completes", "completed", "has raised", "raised", "raises", "secured", "secures",
        "obtains", "bags", "nets", "pulls in", "finalized",
        "finalised", "wraps up", "lands", "is now official", "a levé", "boucle", "bouclé", "finalisé",
        "a obtenu", "obtient", "lève", "abgeschlossen", "erhält", "holt sich", "eingesammelt", "cierra",
        "ha cerrado", "recauda", "ha recaudado", "completa", "obtiene", "chiude", "raccoglie", "ha chiuso",
        "ha raccolto", "fecha", "levanta", "concluiu", "conclui", "haalt", "opgehaald", "完了", "実施", "完成",
        "获得", "已完成",
    ],
    "projected": [
        "expects", "expected", "projects", "projected", "projection*", "forecast*", "on track", "on course",
        "targets", "aims", "prévoit", "table sur", "anticipe", "vise", "erwartet", "rechnet mit", "prognose",
        "prevé", "espera", "prevede", "prevê", "verwacht", "見込み", "予想", "预计", "预期", "目标",
    ],
    "reported": [
        "according to", "people familiar", "report*", "sources", "reportedly", "source familiar", "selon",
        "d'après", "laut", "berichtet", "bericht", "zufolge", "según", "secondo", "segundo", "volgens",
        "据", "报道", "関係者", "報道",
    ],
}

# A title that names the entity for one of these reasons, with no money cue, is other news.
OTHER_NEWS: list[str] = [
    "launch*", "unveil*", "introduc*", "release*", "rolls out", "roll out", "rolling out", "debuts",
    "is here", "free for", "users", "user base", "weekly", "every week", "each week", "people a week",
    "devday", "developer conference", "keynote", "downloads", "sues", "sued", "suing", "lawsuit",
    "judge", "owes", "owed", "federal court", "a court", "in court", "court ruling", "court filing", "courtroom",
    "damages", "trial",
    "fires", "fired", "ousted", "ouster", "resign*", "steps down", "leaves",
    "leaving", "departure", "departs", "quits", "exits", "hires", "hired", "appoints", "poaches", "joins",
    "office", "headquarters", "opens", "safety", "ban", "bans", "banned", "privacy", "copyright",
    "regulat*", "congress", "senate", "data center", "gigawatt*", "chip deal", "device", "browser",
    "researcher", "scientist", "chief technology", "cto", "re:gpt-?\\d", "sora", "model", "models",
    "chatbot", "feature*", "agent", "lost another", "loses another", "grants",
    "lance", "lancé", "dévoile", "dévoilé", "présente", "déploie", "utilisateurs", "téléchargements",
    "poursuit", "procès", "plainte", "justice", "limoge", "licencie", "quitte", "départ", "recrute",
    "nomme", "bureau", "amende", "directrice", "directeur", "navigateur", "abonnement",
    "stellt", "präsentiert", "startet", "veröffentlicht", "nutzer", "klage", "verklagt", "gericht", "feuert",
    "verlässt", "wechselt", "mitgründer", "büro", "eröffnet", "rechenzentrum", "sperrt", "datenschutz",
    "lanza", "presenta", "estrena", "usuarios", "demanda", "juez", "tribunal", "despide", "ficha",
    "abandona", "salida de", "oficina", "multa", "lancia", "utenti", "garante", "licenzia", "lascia",
    "ufficio", "lança", "apresenta", "usuários", "processo", "demite", "deixa", "escritório",
    "introduceert", "lanceert", "presenteert", "gebruikers", "klaagt", "rechtszaak", "ontslaat", "vertrekt",
    "kantoor", "公開", "提供開始", "開設", "拠点", "新モデル", "ユーザー", "利用者", "提訴", "解任", "辞任",
    "退任", "发布", "推出", "上线", "用户", "起诉", "诉讼", "解雇", "离职", "办公室", "开设",
]

# Words after which "the company" style references need the entity named elsewhere in the item.
REFERENCES: list[str] = [
    "the company", "the startup", "the start-up", "the firm", "the group", "the ai company", "the ai firm",
    "the ai startup", "the ai lab", "the business", "the san francisco company", "the san francisco-based company",
    "the san francisco startup", "the san francisco-based startup", "the san francisco firm",
    "the california company", "l'entreprise", "la société", "la start-up",
    "la startup", "la firme", "le groupe", "la jeune pousse", "l'éditeur",
    "das unternehmen", "die firma", "das start-up", "der konzern", "das ki-unternehmen",
    "la empresa", "la compañía", "la firma", "la startup", "la tecnológica", "la società",
    "l'azienda", "il gruppo", "a empresa", "a companhia", "a startup", "het bedrijf", "de onderneming",
    "同社", "该公司", "这家公司", "該公司", "该企业",
]
# Possessives ("its revenue", "sa valorisation") refer back only to an entity named just before.
POSSESSIVES: list[str] = [
    "its", "their", "sa", "son", "ses", "sein", "seine", "seinen", "seines", "ihr", "ihre", "ihren",
    "su", "sus", "sua", "suas", "seu", "seus", "suo", "sua", "suoi", "zijn", "haar", "其",
]
