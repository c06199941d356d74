"""Generate a synthetic probation staff-survey export, and large comment corpora for benchmarks.

The survey has the shape researchers receive from an online survey tool: one row per
respondent with an id, region, former organisation, grade and three open questions. Region
and organisation are written as messily as real exports write them (aliases, abbreviations,
odd capitals, blanks, "Prefer not to say"), some answers are blank and a few respondents
answer nothing at all.

Every answer is composed from sentences written for this generator from the definitions of
the twelve codes of the probation codebook, plus neutral filler, so the themes each answer
was built from are known. They are written to a separate answer-key file rather than into
the survey, which stays as realistic as possible.

Usage::

    python corpora/synthetic/generate_survey.py -o corpora/synthetic/staff_survey.csv
    python corpora/synthetic/generate_survey.py --comments 100000 -o big.csv

The first writes the survey (default 400 respondents, seed 2021) and its answer key next to
it (``staff_survey_themes.csv``); the second writes a benchmark corpus with the columns
``id, region, organisation, comment``. Only the standard library is used, and the same
arguments always give the same files.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import random
import re
import sys
from bisect import bisect
from collections.abc import Iterator
from pathlib import Path

DEFAULT_SEED = 2021
DEFAULT_N = 400

Q1 = "Q1 What has been done particularly well?"
Q2 = "Q2 What should have been done differently?"
Q3 = "Q3 Any further comments"
QUESTIONS = (Q1, Q2, Q3)
COLUMNS = ("Respondent ID", "Region", "Former organisation", "Grade", *QUESTIONS)
THEME_COLUMNS = ("respondent_id", "question", "themes")
COMMENT_COLUMNS = ("id", "region", "organisation", "comment")

#: Code ids of the probation codebook, in codebook order (the order themes are listed in).
THEMES = (
    "cultural_divide",
    "induction_overload",
    "workload",
    "ict",
    "positive_outlook",
    "leadership_communication",
    "wellbeing",
    "staffing",
    "pay_grading",
    "premises",
    "bureaucracy",
    "professional_identity",
)

# --- Who answered -----------------------------------------------------------------------

# Rough shares of probation staff by region; only the proportions matter.
REGION_WEIGHTS = {
    "North East": 7,
    "North West": 9,
    "Yorkshire and the Humber": 9,
    "Greater Manchester": 8,
    "East Midlands": 8,
    "West Midlands": 10,
    "East of England": 8,
    "Wales": 6,
    "South West": 7,
    "South Central": 7,
    "Kent, Surrey and Sussex": 8,
    "London": 13,
}

# The ways respondents type each region into a free-text box or a badly set-up drop-down.
REGION_ALIASES = {
    "North East": ["NE", "North-East", "Northeast"],
    "North West": ["N. West", "NW", "North-West"],
    "Yorkshire and the Humber": ["Yorkshire & Humber", "Yorkshire and Humber", "Yorks & Humber"],
    "Greater Manchester": ["Gtr Manchester", "Manchester", "GM"],
    "East Midlands": ["E Midlands", "East Mids", "EM"],
    "West Midlands": ["West Mids", "W Midlands", "WM"],
    "East of England": ["Eastern", "EoE", "East England"],
    "Wales": ["Wales / Cymru", "Cymru"],
    "South West": ["South-West", "SW"],
    "South Central": ["South-Central", "SC"],
    "Kent, Surrey and Sussex": ["Kent Surrey & Sussex", "KSS", "Kent, Surrey & Sussex"],
    "London": ["London Region", "Greater London", "LDN"],
}

# Just over half came from CRCs, just under half from the NPS, a few from elsewhere.
ORG_WEIGHTS = {"CRC": 51, "NPS": 47, "Other": 2}

ORG_ALIASES = {
    "CRC": ["former CRC", "Legacy CRC", "Community Rehabilitation Company", "ex-CRC", "CRC (legacy)"],
    "NPS": ["Legacy NPS", "National Probation Service", "former NPS", "ex NPS", "NPS (legacy)"],
    "Other": ["New to probation", "Neither", "HMPPS"],
}

UNDISCLOSED = "Prefer not to say"

GRADE_WEIGHTS = {
    "PO": 30,
    "Probation Officer": 4,
    "PSO": 28,
    "SPO": 7,
    "Senior Probation Officer": 1,
    "PQiP": 8,
    "Administrator": 6,
    "Case Administrator": 4,
    "Manager": 3,
    "Interventions Facilitator": 3,
    "Unpaid Work Supervisor": 3,
    "": 2,
    UNDISCLOSED: 1,
}

# --- What they said ---------------------------------------------------------------------

SLOTS = {
    "n_cases": ["48", "52", "57", "63", "70", "over 60", "nearly 80"],
    "hours": ["45", "50", "55", "60"],
    "pct": ["120", "130", "140", "150"],
    "weeks": ["two", "three", "four", "six", "eight"],
    "months": ["two", "three", "four"],
    "vacancies": ["three", "four", "five", "six"],
    "device": ["laptop", "work phone", "docking station", "work mobile"],
    "system": ["nDelius", "OASys", "the HR portal", "the intranet", "the expenses system",
               "the remote access software"],
    "System": ["nDelius", "OASys", "The HR portal", "The intranet", "The expenses system",
               "The remote access software", "The VPN"],
    "leaders": ["senior leaders", "senior management", "the regional leadership team",
                "head office", "the people at the top"],
    "Leaders": ["Senior leaders", "Senior management", "The regional leadership team",
                "Head office"],
    "manager": ["line manager", "SPO", "team manager", "manager"],
    "colleagues": ["colleagues", "staff", "practitioners", "officers"],
    "our_side": ["legacy CRC", "ex-CRC", "former CRC"],
    "Our_side": ["Legacy CRC", "Ex-CRC", "Former CRC"],
    "other_side": ["legacy NPS", "ex-NPS", "former NPS"],
    "Induction": ["The induction", "Induction", "My induction"],
    "commute": ["a forty-minute drive", "two buses", "an hour in the car", "a long train journey"],
    "years": ["three", "six", "eight", "eleven", "fifteen", "over twenty"],
    "team": ["court", "community", "resettlement", "unpaid work", "programmes", "victim liaison"],
}

# Sentences by theme and by the kind of answer they suit: "well" answers Q1, "change"
# answers Q2, "general" is a complaint or comment that fits Q3 (and any question).
# A leading "[CRC]" (or "[NPS]", "[CRC,Other]") marks a sentence only someone from that
# legacy organisation would write; unmarked sentences can come from anyone.
TEMPLATES: dict[str, dict[str, list[str]]] = {
    "cultural_divide": {
        "general": [
            "{Our_side} and {other_side} {colleagues} in my team are still divided.",
            "[CRC] As someone from the CRC side I get treated like a junior partner in everything.",
            "[CRC] {Our_side} staff are looked down on, as if we never managed risk before June 2021.",
            "[CRC] The attitude from some {other_side} managers is patronising and it has not gone unnoticed.",
            "[CRC] Years of experience gained in the CRC seem to count for nothing now.",
            "[CRC] The higher risk cases still go to {other_side} officers while we are left with the rest.",
            "[CRC] Nobody has asked what {our_side} staff could bring, it is all about us learning their way.",
            "It still feels like two organisations wearing the same lanyard.",
            "There is a clear us-versus-them feeling in team meetings that nobody is tackling.",
            "[CRC] I miss the CRC, it felt like a family and new ideas were welcomed.",
            "[CRC] Honestly I preferred working for the CRC and would go back tomorrow if I could.",
            "[NPS] Legacy NPS staff were forgotten in all this, everything was about the people transferring in.",
            "[NPS] The CRC staff I work with are capable, but the two groups still keep to themselves.",
            "There is resentment on both sides and managers pretend it is not there.",
            "[CRC] A few {other_side} {colleagues} openly question whether we are capable of doing the job.",
            "We are still split by where we came from, even down to who sits with who.",
        ],
        "change": [
            "More should have been done to bring {our_side} and {other_side} teams together from day one.",
            "Managers should have challenged the snobbery towards CRC staff much earlier.",
            "Cases should have been shared out on experience, not on which organisation you came from.",
            "[CRC] The skills that {our_side} staff brought should have been recognised rather than ignored.",
            "Mixed teams should have been set up straight away instead of keeping the old groups intact.",
        ],
        "well": [],
    },
    "induction_overload": {
        "general": [
            "The volume of e-learning we were expected to complete in the first {weeks} weeks was unrealistic.",
            "My inbox was flooded with guidance emails every day and I could not take it all in.",
            "Training was squeezed in around a full diary with no protected time to actually learn anything.",
            "I still have mandatory modules outstanding because I have never had the time to sit down with them.",
            "The online courses were repetitive and I retained very little from clicking through slides.",
            "New policy documents arrived faster than anyone could read them.",
            "It was like drinking from a fire hose for the first few months.",
            "Nobody could tell me which of the dozens of documents I actually needed to read.",
            "{Induction} felt rushed, with far too much crammed into a handful of sessions.",
        ],
        "change": [
            "Training should have been phased over the first six months rather than landing in one go.",
            "Protected time for the e-learning should have been built into everyone's diary.",
            "There should have been one clear summary of what we needed to know instead of endless emails.",
            "Face-to-face training would have been far better than hours of online modules.",
        ],
        "well": [
            "The induction sessions run by the local learning team were well organised and friendly.",
            "Some of the e-learning modules were genuinely useful, especially the ones on safeguarding.",
            "The trainers were patient and happy to go over things again.",
        ],
    },
    "workload": {
        "general": [
            "My caseload is sitting at {n_cases} and it is simply not sustainable.",
            "I regularly work {hours} hours a week just to keep my head above water.",
            "I have built up TOIL that I will never be able to take.",
            "The WMT says I am at {pct} per cent capacity and nothing is done about it.",
            "There are not enough hours in the day to do the job properly.",
            "Report deadlines keep piling up and something always has to give.",
            "We are firefighting every single day with no space for anything else.",
            "I take work home most evenings just to keep up.",
            "Caseloads in our team have crept up month after month.",
        ],
        "change": [
            "Caseloads should have been reduced before asking us to take on all the changes.",
            "Someone should have looked at workloads properly before cases were transferred.",
            "New cases should have been capped while people were getting used to the new ways of working.",
        ],
        "well": [
            "My caseload has come down a little since the summer, which has made a real difference.",
            "Our team agreed a fair way of sharing out new cases and it has kept things manageable.",
        ],
    },
    "ict": {
        "general": [
            "My {device} takes twenty minutes to start up most mornings.",
            "{System} crashes several times a week and I lose whatever I was typing.",
            "I waited {weeks} weeks for a {device} that actually worked.",
            "The IT helpdesk is impossible to get hold of and tickets are closed without anything being fixed.",
            "Logging into four different applications to do one simple task wastes so much time.",
            "The hardware is fine but the software is slow and keeps freezing.",
            "Half the team still cannot print from their laptops.",
            "We lost access to the shared drives for {weeks} weeks after the switchover.",
        ],
        "change": [
            "The IT should have been tested properly before it was rolled out to frontline staff.",
            "New systems should have been introduced one at a time, with someone on hand to help.",
            "Everyone should have had a working {device} on day one.",
        ],
        "well": [
            "The new {device} is much faster than the one I had before.",
            "Being able to use Teams has made it easier to speak to colleagues across the region.",
            "The IT switchover went better than I expected and I had very few problems.",
            "The IT support team were quick to sort out my login problems.",
        ],
    },
    "positive_outlook": {
        "general": [
            "Bringing probation back together was the right decision and I am optimistic about the future.",
            "It will take time but I can already see things improving.",
            "I feel hopeful about where the service is heading.",
            "The merger went more smoothly than I had feared.",
            "It feels good to be part of one national service again.",
            "For all the teething problems, reunifying the service was the right thing to do.",
            "I am genuinely pleased the split is over.",
            "There is a real sense that we are finally pulling in the same direction.",
        ],
        "change": [],
        "well": [
            "The transition itself was handled calmly and I had no real problems.",
            "[CRC,Other] My new colleagues have been welcoming and I have settled in well.",
            "[CRC,Other] Moving across was straightforward, and I am glad it happened.",
            "Everyone I work with has made a real effort to make the new service work.",
            "Honestly, it has been a positive experience for me so far.",
        ],
    },
    "leadership_communication": {
        "general": [
            "Senior leaders have been invisible throughout the whole process.",
            "Decisions were handed down from {leaders} with no real consultation.",
            "Communication from the top has been vague and often contradictory.",
            "I have had supervision cancelled more often than it has gone ahead.",
            "It feels like the plan was drawn up by people who have never done the job.",
            "Nobody seems to know who is responsible for what any more.",
            "Messages from {leaders} rarely reach the front line in any useful form.",
        ],
        "change": [
            "Frontline staff should have been asked for their views before decisions were made.",
            "{Leaders} should have been honest about what was not ready.",
            "The changes should have been implemented in stages, with proper planning.",
            "Managers should have been given clearer direction so they could support their teams.",
        ],
        "well": [
            "My {manager} has been brilliant and kept us informed at every step.",
            "Regular briefings from the regional director helped us understand what was happening.",
            "Local managers did their best with what they were given.",
            "The weekly updates from {leaders} were clear and easy to follow.",
        ],
    },
    "wellbeing": {
        "general": [
            "Morale in my team is the lowest I have known it.",
            "I have been signed off with stress for {weeks} weeks this year.",
            "I feel undervalued and exhausted most of the time.",
            "Several colleagues are off sick and the rest of us are running on empty.",
            "My mental health has taken a real knock over the last year.",
            "I dread Monday mornings now, which has never happened to me before.",
            "People are tearful at work and nobody seems to notice.",
            "I no longer feel confident in my own abilities.",
        ],
        "change": [
            "Staff wellbeing should have been taken seriously from the start, not as an afterthought.",
        ],
        "well": [
            "The wellbeing sessions and the employee assistance line have been helpful.",
            "My {manager} checks in on how I am coping every week, which I really value.",
            "Our team has looked after each other and that has kept morale up.",
        ],
    },
    "staffing": {
        "general": [
            "We have {vacancies} vacancies in the team and no sign of them being filled.",
            "Experienced officers are leaving faster than they can be replaced.",
            "Recruitment takes months because of vetting delays.",
            "Agency staff come and go so there is no continuity for anyone.",
            "Good people have taken redundancy and their knowledge has gone with them.",
            "I am worried about my job security with all the talk of cuts.",
            "Half the team are newly qualified and there is nobody experienced left to ask.",
        ],
        "change": [
            "More staff should have been recruited before the changes went ahead.",
            "Vacancies should have been filled before the new model started.",
        ],
        "well": [
            "We have had some new trainees join the team who are full of enthusiasm.",
            "Taking on more trainee officers was a sensible step.",
        ],
    },
    "pay_grading": {
        "general": [
            "I was job matched to a lower band and have lost out financially.",
            "My pay was wrong for {months} months running and nobody could explain why.",
            "The regrading process has been slow, unfair and badly explained.",
            "Pay progression has been frozen for years and it shows.",
            "I am doing the same job for less money than I was on before.",
            "Nobody can tell me which terms and conditions I am actually on.",
        ],
        "change": [
            "Pay and grading should have been sorted out before anyone transferred.",
            "Job matching should have been done openly with a proper appeal route.",
        ],
        "well": [
            "My pay transferred across without any problems and payroll were helpful.",
        ],
    },
    "premises": {
        "general": [
            "Our new office is cramped and there are not enough desks for everyone.",
            "I now face {commute} to get to a building in another town.",
            "The building is tired, cold and badly in need of repair.",
            "Hot-desking means I never know where I will be sitting.",
            "There are not enough private interview rooms to see people safely.",
            "We were moved out of a decent office into one that is far worse.",
        ],
        "change": [
            "Office moves should have been planned around where staff and people on probation actually live.",
            "We should not have been moved until the new office was ready.",
        ],
        "well": [
            "The refurbished office is bright and a much better place to see people.",
            "Sharing a building with the rest of the team has been a real help.",
        ],
    },
    "bureaucracy": {
        "general": [
            "Everything now needs three levels of sign-off before anything happens.",
            "There is far more form-filling than there used to be.",
            "Civil service processes are slow, rigid and frustrating.",
            "Ordering something as simple as a diary takes weeks of paperwork.",
            "I spend more time writing up contacts than actually seeing people.",
            "The red tape has doubled since June 2021.",
            "Claiming travel expenses has become a ridiculous process.",
        ],
        "change": [
            "Processes should have been simplified rather than made more complicated.",
            "Local teams should have been allowed to make small decisions without going up the chain.",
        ],
        "well": [],
    },
    "professional_identity": {
        "general": [
            "I feel deskilled and no longer trusted to use my own professional judgement.",
            "PSOs are being asked to hold cases that used to need a qualified officer.",
            "I used to be proud to tell people I worked in probation.",
            "There is less and less room for relationship-based practice.",
            "The job is losing its social work roots.",
            "My experience as a PO is not being used properly.",
        ],
        "change": [
            "Practitioners should have been trusted to use their judgement instead of following scripts.",
            "The PO and PSO roles should have been clearly defined from the outset.",
        ],
        "well": [
            "It is good to see probation values and professional training being taken seriously again.",
            "I am proud of how practitioners kept the work going through all of this.",
        ],
    },
}

# Sentences that carry two themes at once, as real comments often do.
MIXED_TEMPLATES: list[tuple[tuple[str, ...], str, str]] = [
    (("cultural_divide", "pay_grading"), "general",
     "Former CRC staff are on different terms and conditions for exactly the same work."),
    (("workload", "wellbeing"), "general",
     "The pressure of my caseload is affecting my sleep and my health."),
    (("ict", "induction_overload"), "general",
     "We were given new systems and a pile of online training at the same time, with no time to learn either."),
    (("staffing", "workload"), "general",
     "Every time someone leaves their cases are shared out among those of us who are left."),
    (("leadership_communication", "wellbeing"), "change",
     "Senior managers should have listened when staff said they were struggling."),
    (("premises", "cultural_divide"), "general",
     "We still work out of separate buildings, so the old divide is as strong as ever."),
]

# Neutral sentences that carry no theme.
FILLERS = [
    "I have worked in probation for {years} years.",
    "I work in the {team} team.",
    "These are just my own views.",
    "Thank you for the chance to comment.",
    "I hope someone actually reads these comments.",
    "That is about all I have to say.",
    "Hard to say much more than that really.",
    "[CRC] I transferred across in June 2021.",
    "I am happy to talk about this further.",
    "It is a mixed picture overall.",
    "I have said most of it in my other answers.",
    "Not much more to add.",
    "I joined the service {years} years ago.",
]

# Q1 openers from respondents who think nothing went well; what follows is a complaint.
NOTHING_WELL = [
    "Honestly, I cannot think of anything that has gone particularly well.",
    "Very little has gone well from where I am sitting.",
    "Not a great deal, if I am honest.",
    "Nothing springs to mind.",
]

# Q2 openers from respondents content with how it went; what follows is something that went well.
NOTHING_DIFFERENT = [
    "Not much, on the whole it has gone about as well as anyone could expect.",
    "Very little, I think the change was handled sensibly overall.",
    "I would not change much, it has worked out better than I thought it would.",
]

PREFIXES = ["To be honest, ", "In my view, ", "For me, ", "Personally, ", "I think "]

# Common single-word misspellings; swapping one keeps the word count.
MISSPELLINGS = {
    "definitely": "definately", "separate": "seperate", "received": "recieved",
    "management": "managment", "until": "untill", "which": "wich", "believe": "beleive",
    "colleagues": "collegues", "experience": "experiance", "across": "accross",
    "really": "realy", "their": "there", "anything": "anythin",
}

# Words that keep their capital when a sentence is joined onto the one before.
KEEP_CAPITAL = {"I", "I'm", "I've", "I'd", "OASys", "June"}

_SLOT = re.compile(r"\{(\w+)\}")
_MISSPELL = re.compile(r"\b(" + "|".join(MISSPELLINGS) + r")\b")

# How often each theme is drawn, then tilted by who is answering; a theme with no
# sentences for the question and the respondent's organisation is skipped.
_BASE_WEIGHTS = {
    "cultural_divide": 14, "induction_overload": 10, "workload": 13, "ict": 8,
    "positive_outlook": 8, "leadership_communication": 10, "wellbeing": 7, "staffing": 6,
    "pay_grading": 5, "premises": 4, "bureaucracy": 4, "professional_identity": 4,
}
_WELL_WEIGHTS = {**_BASE_WEIGHTS, "positive_outlook": 22, "ict": 10, "leadership_communication": 12}
_ORG_BIAS = {
    "CRC": {"cultural_divide": 2.2, "induction_overload": 1.8, "positive_outlook": 0.7},
    "NPS": {"cultural_divide": 0.5, "workload": 1.4, "staffing": 1.4, "induction_overload": 0.6},
    "Other": {"positive_outlook": 2.0, "induction_overload": 1.5, "cultural_divide": 0.3},
}
_GRADE_BIAS = {
    "PQiP": {"induction_overload": 1.6, "professional_identity": 1.3},
    "Administrator": {"bureaucracy": 1.8, "ict": 1.5, "workload": 0.6},
    "Case Administrator": {"bureaucracy": 1.8, "ict": 1.5, "workload": 0.6},
    "Manager": {"leadership_communication": 1.5, "staffing": 1.5},
}
# Staff in Wales, where unification had longer to bed in, were more positive.
_REGION_BIAS = {"Wales": {"positive_outlook": 2.2, "leadership_communication": 0.7}}


_VOICE = re.compile(r"^\[([\w,]+)\] ")


def _voice(template: str) -> tuple[tuple[str, ...], str]:
    """The organisations a template's writer can belong to (all when unmarked), and its text."""
    match = _VOICE.match(template)
    if match is None:
        return tuple(ORG_WEIGHTS), template
    return tuple(match.group(1).split(",")), template[match.end():]


