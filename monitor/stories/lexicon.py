"""Multilingual cue words for story features: what kind of money event a text reports, whether
it is a negotiation or a done deal, and which other companies take part. Contains no business
logic; works on folded text (:func:`monitor.stories.text.fold`).

Kinds are coarse on purpose: ``equity`` (rounds, tranches, strategic investments into the
company), ``share_sale`` (tender offers, secondary and employee share sales), ``credit`` (credit
lines, loans, debt), ``revenue``, ``loss``, ``ipo`` and ``spend`` (acquisitions, compute and
capacity contracts: money going out). A valuation alone is no kind: rounds and
share sales both carry one.
"""

from __future__ import annotations

import re

from monitor.stories.text import fold

__all__ = ["kinds_in", "status_in", "entities_in", "years_in", "EVENT_KIND_MAP", "DEAL_KINDS", "money_cue_in"]


def _rx(latin: str, cjk: str = "") -> re.Pattern[str]:
    body = rf"\b(?:{latin})\b" if latin else ""
    return re.compile("|".join(p for p in (body, _folded(cjk)) if p))


def _folded(cjk: str) -> str:
    """``cjk`` plus the forms :func:`fold` gives its words: the text is folded before it is read,
    and folding maps traditional characters to simplified ones, also in Japanese (企業価値 is read
    as 企业価値), so a word written only as a Japanese or traditional Chinese text spells it is
    never found."""
    folded = fold(cjk)
    return cjk if folded == cjk else f"{cjk}|{folded}"


