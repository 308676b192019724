"""Shipped topic presets: plain data, in the same shape as a ``[[topics]]`` table in config.toml.

A preset only names its entity (aliases, references) and topic-specific terms; the money
vocabulary in every language comes from :mod:`monitor.match.lexicon` and is shared.
"""

from __future__ import annotations

from typing import Any

_CHATGPT_NOUNS_EN = (
    "maker|makers|creator|creators|developer|developers|owner|parent|operator|company|firm|startup|start-up|"
    "group|business|outfit|lab|giant|provider"
)

OPENAI_FUNDING_REVENUE: dict[str, Any] = {
    "description": "Money raised, earned or lost by OpenAI (funding, valuation, share sales, credit, IPO, "
                   "revenue, losses), in any language.",
    "aliases": [
        "OpenAI", "OpenAI Group", "OpenAI Global", "オープンAI", "オープンエーアイ", "开放人工智能",
        # "the ChatGPT maker" and friends, per language
        rf"re:(?:{_CHATGPT_NOUNS_EN}) (?:behind|of) chatgpt",
        rf"re:chatgpt(?:'s)?[- ](?:{_CHATGPT_NOUNS_EN})",
        r"re:(?:company|firm|startup|start-up|business|lab|tech firm|ai firm|ai company|ai startup)s? "
        r"(?:led|run|headed|helmed) by (?:ceo )?sam altman",
        r"re:(?:sam )?altman's (?:company|firm|startup|start-up|ai company|ai firm|ai startup|ai lab|openai)",
        r"re:(?:createur|createurs|creatrice|editeur|editrice|maison mere|concepteur|conceptrice|proprietaire|"
        r"inventeur|developpeur|pere|societe mere) (?:de |du )?chatgpt",
        r"re:(?:societe|entreprise|start-up|startup|firme|groupe|jeune pousse|pepite|entreprise americaine) "
        r"(?:americaine |californienne )?(?:derriere|a l'origine de|qui (?:a cree|edite|developpe)) chatgpt",
        r"re:(?:l'entreprise|la societe|la start-up|la startup|la firme|le groupe|l'editeur) "
        r"(?:americaine? |californienne? )?(?:de|dirigee par|pilotee par|menee par) sam altman",
        r"re:chatgpt-(?:entwickler|hersteller|anbieter|firma|mutter|konzern|macher|betreiber|erfinder|"
        r"unternehmen|schopfer|eigner)[a-z]*",
        r"re:(?:unternehmen|firma|startup|start-up|konzern|entwickler|hersteller|macher) (?:hinter|von) chatgpt",
        r"re:(?:sam )?altmans (?:firma|unternehmen|startup|start-up|ki-firma|ki-unternehmen|ki-startup)",
        r"re:(?:creadora|creador|duena|dueno|propietaria|desarrolladora|matriz|empresa|compania|firma|startup|"
        r"tecnologica|empresa creadora) (?:de(?:l)? |detras de |responsable de |que (?:creo|desarrolla|"
        r"desarrollo) )chatgpt",
        r"re:(?:empresa|compania|firma|startup|tecnologica) (?:de|liderada por|dirigida por|encabezada por|"
        r"que dirige) sam altman",
        r"re:(?:creatore|creatrice|sviluppatore|sviluppatrice|societa|azienda|startup|casa madre|proprietaria|"
        r"madre|papa) (?:di |del |dietro (?:a )?)chatgpt",
        r"re:(?:societa|azienda|startup|compagnia) (?:di|guidata da|diretta da|capitanata da|fondata da) "
        r"sam altman",
        r"re:(?:dona|dono|criadora|criador|desenvolvedora|empresa|companhia|startup|proprietaria|mae) "
        r"(?:do |da |por tras do )chatgpt",
        r"re:(?:empresa|companhia|startup|tecnologica) (?:de|liderada por|comandada por|dirigida por|"
        r"chefiada por) sam altman",
        r"re:(?:maker|makers|ontwikkelaar|moederbedrijf|bedrijf|eigenaar) (?:van|achter) chatgpt",
        r"re:chatgpt-(?:maker|bedrijf|ontwikkelaar)",
        r"re:chatgpt(?:を|の)(?:開発|手がけ|手掛け|運営)[^。、]{0,6}?(?:企業|会社|元|社|米国企業)?",
        r"re:chatgpt(?:的)?(?:开发商|开发者|母公司|背后的公司|研发公司|开发公司)",
        r"re:(?:开发|推出)(?:了)?chatgpt的(?:公司|企业|美国公司)",
    ],
    "cased_aliases": ["Open AI", "OPEN AI", "OpenAl", "Open Ai", "Open-AI", "OPEN-AI", "Open-Ai"],
    "weak_aliases": ["ChatGPT", "Sam Altman", "Altman", "サム・アルトマン", "アルトマン", "奥特曼", "阿尔特曼"],
    "vocabulary": {
        # Guideline-specific money fact: the revenue share OpenAI pays Microsoft measures OpenAI's revenue.
        "revenue": ["revenue share from >", "revenue-share payments", "reparto de ingresos",
                    "partage des revenus avec microsoft"],
    },
    "threshold": 0.5,
}

PRESETS: dict[str, dict[str, Any]] = {
    "openai-funding-revenue": OPENAI_FUNDING_REVENUE,
}