def _expand(template: str) -> tuple[tuple[str, int], ...]:
    """Every filling of a template's slots, each with its word count."""
    names = _SLOT.findall(template)
    choices = [SLOTS[name] for name in names]
    out = []
    for values in itertools.product(*choices):
        it = iter(values)
        text = _SLOT.sub(lambda _m: next(it), template)
        out.append((text, len(text.split())))
    return tuple(out)


_Entry = tuple[tuple[str, ...], tuple[tuple[str, int], ...]]


def _build_pools() -> dict[tuple[str, str, str], list[_Entry]]:
    """(theme, kind, org) -> list of (themes, expansions); a template is picked, then a filling."""
    pools: dict[tuple[str, str, str], list[_Entry]] = {
        (t, k, o): [] for t in THEMES for k in ("general", "change", "well") for o in ORG_WEIGHTS
    }
    entries = [((theme,), kind, template) for theme, kinds in TEMPLATES.items()
               for kind, templates in kinds.items() for template in templates]
    entries += MIXED_TEMPLATES
    for themes, kind, template in entries:
        orgs, text = _voice(template)
        expansions = _expand(text)
        for theme in themes:
            for org in orgs:
                pools[(theme, kind, org)].append((themes, expansions))
    return pools


_POOLS = _build_pools()
_FILLERS_BY_ORG = {
    org: [e for orgs, text in map(_voice, FILLERS) if org in orgs for e in _expand(text)]
    for org in ORG_WEIGHTS
}
_NOTHING_WELL = [(t, len(t.split()), ()) for t in NOTHING_WELL]
_NOTHING_DIFFERENT = [(t, len(t.split()), ("positive_outlook",)) for t in NOTHING_DIFFERENT]
_SHORTEST_FILLER = min(n for fillers in _FILLERS_BY_ORG.values() for _, n in fillers)