_KINDS: dict[str, re.Pattern[str]] = {
    "share_sale": _rx(
        r"tender(?: offer)?s?|secondary(?: share| stock)?(?: sale)?s?|(?:employee|staff|insider)s?'? (?:share|stock)s?"
        r"|(?:share|stock) sales?|sale of (?:stock|shares)|sell(?:ing)? (?:stock|shares)|shares? from (?:current )?"
        r"(?:and former )?employees|offre de rachat|vente d'actions|cession d'actions|actions des salaries"
        r"|rachat d'actions|operation secondaire|aktienverkauf|anteilsplatzierung|mitarbeiteraktien|aktienruckkauf"
        r"|venta (?:secundaria )?de acciones|acciones de (?:sus )?empleados|oferta de compra|opa|venda de acoes"
        r"|acoes de funcionarios|vendita di azioni|azioni dei dipendenti|aandelenverkoop|werknemersaandelen",
        r"员工股|員工股|老股|股份出售|股票出售|二级市场|二級市場|従業員|株式売却|自社株|二次売買|要约收购|要約收購|要约收購"
        r"|要約收购|公开收购|公開收購|公開買い付け|持股|社員の株式|社員が保有|社員保有株|株式を買い取|株式の買い取"),
    "credit": _rx(
        r"credit (?:line|facility)|line of credit|revolving|loans?|debt financing|borrow\w*|ligne de credit"
        r"|facilite de credit|credit renouvelable|pret bancaire|emprunt\w*|kreditlinie|kreditrahmen|darlehen"
        r"|linea de credito|prestamo|linha de credito|emprestimo|linea di credito|prestito|kredietlijn"
        r"|kredietfaciliteit|lening",
        r"信贷|信貸|贷款|貸款|授信|融資枠|借り入れ|借入|コミットメントライン"),
    "ipo": _rx(
        r"ipo|initial public offering|go(?:es|ing)? public|public listing|stock market (?:debut|listing)"
        r"|introduction en bourse|entree en bourse|borsengang|salida a bolsa|oferta publica inicial"
        r"|abertura de capital|quotazione|beursgang|beursnotering",
        r"上市|上場|招股"),
    "revenue": _rx(
        r"revenues?|sales|annuali[sz]ed|run[- ]rate|arr|recurring revenue|turnover|revenus|chiffre d'affaires"
        r"|ventes|recettes|umsatz\w*|jahresumsatz|erlos\w*|einnahmen|ingresos|facturacion|ventas|faturamento"
        r"|receitas?|ricavi|fatturato|omzet|inkomsten|opbrengst\w*",
        r"营收|營收|收入|营业额|營業額|销售额|銷售額|売上|収入|収益|年化"),
    "loss": _rx(
        r"loss(?:es)?|lose|losing|burn\w*|unprofitable|in the red|pertes?|deficit\w*|deficitaire|brule\w*"
        r"|verlust\w*|verbrenn\w*|mittelabfluss|geldabfluss|cash outflows?|defizit|perdidas?|pierde|quema\w*"
        r"|prejuizos?|perdas?|queima\w*|perdite|perdita|brucia\w*|verlies\w*",
        r"亏损|虧損|赤字|損失|烧钱|燒錢"),
    "spend": _rx(
        r"acquir\w*|acquisition|takeover|buyout|all-stock (?:deal|transaction)|compute (?:deal|contract)|"
        r"computing (?:power|capacity)|cloud (?:deal|contract)|capacity|rachat de|rachete|acquiert|puissance de calcul"
        r"|ubernahme|ubernimmt|kauft|rechenleistung|adquisicion|adquiere|compra de|capacidad de (?:computo|calculo)"
        r"|aquisicao|adquire|compra|capacidade computacional|acquisizione|acquisisce|acquista|capacita di calcolo"
        r"|overname|neemt over|koopt|rekenkracht",
        r"收购|收購|并购|併購|買収|算力|计算能力|計算能力"),
    "equity": _rx(
        r"rais(?:e|es|ed|ing)|fundrais\w*|funding|round|financing|invest(?:s|ed|ing|ment|ments)?|backs|backing"
        r"|capital injection|cash infusion|tranche|series [a-h]|leve|levee|lever|levees|tour de table"
        r"|financement|investi\w*|augmentation de capital|ouverture du capital|finanzierung\w*|kapitalrunde"
        r"|kapitalspritze|kapitalerhohung|investiert|investition\w*|eingesammelt|einsammeln|sammelt|geldspritze"
        r"|ronda|financiacion|financiamiento|recauda\w*|inversion|invertir\w*|invierte|capta\w*|rodada"
        r"|financiamento|aporte|investimento|levanta\w*|finanziamento|raccolta|raccoglie|aumento di capitale"
        r"|financieringsronde|investering|investeert|kapitaalronde",
        r"融资|融資|投资|投資|注资|注資|领投|領投|参投|募资|增资|増資|出資|出资|資金調達|调达|調達"),
}
# Negotiation vs done: "in talks at $150B" and "closes at $157B" are different stories.
_TALKS = _rx(
    r"in (?:early |advanced |preliminary )?talks|talks|in discussions?|discussions|negotiat\w*|seeks?|seeking"
    r"|looking to raise|weighs|weighing|mulls|mulling|considers|considering|explores|exploring|eyes|eyeing"
    r"|plans? to raise|planning to raise|aims to raise|set to raise|sets sights|pitching|pitches|courting"
    r"|said to be|would value|could value|would be valued|could be valued|nears?|nearing|close to (?:a )?deal"
    r"|preparing|prepares|early stages?|not yet|yet to (?:close|be finali[sz]ed)|to lead|agreed to lead|pas encore"
    r"|noch nicht|aun no|todavia no|ainda nao|non ancora|nog niet|pourparlers|en discussions?|negoci\w*"
    r"|envisage\w*|cherche\w*|sonde\w*"
    r"|serait|pourrait|voudrait|viserait|s'apprete|en passe de|verhand\w*|gesprach\w*|erwag\w*|lotet|sondiert"
    r"|strebt|anstreben|konnte|im gesprach|conversaciones|negocia\w*|busca\w*|estudia|planea"
    r"|sondea|podria|estaria|prepara|conversas|estuda|planeja|podera|poderia|estara|trattativ\w*|negozia\w*"
    r"|colloqui|potrebbe|starebbe|onderhandel\w*|in gesprek|gesprekken|overweegt|zou"
    # about to close, and conditionals that give rumoured terms ("valoraría", "sarebbe", "varrebbe")
    r"|ultiman? (?:una|un|la|el|los|las|su|sus)|a punto de|prestes a|sul punto di|in procinto di"
    r"|sur le point de|kurz vor|staat op het punt|not (?:yet |been |)finali[sz]ed|not (?:yet )?final|soll|sollen"
    r"|valoraria\w*|recaudaria\w*|alcanzaria\w*|avaliaria\w*|captaria\w*|valoriserait|leverait|atteindrait"
    r"|\w+rebbe(?:ro)?",
    r"洽谈|洽談|谈判|談判|商谈|商談|磋商|寻求|尋求|拟|擬|或将|或將|有望|考虑|考慮|協議中|交渉|検討|調整中|模索|計画"
    # "即将完成" is about to be done; "調達へ" / "最終調整" are a deal on its way, not done (written as
    # text.fold leaves them: traditional characters, also in Japanese, become simplified ones)
    r"|即将|预计|计划|最終調整|見通し|方針|(?:調达|出资|投资|上场|売却|増资|融资|买収)へ")
