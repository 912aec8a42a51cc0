"""The questions and tags a new teachers' network starts with (moderators can change all of it).

Plain data, so it reads like the product description and tests can refer to it. Choice labels of
tag questions become tag names through `text.normalize_tag` ("Classroom management" →
`classroom-management`), so every label here must normalise to a distinct, valid tag.

The texts are stored in English when a community is seeded, and marked with `N_` so the
catalogue carries them: a stored prompt or label that is still exactly one of them is shown in
the reader's language (`DEFAULT_TEXTS`, `questions.shown`); one a moderator edited is the
community's own and shown as written. Stored values (answers, tag names) stay English, so a
member's language never changes what an answer means.
"""

from __future__ import annotations

from dataclasses import dataclass

from communitybot.i18n import N_
from communitybot.text import normalize_tag

INTRO_MAX_LENGTH = 500
"""Characters in a member's intro: the onboarding question, `/profile edit intro` and the
command grammar all use this one number."""


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    kind: str
    target: str
    prompt: str
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    tag_category: str | None = None


ROLES = (
    N_("Classroom teacher"),
    N_("Teacher educator"),
    N_("Instructional coach"),
    N_("Student teacher"),
    N_("School leader"),
    N_("Librarian or media specialist"),
    N_("Other"),
)

SUBJECTS = (
    N_("Maths"),
    N_("Science"),
    N_("English language arts"),
    N_("History"),
    N_("Geography"),
    N_("Social studies"),
    N_("World languages"),
    N_("Computer science"),
    N_("Arts"),
    N_("Music"),
    N_("Physical education"),
    N_("Special education"),
    N_("English language learners"),
)

GRADES = (
    N_("Early years"),
    N_("Elementary"),
    N_("Middle school"),
    N_("High school"),
    N_("Higher education"),
    N_("Adult education"),
)

TOPICS = (
    N_("EdTech"),
    N_("Assessment"),
    N_("Literacy"),
    N_("Classroom management"),
    N_("Equity"),
    N_("Project-based learning"),
    N_("Wellbeing"),
    N_("Differentiation"),
    N_("Social-emotional learning"),
    N_("Leadership"),
    N_("Research"),
)

DEFAULT_QUESTIONS: tuple[QuestionSpec, ...] = (
    QuestionSpec("role", "single", "role", N_("What best describes your role?"), ROLES),
    QuestionSpec(
        "subjects",
        "multi",
        "tags",
        N_("Which subjects do you teach or care about?"),
        SUBJECTS,
        tag_category="subject",
    ),
    QuestionSpec(
        "grades",
        "multi",
        "tags",
        N_("Which age groups or grade levels do you work with?"),
        GRADES,
        tag_category="grade",
    ),
    QuestionSpec(
        "topics",
        "multi",
        "tags",
        N_("Which topics would you like to talk about with other educators?"),
        TOPICS,
        tag_category="topic",
    ),
    QuestionSpec(
        "timezone",
        "timezone",
        "timezone",
        N_("Which time zone are you in? (so peers and chats can fit your day)"),
    ),
    QuestionSpec("wants-mentor", "yesno", "wants_mentor", N_("Would you like a mentor?")),
    QuestionSpec(
        "offers-mentor", "yesno", "offers_mentor", N_("Would you like to mentor someone?")
    ),
    QuestionSpec(
        "intro",
        "text",
        "intro",
        N_(
            "Finally, introduce yourself in a few sentences: who you are, what you teach, "
            "what you hope to find here."
        ),
        max_length=INTRO_MAX_LENGTH,
    ),
)
"""In the order they are asked."""


DEFAULT_TEXTS: frozenset[str] = frozenset(
    [spec.prompt for spec in DEFAULT_QUESTIONS]
    + [choice for spec in DEFAULT_QUESTIONS for choice in spec.choices]
)
"""Every prompt and choice label above: the stored texts that are shown translated."""


def default_tags() -> list[tuple[str, str]]:
    """(tag name, category) for every choice of the default tag questions, in question order."""
    return [
        (normalize_tag(choice), spec.tag_category or "topic")
        for spec in DEFAULT_QUESTIONS
        if spec.target == "tags"
        for choice in spec.choices
    ]