def _choice(rng: random.Random, items):
    # random() is several times faster than randrange() and just as reproducible.
    return items[int(rng.random() * len(items))]


def _cumulative(weights: dict[str, float]) -> tuple[list[str], list[float]]:
    keys = list(weights)
    return keys, list(itertools.accumulate(weights[k] for k in keys))


def _pick(rng: random.Random, table: tuple[list[str], list[float]]) -> str:
    keys, cum = table
    return keys[bisect(cum, rng.random() * cum[-1])]


_REGION_TABLE = _cumulative(REGION_WEIGHTS)
_ORG_TABLE = _cumulative(ORG_WEIGHTS)
_GRADE_TABLE = _cumulative(GRADE_WEIGHTS)
_weight_cache: dict[tuple, tuple[list[str], list[float]]] = {}
_kind_cache: dict[tuple[str, tuple[str, ...], str], list[list[_Entry]]] = {}


def _pools_for(theme: str, kinds: tuple[str, ...], org: str) -> list[list[_Entry]]:
    key = (theme, kinds, org)
    pools = _kind_cache.get(key)
    if pools is None:
        pools = _kind_cache[key] = [_POOLS[(theme, k, org)] for k in kinds if _POOLS[(theme, k, org)]]
    return pools


def _theme_table(kinds: tuple[str, ...], org: str, region: str, grade: str,
                 exclude: tuple[str, ...] = ()) -> tuple[list[str], list[float]]:
    """Cumulative theme weights for one kind of answer from one kind of respondent."""
    key = (kinds, org, region, grade, exclude)
    table = _weight_cache.get(key)
    if table is None:
        base = _WELL_WEIGHTS if kinds == ("well",) else _BASE_WEIGHTS
        weights = {}
        for theme in THEMES:
            if theme in exclude or not _pools_for(theme, kinds, org):
                continue
            w = float(base[theme])
            for bias in (_ORG_BIAS.get(org), _REGION_BIAS.get(region), _GRADE_BIAS.get(grade)):
                if bias:
                    w *= bias.get(theme, 1.0)
            weights[theme] = w
        table = _weight_cache[key] = _cumulative(weights)
    return table


