"""`network questions list|add|edit|move|remove|defaults`: stewards shape the questions every
affiliate of their network asks first, once per person.

The grammar and the checks are the moderators' `onboarding questions` ones
(`communitybot.onboarding.admin`), on the network's list. Being a steward is a network role, not
a platform one, so the handlers check it (as `network invite` does): anyone else is refused and
nothing changes; `list` is open to stewards and to the moderators of an affiliate, who need to
know which of their own questions the network's replace.

A new network asks nothing of its own: its affiliates keep their questions until a steward adds
some, or copies the usual ones with `network questions defaults`. Members who already finished
onboarding are not asked new or edited network questions automatically; `onboard` asks them.
"""

from __future__ import annotations

from typing import Any

from communitybot.context import CommandHandler, Context
from communitybot.feature import handles
from communitybot.i18n import N_, ntr, tr
from communitybot.models import Question
from communitybot.onboarding import admin
from communitybot.onboarding.admin import AdminInputError, QuestionAction, QuestionList
from communitybot.onboarding.defaults import DEFAULT_QUESTIONS
from communitybot.replies import Action, reply
from communitybot.store.networks import Network
from communitybot.text import quote

NETWORK_DEFAULT_KEYS = ("role", "subjects", "topics", "timezone", "wants-mentor", "offers-mentor")
"""What `network questions defaults` copies: the questions about the person rather than about
one community (its grades, intro post and anything an affiliate adds stay the affiliate's)."""


class NetworkQuestionList(QuestionList):
    """The network's questions, asked in every affiliate before its own."""

    command = "network questions"
    owner = N_("A network can have at most {limit} questions.")
    empty = N_("There are no network questions. Add one with `{command}`.")

    def __init__(self, ctx: Context, network: Network) -> None:
        super().__init__(ctx)
        self.network = network
        self._network = ctx.store.onboarding.network

    def title(self) -> str:
        return tr("Network questions of “{name}”", name=quote(self.network.name, 80))

    async def all(self) -> list[Question]:
        return list(await self._network.questions(self.network.id))

    async def get(self, key: str) -> Question | None:
        return await self._network.get(self.network.id, key)

    async def add(self, key: str, kind: str, target: str, prompt: str, **extra: Any) -> Question:
        return await self._network.add(self.network.id, key, kind, target, prompt, **extra)

    async def update(self, question: Question, **values: Any) -> Question:
        return await self._network.update(question.id, **values)

    async def move(self, key: str, position: int) -> int:
        return await self._network.move(self.network.id, key, position)

    async def remove(self, key: str) -> int:
        return await self._network.remove(self.network.id, key)

    async def tag_communities(self) -> list[int]:
        """This community only: a unit writes under its own community's lane, so the other
        affiliates get a choice's tag (by name) when someone there answers with it."""
        return [self.ctx.community.id]

    async def notes(self, questions: list[Question]) -> tuple[list[str], dict[int, str]]:
        p = self.ctx.prefix
        return [
            tr(
                "🌐 Asked first in every affiliate, once per person; an affiliate's own question "
                "for the same profile field (or tags of the same category) is then not asked. "
                "Edits reach members who answer from now on (`{command}` asks again).",
                command=f"{p}onboard",
            )
        ], {}


async def _network_list(ctx: Context, *, write: bool) -> NetworkQuestionList | list[Action]:
    """The network's list, or the friendly refusal (no network; not a steward)."""
    network = await ctx.store.networks.of_community(ctx.community.id)
    p = ctx.prefix
    if network is None:
        return reply(
            tr(
                "This community is not in a network, so there are no network questions. Its own "
                "welcome questions are in `{command}`.",
                command=f"{p}onboarding questions list",
            )
        )
    if await ctx.store.networks.is_steward(network.id, ctx.member.ref):
        return NetworkQuestionList(ctx, network)
    if not write and ctx.is_moderator:
        return NetworkQuestionList(ctx, network)
    refusal = (
        tr(
            "Only the network's stewards and the moderators of its communities can do that "
            "(`{command}` lists the stewards). Nothing was changed.",
            command=f"{p}network show",
        )
        if not write
        else tr(
            "Only the network's stewards can do that (`{command}` lists the stewards). Nothing "
            "was changed.",
            command=f"{p}network show",
        )
    )
    return reply(refusal)


def _network(action: QuestionAction, *, write: bool = True) -> CommandHandler:
    async def handler(ctx: Context, options: dict[str, Any]) -> list[Action]:
        found = await _network_list(ctx, write=write)
        if not isinstance(found, NetworkQuestionList):
            return found
        try:
            return await action(found, options)
        except AdminInputError as error:
            return reply(f"⚠️ {error}")

    handler.__doc__ = action.__doc__
    return handler


async def copy_defaults(questions: QuestionList, options: dict[str, Any]) -> list[Action]:
    """`network questions defaults`: the usual questions about the person, in the network."""
    have = {q.key for q in await questions.all()}
    added: list[str] = []
    for spec in DEFAULT_QUESTIONS:
        if spec.key not in NETWORK_DEFAULT_KEYS or spec.key in have:
            continue
        if len(have) + len(added) >= admin.MAX_QUESTIONS:
            break
        question = await questions.add(
            spec.key,
            spec.kind,
            spec.target,
            spec.prompt,
            choices=spec.choices,
            max_length=spec.max_length,
            tag_category=spec.tag_category,
        )
        await admin.ensure_choice_tags(questions, question)
        added.append(f"`{spec.key}`")
    p = questions.ctx.prefix
    if not added:
        return reply(
            tr(
                "The network already has every default question ({keys}). Nothing was changed.",
                keys=", ".join(f"`{k}`" for k in NETWORK_DEFAULT_KEYS),
            )
        )
    return reply(
        ntr(
            "✅ Added {n} question to the network: {keys}. Every affiliate asks them first, "
            "once per person; an affiliate's own question for the same field is no longer "
            "asked. See `{command}`.",
            "✅ Added {n} questions to the network: {keys}. Every affiliate asks them first, "
            "once per person; an affiliate's own question for the same field is no longer "
            "asked. See `{command}`.",
            len(added),
            keys=", ".join(added),
            command=f"{p}network questions list",
        )
    )


list_network_questions = handles("network", "questions", "list")(
    _network(admin.list_questions_in, write=False)
)
add_network_question = handles("network", "questions", "add")(_network(admin.add_question_to))
edit_network_question = handles("network", "questions", "edit")(_network(admin.edit_question_in))
move_network_question = handles("network", "questions", "move")(_network(admin.move_question_in))
remove_network_question = handles("network", "questions", "remove")(
    _network(admin.remove_question_from)
)
network_question_defaults = handles("network", "questions", "defaults")(_network(copy_defaults))