_DONE = _rx(
    r"closes|closed|completes|completed|raised|raises|has raised|secures|secured|seals|sealed|nets|netted|hauls"
    r"|wraps|books|lands|landed|gets|got|receives"
    r"|received|announces|announced|confirms|confirmed|finali[sz]es|finali[sz]ed|clinches|wraps up|to invest"
    r"|will invest|invests|agrees to invest|signs|signed|inks|obtains|pulls in|bags|nabs|leve|a leve|boucle"
    r"|finalise|obtient|annonce|confirme|va investir|investit|decroche|conclut|a conclu|erhalt|erhielt"
    r"|schliesst|abgeschlossen|sammelt|eingesammelt|sichert sich|kundigt|investiert|bestatigt|holt sich"
    r"|cierra|cerro|ha cerrado|recauda|ha recaudado|obtiene|obtuvo|anuncia|anuncio|completa|invertira|invierte"
    r"|consigue|logra|fecha|fechou|concluiu|conclui|captou|levantou|recebe|recebeu|anunciou|obtem|obteve"
    r"|investira|chiude|ha chiuso|raccoglie|ha raccolto|ottiene|ha ottenuto|annuncia|ha annunciato|incassa"
    r"|chiusura|haalt|opgehaald|sluit|rondt af|krijgt|ontvangt|investeert|kondigt",
    r"完成|获得|獲得|宣布|敲定|落地|筹集|籌集|签署|簽署|完了|発表|決定|合意|締結")