def _sentence(rng: random.Random, theme: str, kinds: tuple[str, ...],
              org: str) -> tuple[tuple[str, ...], str, int]:
    # Pick the kind first so a question's own kind ("change" for Q2) is not swamped by
    # the longer list of general complaints.
    pools = _pools_for(theme, kinds, org)
    pool = _choice(rng, pools) if len(pools) > 1 else pools[0]
    themes, expansions = _choice(rng, pool)
    text, n = _choice(rng, expansions)
    return themes, text, n


def _decapitalise(text: str) -> str:
    first = text.split(" ", 1)[0]
    if first in KEEP_CAPITAL or first[1:2].isupper():
        return text
    return text[0].lower() + text[1:]


def _compose(rng: random.Random, table: tuple[list[str], list[float]], kinds: tuple[str, ...],
             org: str, target: int, min_words: int, max_words: int,
             opener: tuple[str, int, tuple[str, ...]] | None = None) -> tuple[str, list[str]]:
    """One answer of about ``target`` words: theme sentences, perhaps filler, then light noise.

    Returns the text and the themes it was built from, in codebook order.
    """
    fillers = _FILLERS_BY_ORG[org]
    # Each part is (text, words, is_filler); openers count as filler for joining.
    parts: list[tuple[str, int, bool]] = []
    themes: list[str] = []
    words = 0
    if opener is not None:
        parts.append((opener[0], opener[1], True))
        words = opener[1]
        themes.extend(opener[2])
    used: set[str] = set()
    current = ""
    filler_used = False
    while words < target:
        roll = rng.random()
        if not current or (roll < 0.3 and len(themes) < 3):
            theme = _pick(rng, table)
            if theme in themes:
                theme = _pick(rng, table)
        elif roll < 0.85 or filler_used:
            # Most people say more about the same thing rather than list topics.
            theme = current
        else:
            theme = ""
        for _attempt in range(3):
            if theme:
                sentence_themes, text, n = _sentence(rng, theme, kinds, org)
            else:
                sentence_themes = ()
                text, n = _choice(rng, fillers)
            if text not in used:
                break
        else:
            if parts:
                break
        if words + n > max_words:
            if parts:
                break
            theme, sentence_themes = "", ()
            text, n = _choice(rng, fillers)
        parts.append((text, n, not theme))
        used.add(text)
        words += n
        if theme:
            current = theme
        else:
            filler_used = True
        for t in sentence_themes:
            if t not in themes:
                themes.append(t)
    while words < min_words and words + _SHORTEST_FILLER <= max_words:
        fitting = [f for f in fillers if words + f[1] <= max_words and f[0] not in used]
        if not fitting:
            break
        text, n = _choice(rng, fitting)
        parts.append((text, n, True))
        used.add(text)
        words += n

    pieces: list[str] = []
    previous_filler = True
    for text, _n, is_filler in parts:
        if not pieces:
            if opener is None and rng.random() < 0.08 and words + 2 <= max_words \
                    and not text.startswith("Honestly"):
                prefix = _choice(rng, PREFIXES)
                text = prefix + _decapitalise(text)
                words += len(prefix.split())
            pieces.append(text)
        else:
            roll = rng.random()
            if roll < 0.07 and not (is_filler or previous_filler) and words + 1 <= max_words \
                    and pieces[-1].endswith("."):
                # Run two sentences together, as people do when typing quickly.
                pieces[-1] = pieces[-1][:-1] + ", and " + _decapitalise(text)
                words += 1
            elif roll < 0.10 and pieces[-1].endswith("."):
                pieces[-1] = pieces[-1][:-1] + "... " + text
            else:
                pieces.append(text)
        previous_filler = is_filler
    answer = " ".join(pieces)
    if words > max_words or words < min_words:
        # Only reached when min_words/max_words leave no room for whole sentences.
        tokens = answer.split()[:max_words]
        while len(tokens) < min_words:
            tokens.extend(_choice(rng, fillers)[0].split())
        answer = " ".join(tokens[:max_words])
    return _add_noise(rng, answer), [t for t in THEMES if t in themes]


