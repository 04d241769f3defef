"""Which aspect a sentence talks about: general film vocabulary, one pattern per aspect.

Only *which* aspect is decided here; whether the sentence is positive or negative comes from the
trained polarity model (:mod:`imdb_tracker.sentiment.polarity`). The words are general film
criticism vocabulary: no names of people, characters, songs or places of any one movie.

Ambiguous words are resolved by the patterns themselves: "score" counts as music only in phrases
like "musical score" or "the score was"; "theme song" is music while "theme" alone is themes;
voices and singing point at acting (the performer) while "songs" point at music; a full name
followed by a verdict verb ("Kevin Kline is completely convincing") points at acting.
"""

from __future__ import annotations

import re

_ASPECT_TERMS: dict[str, tuple[str, ...]] = {
    "storytelling": (
        r"stor(y|ies|yline|ylines|ytelling|y-telling|y line)",
        r"plot(s|line|lines|ted|ting)?",
        r"plot ?holes?",
        r"script(s|ed|ing)?",
        r"screenplay",
        r"screenwrit(er|ers|ing)",
        r"writ(ing|ten|ers?)",
        r"dialog(ue|ues|s)?",
        r"characters?",
        r"characteri[sz]ations?",
        r"character development",
        r"narrative",
        r"narration",
        r"pac(ing|ed|e)",
        r"twists?",
        r"endings?",
        r"climax",
        r"arcs?",
        r"backstory",
        r"premise",
        r"predictable",
        r"clich[eé]s?|clich[eé]d",
        r"romance",
        r"love story",
        r"relationships?",
        r"adaptation|adapted",
        r"sub-?plots?",
        r"confus(ing|ed)|incoherent|incomprehensible",
        r"nonsense|makes no sense|made no sense",
        r"contrived|far-?fetched|formulaic|unoriginal|originality",
        r"ponderous",
        r"edge of (my|your|the) seat",
        r"suspense(ful)?|tension|tense|gripping|engrossing",
        r"boring|bored|dull|drags?|dragged|tedious|slow",
        r"funny|hilarious|jokes?|humou?r|gags?|laughs?|comedy|comedic",
        r"logic(al)?|illogical|plausib(le|ility)|implausible|believable",
        r"world ?building",
        r"episodes?",
    ),
    "acting": (
        r"act(ing|ed|or|ors|ress|resses)",
        r"performances?",
        r"performers?",
        r"cast(ing)?",
        r"miscast",
        r"portray(al|als|s|ed|ing)?",
        r"roles?",
        r"played|plays",
        r"voice acting",
        r"voice actors?",
        r"voices?|voiced|vocals?",
        r"sing(s|ing|er|ers)?|sang|sung",
        r"dub(s|bed|bing)",
        r"chemistry",
        r"charisma(tic)?",
        r"on-screen presence|screen presence",
        r"delivery",
        r"overact(s|ed|ing)?|over-act(s|ed|ing)?",
        r"wooden",
        r"stunts?|stunt work",
        r"choreograph(y|ed)",
        r"lead(s|ing)? (actor|actress|role)",
        r"supporting cast",
    ),
    "cinematography": (
        r"visual(s|ly)?",
        r"cinematograph(y|er|ic)",
        r"camera(work| work)?",
        r"shots?",
        r"photograph(y|ed)",
        r"filmed|shot",
        r"colou?r(s|ful|ed)?",
        r"lighting",
        r"sets",
        r"set design",
        r"production design",
        r"production values?",
        r"costumes?",
        r"wardrobe",
        r"make-?up",
        r"hair(style|styles|do)?",
        r"cgi|cg|vfx",
        r"(special |visual )?effects",
        r"green ?screen",
        r"animation|animators?",
        r"(beautifully|superbly|well|poorly|badly|nicely|gorgeously) animated",
        r"art direction|artwork",
        r"scenery",
        r"locations?",
        r"landscapes?",
        r"gore|gory",
        r"creature (design|effects)",
        r"edit(s|ing|ed|or)?",
        r"graphics",
        r"prosthetics?",
        r"mise[- ]en[- ]sc[eè]ne",
        r"black and white",
        r"footage",
        r"(good|great|beautiful|wonderful|cheap|slick|stunning|gorgeous|nice)[- ]looking",
        r"look(s|ed)? (great|good|amazing|beautiful|stunning|gorgeous|cheap|awful|terrible|bad|fake|dated)",
        r"imagery",
        r"gorgeous|stunning|eye candy|spectacle",
    ),
    "music_sound": (
        r"music(al score)?",
        r"musical (numbers?|scenes?|sequences?|arrangements?)",
        r"songs?",
        r"theme (song|songs|music|tune)",
        r"soundtracks?",
        r"(musical|orchestral|original|film|movie's|its|the) score",
        r"scores?(?= (is|was|were|are))",
        r"sound( design| effects| mixing| track)?",
        r"audio",
        r"melod(y|ies|ic)",
        r"tunes?",
        r"lyrics?",
        r"compos(er|ers|ition|itions)",
        r"instrumentals?",
        r"orchestra(l|tion)?",
        r"catchy",
    ),
    "themes": (
        r"themes?",
        r"messag(e|es|ing)",
        r"morals?|morality",
        r"values",
        r"politic(s|al|ally)",
        r"social (commentary|issues?|satire)",
        r"commentary",
        r"issues",
        r"agenda",
        r"propaganda",
        r"preach(y|ing)",
        r"heavy-handed",
        r"symbolism|symbolic|metaphors?|allegor(y|ies|ical)",
        r"cultur(e|al)",
        r"subject matter|topic",
        r"timely",
        r"stereotyp(e|es|ical|ing)",
        r"representation",
        r"racis(m|t)|prejudice|injustice",
        r"sexis(m|t)|misogyn(y|ist|istic)|feminis(m|t|ts)",
        r"religio(n|us)",
        r"thought-provoking|thought provoking|makes? you think|meaningful|meaning",
        r"(deeply|very|so|truly|profoundly) moving|touching|poignant|heart-?(warming|breaking|felt)",
        r"emotional(ly)?|tear-?jerker|made me cry|in tears",
        r"nostalgi(a|c)|childhood",
        r"inspir(ing|ational)",
        r"humanity|human nature",
        r"timeless|pioneer(ing)?|groundbreaking|ground-breaking|landmark|legacy|influential|milestone",
    ),
}