# Other parties of a deal, in several scripts. The subject (OpenAI, ChatGPT, Altman) is left out:
# every matched article shares it.
_ENTITIES: dict[str, tuple[str, str]] = {
    "microsoft": (r"microsoft|msft", r"微软|微軟|マイクロソフト"),
    "nvidia": (r"nvidia", r"英伟达|英偉達|辉达|輝達|エヌビディア"),
    "softbank": (r"softbank", r"软银|軟銀|ソフトバンク"),
    "thrive": (r"thrive(?: capital)?", r""),
    "apple": (r"apple", r"苹果|蘋果|アップル"),
    "amazon": (r"amazon|aws", r"亚马逊|亞馬遜|アマゾン"),
    "oracle": (r"oracle", r"甲骨文|オラクル"),
    "google": (r"google|alphabet", r"谷歌|グーグル"),
    "amd": (r"amd", r""),
    "broadcom": (r"broadcom", r"博通|ブロードコム"),
    "coreweave": (r"coreweave", r""),
    "mgx": (r"mgx", r""),
    "dragoneer": (r"dragoneer", r""),
    "tiger": (r"tiger global", r""),
    "sequoia": (r"sequoia", r"红杉|紅杉"),
    "a16z": (r"a16z|andreessen(?: horowitz)?", r""),
    "khosla": (r"khosla", r""),
    "fidelity": (r"fidelity", r""),
    "t_rowe": (r"t\. ?rowe(?: price)?", r""),
    "g42": (r"g42", r""),
    "jpmorgan": (r"jp ?morgan|jpmorgan chase", r"摩根大通"),
    "goldman": (r"goldman(?: sachs)?", r"高盛"),
    "citi": (r"citi(?:group|bank)?", r"花旗"),
    "morgan_stanley": (r"morgan stanley", r"摩根士丹利"),
    "uae": (r"uae|united arab emirates|emirats arabes unis|emirati\w*|abu dhabi|abou dhabi",
            r"阿联酋|阿聯酋|阿布扎比|アラブ首長国連邦|アブダビ"),
    "saudi": (r"saudi\w*|pif|arabie saoudite|saudi-arabien", r"沙特|サウジ"),
    "anthropic": (r"anthropic", r""),
    "xai": (r"xai|x\.ai", r""),
    "mistral": (r"mistral", r""),
    "musk": (r"musk", r"马斯克|馬斯克|マスク"),
    "disney": (r"disney", r"迪士尼|ディズニー"),
    "tsmc": (r"tsmc", r"台积电|台積電"),
    "samsung": (r"samsung", r"三星|サムスン"),
    "intel": (r"intel", r"英特尔|英特爾|インテル"),
    "meta": (r"meta", r""),
    "cerebras": (r"cerebras", r""),
    "stargate": (r"stargate", r"星际之门|星際之門|スターゲート"),
    "chips": (r"chips?|semiconductors?|puces|semi-conducteurs|halbleiter\w*|chip\w*|semiconductores"
              r"|semicondutores|semiconduttori", r"芯片|晶片|半導体|半导体"),
}
_ENTITY_RX = {name: _rx(lat, cjk) for name, (lat, cjk) in _ENTITIES.items()}
_VALUATION = _rx(
    r"valuation|valued|values|valuing|worth|valorisation|valorisee?|valorise|bewertung|bewertet|valoracion|valora"
    r"|valorada|valuada|avaliacao|avaliada|avaliaria|valutazione|valutata|valuta|waardering|gewaardeerd",
    r"估值|企業価値|企业价值|評価額|评估")
_YEAR = re.compile(r"(?<!\d)(20[1-3]\d)(?!\d)")

# The matcher's Event.kind, in the coarse kinds above (None: no kind of its own).
EVENT_KIND_MAP: dict[str, str | None] = {
    "funding": "equity", "investment": "equity", "valuation": None, "revenue": "revenue", "loss": "loss",
    "financials": "revenue", "share_sale": "share_sale", "credit": "credit", "ipo": "ipo",
}
# Kinds for which "talks" vs "done" separates stories (it does not for revenue reports).
DEAL_KINDS = frozenset({"equity", "share_sale", "credit", "ipo"})


def kinds_in(folded: str) -> frozenset[str]:
    """Coarse event kinds cued in ``folded``. ``share_sale``/``credit`` texts often also use
    funding or purchase words ("raise", "buy"); those keep only their specific kind."""
    found = {k for k, rx in _KINDS.items() if rx.search(folded)}
    if found & {"share_sale", "credit"}:
        found.discard("equity")
    if "share_sale" in found:  # share sales are told with purchase words ("buy shares", "收购")
        found.discard("spend")
    return frozenset(found)


def money_cue_in(folded: str) -> bool:
    """True when ``folded`` speaks of an event kind or a valuation: a headline that does is
    *about* money, so its summary's figures are what it leads with."""
    return bool(kinds_in(folded)) or bool(_VALUATION.search(folded))


def status_in(folded: str) -> str | None:
    """``"talks"`` for negotiations, plans, rumoured terms; ``"done"`` for closed, announced or
    confirmed deals; None when the text says neither. Talks cues win over done cues
    ("in talks to invest")."""
    if _TALKS.search(folded):
        return "talks"
    if _DONE.search(folded):
        return "done"
    return None


def entities_in(folded: str) -> frozenset[str]:
    return frozenset(name for name, rx in _ENTITY_RX.items() if rx.search(folded))


def years_in(folded: str) -> frozenset[int]:
    return frozenset(int(y) for y in _YEAR.findall(folded))