def _add_noise(rng: random.Random, text: str) -> str:
    """Typing habits of real respondents; none of them changes the number of words."""
    roll = rng.random()
    if roll < 0.06:
        text = _MISSPELL.sub(lambda m: MISSPELLINGS[m.group(1)], text, count=1)
    elif roll < 0.08:
        text = text.lower()
    elif roll < 0.10:
        text = text.replace(" I ", " i ")
    elif roll < 0.13 and text.endswith("."):
        text = text[:-1]
    elif roll < 0.15:
        text = text.replace(". ", ".  ", 1)
    return text


def _messy(rng: random.Random, canonical: str, aliases: list[str], alias_share: float) -> str:
    roll = rng.random()
    if roll < alias_share:
        return _choice(rng, aliases)
    if roll < alias_share + 0.03:
        return _choice(rng, (canonical.lower(), canonical.upper(), f" {canonical} "))
    return canonical


def _respondent(rng: random.Random) -> tuple[str, str, str, str, str]:
    """Canonical and as-written region and organisation, and grade, for one respondent.

    What a respondent writes follows who they really are, even when they chose not to say
    where they work, so the canonical values are returned alongside the shown ones.
    """
    region = _pick(rng, _REGION_TABLE)
    org = _pick(rng, _ORG_TABLE)
    grade = _pick(rng, _GRADE_TABLE)
    roll = rng.random()
    if roll < 0.04:
        region_shown = ""
    elif roll < 0.07:
        region_shown = UNDISCLOSED
    else:
        region_shown = _messy(rng, region, REGION_ALIASES[region], 0.12)
    roll = rng.random()
    if roll < 0.04:
        org_shown = ""
    elif roll < 0.06:
        org_shown = UNDISCLOSED
    else:
        org_shown = _messy(rng, org, ORG_ALIASES[org], 0.22)
    return region, org, region_shown, org_shown, grade


