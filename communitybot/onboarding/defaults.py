"""The questions and tags a new teachers' network starts with (moderators can change all of it).

Plain data, so it reads like the product description and tests can refer to it. Choice labels of
tag questions become tag names through `text.normalize_tag` ("Classroom management" →
`classroom-management`), so every label here must normalise to a distinct, valid tag.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    "Classroom teacher",
    "Teacher educator",
    "Instructional coach",
    "Student teacher",
    "School leader",
    "Librarian or media specialist",
    "Other",
)

SUBJECTS = (
    "Maths",
    "Science",
    "English language arts",
    "History",
    "Geography",
    "Social studies",
    "World languages",
    "Computer science",
    "Arts",
    "Music",
    "Physical education",
    "Special education",
    "English language learners",
)

GRADES = (
    "Early years",
    "Elementary",
    "Middle school",
    "High school",
    "Higher education",
    "Adult education",
)

TOPICS = (
    "EdTech",
    "Assessment",
    "Literacy",
    "Classroom management",
    "Equity",
    "Project-based learning",
    "Wellbeing",
    "Differentiation",
    "Social-emotional learning",
    "Leadership",
    "Research",
)

DEFAULT_QUESTIONS: tuple[QuestionSpec, ...] = (
    QuestionSpec("role", "single", "role", "What best describes your role?", ROLES),
    QuestionSpec(
        "subjects",
        "multi",
        "tags",
        "Which subjects do you teach or care about?",
        SUBJECTS,
        tag_category="subject",
    ),
    QuestionSpec(
        "grades",
        "multi",
        "tags",
        "Which age groups or grade levels do you work with?",
        GRADES,
        tag_category="grade",
    ),
    QuestionSpec(
        "topics",
        "multi",
        "tags",
        "Which topics would you like to talk about with other educators?",
        TOPICS,
        tag_category="topic",
    ),
    QuestionSpec(
        "timezone",
        "timezone",
        "timezone",
        "Which time zone are you in? (so peers and chats can fit your day)",
    ),
    QuestionSpec("wants-mentor", "yesno", "wants_mentor", "Would you like a mentor?"),
    QuestionSpec("offers-mentor", "yesno", "offers_mentor", "Would you like to mentor someone?"),
    QuestionSpec(
        "intro",
        "text",
        "intro",
        "Finally, introduce yourself in a few sentences: who you are, what you teach, "
        "what you hope to find here.",
        max_length=INTRO_MAX_LENGTH,
    ),
)
"""In the order they are asked."""


def default_tags() -> list[tuple[str, str]]:
    """(tag name, category) for every choice of the default tag questions, in question order."""
    return [
        (normalize_tag(choice), spec.tag_category or "topic")
        for spec in DEFAULT_QUESTIONS
        if spec.target == "tags"
        for choice in spec.choices
    ]
