"""The yes/no hint text platforms (Matrix, the console) add to a yes/no question.

Discord shows buttons; a text platform shows the words to type instead, in the language the
question was written in (`Message.language`): "(sí/no)" under a Spanish question. A question
whose text already offers both words gets no hint.
"""

from __future__ import annotations

import re

from communitybot.i18n.translate import tr, use_language
from communitybot.replies import Message


def with_yes_no_hint(message: Message) -> str:
    """`message.text`, with "(yes/no)" in its language when it asks a yes/no question that
    does not already say both words."""
    text = message.text
    prompt = message.prompt
    if prompt is None or prompt.kind != "yesno":
        return text
    with use_language(message.language):  # the words the member reads, and may type
        yes, no = tr("yes"), tr("no")
    if _word(yes).search(text) and _word(no).search(text):
        return text
    return f"{text} ({yes}/{no})"


def _word(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