_POSITIVE = ("positive_outlook",)


def _question_plan(rng: random.Random, question: str) -> tuple[
        tuple[str, ...], tuple[str, int, tuple[str, ...]] | None, tuple[str, ...]]:
    """Which kinds of sentence answer a question, an optional opener, and themes to leave out."""
    if question == Q1:
        if rng.random() < 0.2:
            return ("general",), _choice(rng, _NOTHING_WELL), _POSITIVE
        return ("well",), None, ()
    if question == Q2:
        if rng.random() < 0.08:
            return ("well",), _choice(rng, _NOTHING_DIFFERENT), _POSITIVE
        return ("change", "general"), None, _POSITIVE
    return (("general",) if rng.random() < 0.8 else ("well",)), None, ()


def _survey(n: int, seed: int) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The survey rows and the answer key, drawn from one random stream so they agree."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    key: list[dict[str, str]] = []
    width = max(4, len(str(n)))
    for i in range(1, n + 1):
        region, org, region_shown, org_shown, grade = _respondent(rng)
        rid = f"R{i:0{width}d}"
        row = {"Respondent ID": rid, "Region": region_shown, "Former organisation": org_shown,
               "Grade": grade}
        if rng.random() < 0.03:
            answered = (False, False, False)
        else:
            answered = (rng.random() < 0.62, rng.random() < 0.82, rng.random() < 0.5)
            if not any(answered):
                answered = (False, True, False)
        for question, answers in zip(QUESTIONS, answered):
            if not answers:
                row[question] = ""
                continue
            target = int(rng.triangular(10, 60, 15))
            kinds, opener, exclude = _question_plan(rng, question)
            table = _theme_table(kinds, org, region, grade, exclude)
            text, themes = _compose(rng, table, kinds, org, target, 10, 60, opener)
            row[question] = text
            key.append({"respondent_id": rid, "question": question, "themes": " | ".join(themes)})
        rows.append(row)
    return rows, key