ASPECT_PATTERNS: dict[str, re.Pattern[str]] = {
    aspect: re.compile(r"(?<!\w)(?=[a-z])(?:" + "|".join(terms) + r")\b")
    for aspect, terms in _ASPECT_TERMS.items()
}
"""One compiled pattern per aspect, matching any of its terms as whole words of a lower-cased text.
Every term starts with a letter; saying so up front (and lower-casing once instead of matching
case-insensitively) makes the search several times faster."""

_THEME_MUSIC = re.compile(r"\btheme (song|songs|music|tune)\b")
_PERFORMER_VERDICT = re.compile(
    r"\b(?!(?:The|This|That|These|Those|A|An|It|Its|My|Our|His|Her|Their|In|On|At|And|But|So|If|When)\b)"
    r"[A-Z][a-z]+(?:[ -][A-Z][a-z']+)+ (?:is|was|were|are|gives|gave|delivers|delivered|did|does|steals|"
    r"stole|shines|shone|brings|brought|makes|made|looks|looked|seems|seemed|plays|played)\b"
)
"""A full name followed by a verdict verb ("Kevin Kline is completely convincing"): reviewers judge
performers by name far more often than with the word "acting"."""


def aspects_named(text: str) -> list[str]:
    """The aspects whose vocabulary ``text`` uses, in :data:`ASPECTS` order ("theme song" is music
    only)."""
    lower = text.lower()
    named = [aspect for aspect, pattern in ASPECT_PATTERNS.items() if pattern.search(lower)]
    if "acting" not in named and _PERFORMER_VERDICT.search(text):
        named.insert(1 if "storytelling" in named else 0, "acting")
    if (
        "themes" in named
        and _THEME_MUSIC.search(lower)
        and not ASPECT_PATTERNS["themes"].search(_THEME_MUSIC.sub(" ", lower))
    ):
        named.remove("themes")
    return named