def generate_rows(n: int = DEFAULT_N, seed: int = DEFAULT_SEED) -> list[dict[str, str]]:
    """Make a synthetic staff-survey export.

    Args:
        n: number of respondents.
        seed: random seed; the same ``n`` and ``seed`` always give the same rows.

    Returns:
        One dict per respondent, keyed by the column names in ``COLUMNS``; blank answers
        and undisclosed regions or organisations are empty strings or "Prefer not to say".
    """
    return _survey(n, seed)[0]


def generate_theme_key(n: int = DEFAULT_N, seed: int = DEFAULT_SEED) -> list[dict[str, str]]:
    """The themes each non-blank answer of ``generate_rows(n, seed)`` was composed from.

    Returns:
        One dict per answered question with ``respondent_id``, ``question`` (the survey
        column name) and ``themes`` (code ids in codebook order joined by `` | ``; empty when
        the answer is neutral filler only).
    """
    return _survey(n, seed)[1]


def generate_comments(n: int, seed: int = DEFAULT_SEED, min_words: int = 10,
                      max_words: int = 60) -> Iterator[tuple[str, str, str, str]]:
    """Stream ``n`` synthetic staff comments for benchmarks and stress tests.

    Args:
        n: number of comments.
        seed: random seed; the same arguments always give the same comments.
        min_words: fewest words in a comment (words are runs of non-space characters).
        max_words: most words in a comment.

    Yields:
        ``(comment_id, region, organisation, comment)``, with region and organisation
        written as messily as in a real export.
    """
    if min_words < 1 or max_words < min_words:
        raise ValueError(f"need 1 <= min_words <= max_words, got {min_words} and {max_words}")
    rng = random.Random(seed)
    kinds = ("general", "change", "well")
    width = max(7, len(str(n)))
    mode = min(max(min_words, 20), max_words)
    for i in range(1, n + 1):
        region, org, region_shown, org_shown, grade = _respondent(rng)
        table = _theme_table(kinds, org, region, grade)
        target = int(rng.triangular(min_words, max_words, mode))
        text, _themes = _compose(rng, table, kinds, org, target, min_words, max_words)
        yield f"C{i:0{width}d}", region_shown, org_shown, text


def write_survey(path: Path, n: int = DEFAULT_N, seed: int = DEFAULT_SEED,
                 key_path: Path | None = None) -> tuple[Path, Path]:
    """Write the survey CSV and its answer key (by default ``<name>_themes.csv`` beside it)."""
    path = Path(path)
    key_path = Path(key_path) if key_path else path.with_name(f"{path.stem}_themes.csv")
    rows, key = _survey(n, seed)
    for target, columns, records in ((path, COLUMNS, rows), (key_path, THEME_COLUMNS, key)):
        with open(target, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(records)
    return path, key_path


def write_comments(path: Path, n: int, seed: int = DEFAULT_SEED, min_words: int = 10,
                   max_words: int = 60) -> Path:
    """Write ``n`` generated comments as a CSV with the columns ``id, region, organisation, comment``."""
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COMMENT_COLUMNS)
        writer.writerows(generate_comments(n, seed, min_words, max_words))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate a synthetic probation staff-survey export and its answer key, "
                    "or (with --comments) a large comment corpus for benchmarks.")
    parser.add_argument("-o", "--output", type=Path, required=True, help="CSV file to write")
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="respondents in the survey (default 400)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 2021)")
    parser.add_argument("--themes-output", type=Path,
                        help="answer-key CSV (default: <output name>_themes.csv beside the survey)")
    parser.add_argument("--comments", type=int, metavar="N",
                        help="write N benchmark comments (id, region, organisation, comment) instead")
    parser.add_argument("--min-words", type=int, default=10, help="with --comments: fewest words")
    parser.add_argument("--max-words", type=int, default=60, help="with --comments: most words")
    args = parser.parse_args(argv)
    if args.comments is not None:
        if not 1 <= args.min_words <= args.max_words:
            parser.error("--min-words must be at least 1 and no more than --max-words")
        write_comments(args.output, args.comments, args.seed, args.min_words, args.max_words)
        print(f"wrote {args.comments} comments to {args.output}", file=sys.stderr)
    else:
        survey, key = write_survey(args.output, args.n, args.seed, args.themes_output)
        print(f"wrote {args.n} respondents to {survey} and the answer key to {key}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
