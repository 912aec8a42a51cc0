"""The welcome questions: greet a new member privately and ask one question at a time.

State lives in the store, never in memory: the current question is the first (askable) question
without an answer row, so a restarted bot resumes exactly where the member was.

Decisions worth knowing:
- `skip` stores a skipped answer and changes nothing on the profile (earlier values stay).
- `back` forgets the previous answer and asks that question again (the profile keeps the old
  value until a new answer arrives).
- `stop` pauses: the progress row goes, so later DMs reach the other handlers; `{prefix}onboard`
  starts again from the first question. Profile and tags are kept either way.
- A button/select answer for a question other than the current one (an older message) is
  accepted while the flow is active: the answer is saved and the current question asked again.
  When the flow is paused or finished, such a click is explained instead of applied.
- Answers to questions with a target change the profile as they arrive (tags via the tag
  feature, with source `onboarding:<key>`, replacing what that question gave before).
- In an affiliate of a network, the network's questions come first (`state.load_flow`), less
  the affiliate's own that fill the same field. A person who answered them through another
  membership (the same account elsewhere, or a linked account) gets those answers copied and
  applied on joining, and is asked only what is left (`_answered_before`).
- Where the community offers several languages, a member without a language of their own is
  first asked which one to be written to in (`communitybot.onboarding.language`); the answer is
  their language from that reply on.
- Every text is in the member's language (the bot sets it around each handler); the default
  questions and choices are shown translated (`questions.shown`), stored values stay English.
  `skip`, `back` and `stop` are typed in English, as the hints show them; a few words of the
  other languages the bot speaks are understood too.
"""

from __future__ import annotations

from typing import Any

from communitybot.context import Context
from communitybot.events import CommandInvoked
from communitybot.feature import handles
from communitybot.i18n import ntr, tr, use_language
from communitybot.models import Community, Question
from communitybot.naming import affiliate
from communitybot.onboarding import finish, language
from communitybot.onboarding.defaults import DEFAULT_QUESTIONS
from communitybot.onboarding.questions import (
    CUSTOM_ID_PREFIX,
    AnswerError,
    ParsedAnswer,
    parse_picked,
    parse_typed,
    question_message,
    shown,
    stored_labels,
)
from communitybot.onboarding.state import (
    Flow,
    apply_answer,
    delete_answer,
    load_flow,
    save_answer,
    slot,
)
from communitybot.replies import Action, Message, Reply, SendDirect, reply
from communitybot.text import normalize_tag, quote

CONSENT_ID = f"{CUSTOM_ID_PREFIX}{finish.CONSENT_KEY}"
_SKIP = {"skip", "pass", "saltar", "omitir", "passer"}
_BACK = {"back", "previous", "atrás", "atras", "volver", "retour"}
_STOP = {"stop", "pause", "quit", "parar", "detener", "arrêter", "arreter"}


async def seed_defaults(ctx: Context) -> None:
    """A community seen for the first time gets the teachers' network questions and tags."""
    community_id = ctx.community.id
    if await ctx.store.onboarding.list_questions(community_id):
        return
    now = ctx.clock.now()
    for spec in DEFAULT_QUESTIONS:
        await ctx.store.onboarding.add_question(
            community_id,
            spec.key,
            spec.kind,
            spec.target,
            spec.prompt,
            spec.choices,
            spec.max_length,
            spec.tag_category,
        )
        if spec.target == "tags":
            for choice in spec.choices:
                await ctx.store.tags.ensure_tag(
                    community_id, normalize_tag(choice), spec.tag_category or "topic", now
                )


def _name(ctx: Context) -> str:
    return quote(ctx.member.label, 60)


def _how_it_works(ctx: Context) -> str:
    return tr(
        "Answer each question right here. Type `skip` to leave one out, `back` to change your "
        "previous answer, or `stop` to stop for now; `{command}` starts again anytime.",
        command=f"{ctx.prefix}onboard",
    )


def _network_name(flow: Flow) -> str:
    return f"“{quote(flow.network.network_name, 80)}”"


def _greeting(ctx: Context, flow: Flow) -> str:
    lines = [tr("👋 Welcome to the community, {name}!", name=_name(ctx))]
    if flow.questions:
        lines.append(
            ntr(
                "I have {n} short question so I can point you to channels and people who share "
                "your interests.",
                "I have {n} short questions so I can point you to channels and people who "
                "share your interests.",
                len(flow.questions),
            )
        )
        shared = len(flow.network_questions())
        if shared:
            lines.append(
                ntr(
                    "The first {n} is from the network {network}: you answer it once, "
                    "whichever of its communities you join.",
                    "The first {n} are from the network {network}: you answer them once, "
                    "whichever of its communities you join.",
                    shared,
                    network=_network_name(flow),
                )
            )
        lines.append(_how_it_works(ctx))
    return "\n".join(lines)


def _affiliate(community: Community | None) -> str:
    if community is None:
        return tr("another of its communities")
    return affiliate(community.ref)


async def _answered_before(ctx: Context, flow: Flow) -> tuple[list[Action], str] | None:
    """A person who answered this network's questions through another membership (the same
    account in another affiliate, or a linked account): their answers are copied to this
    membership and applied to its profile, and the welcome says so. None when they have not."""
    network = flow.network
    if network.network_id is None or not flow.network_questions():
        return None
    store = ctx.store.onboarding.network
    earlier = await store.earlier_answers(network.network_id, ctx.member.id, ctx.member.ref)
    if earlier is None:
        return None
    await store.copy_answers(ctx.member.id, earlier.answers, ctx.clock.now())
    actions: list[Action] = []
    for question in flow.network_questions():
        answer = earlier.answers.get(question.id)
        if answer is None or answer.skipped or answer.value is None:
            continue
        parsed = ParsedAnswer(answer.value, stored_labels(question, answer.value))
        actions += await apply_answer(ctx, question, parsed)
    where = await ctx.store.communities.get_by_id(earlier.community_id)
    lines = [
        tr(
            "👋 Welcome, {name} — you already answered {network}'s questions in {affiliate}, so "
            "your profile here starts with those answers.",
            name=_name(ctx),
            network=_network_name(flow),
            affiliate=_affiliate(where),
        )
    ]
    copied = await load_flow(ctx, answers={})
    left = len([q for q in copied.questions if slot(q) not in copied.answers])
    if left:
        lines.append(
            ntr("I have {n} more question for you.", "I have {n} more questions for you.", left)
        )
        lines.append(_how_it_works(ctx))
    return actions, "\n".join(lines)


async def _next(
    ctx: Context, lead: str = "", flow: Flow | None = None
) -> tuple[list[Action], Message]:
    """The next thing to show: the language question, the current question, the intro
    consent, or the summary.

    `flow`: where the member is, if the caller already knows it (nothing changed since).
    """
    if language.needs_asking(ctx):
        return [], language.question(ctx, lead)
    if flow is None:
        flow = await load_flow(ctx)
    question = flow.current()
    if question is not None:
        return [], question_message(question, flow.number(question), len(flow.questions), lead)
    return await finish.finish(ctx, flow, lead)


def _as_reply(extra: list[Action], message: Message) -> list[Action]:
    return [*extra, Reply(message, ephemeral=False)]


def _as_direct(ctx: Context, extra: list[Action], message: Message) -> list[Action]:
    return [*extra, SendDirect(ctx.community.ref, ctx.member.ref, message)]


async def on_join(ctx: Context) -> list[Action]:
    """Greet privately and ask the first question; welcome back members who finished before.

    A member whose row this very join created has no progress and no answers: nothing to read
    (a join is the hot path of a burst; see tests/test_join_statements.py).
    """
    fresh = ctx.member_is_new
    progress = None if fresh else await ctx.store.onboarding.get_progress(ctx.member.id)
    if progress is not None and progress.status == "completed":
        text = tr(
            "👋 Welcome back, {name}! Your profile and tags are just as you left them. "
            "Type `{command}` if you'd like to go through the welcome questions again.",
            name=_name(ctx),
            command=f"{ctx.prefix}onboard",
        )
        return _as_direct(ctx, [], Message(text))
    if progress is not None:
        lead = (
            tr("👋 Welcome back, {name}! Let's pick up where we left off.", name=_name(ctx))
            + "\n"
            + _how_it_works(ctx)
        )
        if progress.status == "awaiting_consent":
            return _as_direct(ctx, [], await finish.consent_message(ctx, lead))
        return _as_direct(ctx, *await _next(ctx, lead))
    await ctx.store.onboarding.start(ctx.member.id, ctx.clock.now(), fresh=fresh)
    flow = await load_flow(ctx, answers={}, network_answers={})  # `start` has just cleared them
    known = await _answered_before(ctx, flow)
    if known is not None:
        applied, lead = known
        return [*applied, *_as_direct(ctx, *await _next(ctx, lead))]
    return _as_direct(ctx, *await _next(ctx, _greeting(ctx, flow), flow))


@handles("onboard")
async def onboard(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """`onboard`: start over from the first question, in the private conversation."""
    if not (await load_flow(ctx)).questions:
        return reply(tr("There are no welcome questions in this community right now."))
    had_progress = await ctx.store.onboarding.get_progress(ctx.member.id) is not None
    await ctx.store.onboarding.start(ctx.member.id, ctx.clock.now())
    flow = await load_flow(ctx, answers={}, network_answers={})  # `start` cleared them
    if had_progress or ctx.member.role or ctx.member.intro or ctx.member.timezone:
        lead = (
            tr(
                "🔁 Let's go through the welcome questions again from the start. Your profile "
                "and tags stay as they are until you answer differently (`skip` keeps what you "
                "have)."
            )
            + "\n"
            + _how_it_works(ctx)
        )
    else:
        lead = _greeting(ctx, flow)
    extra, message = await _next(ctx, lead, flow)
    if isinstance(ctx.event, CommandInvoked) and ctx.event.conversation.kind == "dm":
        return _as_reply(extra, message)
    return [
        Reply(Message(tr("📬 I've sent you the welcome questions in a private message."))),
        *_as_direct(ctx, extra, message),
    ]


async def _answer(
    ctx: Context, flow: Flow, question: Question, parsed: ParsedAnswer
) -> list[Action]:
    """Store the answer, apply it to the profile, and move on."""
    await save_answer(ctx, question, parsed.stored, False)
    side_effects = await apply_answer(ctx, question, parsed)
    current = flow.current()
    stale = current is not None and slot(current) != slot(question)
    lead = (
        tr("✅ Saved your answer to “{question}”.", question=quote(shown(question.prompt), 80))
        if stale
        else ""
    )
    if parsed.note:
        lead = f"{lead}\n{parsed.note}".strip()
    extra, message = await _next(ctx, lead)
    return [*side_effects, *_as_reply(extra, message)]


def _retry(flow: Flow, question: Question, error: str) -> list[Action]:
    message = question_message(question, flow.number(question), len(flow.questions), f"⚠️ {error}")
    return _as_reply([], message)


async def _go_back(ctx: Context, flow: Flow) -> list[Action]:
    current = flow.current()
    previous = flow.previous(current)
    if previous is None and current is None:
        return _as_reply(*await _next(ctx))
    if previous is None:
        assert current is not None
        return _retry(
            flow, current, tr("This is the first question, so there's nothing to go back to.")
        )
    await delete_answer(ctx, previous)
    await ctx.store.onboarding.set_status(ctx.member.id, "active", ctx.clock.now())
    return _as_reply(*await _next(ctx, tr("↩️ Going back one question.")))


async def _pause(ctx: Context) -> list[Action]:
    await ctx.store.onboarding.pause(ctx.member.id)
    text = tr(
        "⏸️ Okay, I've stopped the welcome questions. What you've told me so far stays on your "
        "profile. Type `{command}` whenever you'd like to go through them again.",
        command=f"{ctx.prefix}onboard",
    )
    return reply(text, ephemeral=False)


async def _language_answer(ctx: Context, text: str, word: str) -> list[Action]:
    """The answer to the language question (typed or picked): from here on, the member's
    language; `skip` keeps the one the question was asked in."""
    if word in _BACK:
        first = tr("This is the first question, so there's nothing to go back to.")
        return _as_reply([], language.question(ctx, f"⚠️ {first}"))
    try:
        code = language.skipped(ctx) if word in _SKIP else language.parse(ctx, text)
    except AnswerError as error:
        return _as_reply([], language.question(ctx, f"⚠️ {error}"))
    with use_language(code):
        return _as_reply(*await _next(ctx, await language.choose(ctx, code)))


async def on_message(ctx: Context, text: str) -> list[Action] | None:
    """A private message: the answer to the current question while onboarding is under way."""
    progress = await ctx.store.onboarding.get_progress(ctx.member.id)
    if progress is None or progress.status == "completed":
        return None
    word = text.strip().strip(".!").casefold()
    flow = await load_flow(ctx)
    if progress.status == "awaiting_consent":
        if word in _BACK:
            return await _go_back(ctx, flow)
        return await finish.on_consent(ctx, flow, word)
    if word in _STOP:
        return await _pause(ctx)
    if language.needs_asking(ctx):
        return await _language_answer(ctx, text, word)
    if word in _BACK:
        return await _go_back(ctx, flow)
    question = flow.current()
    if question is None:
        return _as_reply(*await _next(ctx))
    if word in _SKIP:
        await save_answer(ctx, question, None, True)
        return _as_reply(*await _next(ctx))
    try:
        parsed = parse_typed(question, text, ctx.clock.now())
    except AnswerError as error:
        return _retry(flow, question, str(error))
    return await _answer(ctx, flow, question, parsed)


async def on_choice(ctx: Context, custom_id: str, values: tuple[str, ...]) -> list[Action] | None:
    """A button, select or modal answer to one of our prompts (see the module docstring)."""
    if not custom_id.startswith(CUSTOM_ID_PREFIX):
        return None
    key = custom_id.removeprefix(CUSTOM_ID_PREFIX)
    progress = await ctx.store.onboarding.get_progress(ctx.member.id)
    if progress is None:
        return reply(
            tr(
                "The welcome questions aren't running right now. Type `{command}` to start them.",
                command=f"{ctx.prefix}onboard",
            )
        )
    if progress.status == "completed":
        return reply(
            tr(
                "You've already finished the welcome questions. Change your answers with "
                "`{profile}` and `{tags}`, or start again with `{onboard}`.",
                profile=f"{ctx.prefix}profile edit",
                tags=f"{ctx.prefix}tags",
                onboard=f"{ctx.prefix}onboard",
            )
        )
    flow = await load_flow(ctx)
    if progress.status == "awaiting_consent":
        if custom_id == CONSENT_ID:
            return await finish.on_consent(ctx, flow, (values[0] if values else "").casefold())
        return _as_reply([], await finish.consent_message(ctx, tr("Just one thing left:")))
    if custom_id == language.LANGUAGE_ID:
        return await _language_answer(ctx, values[0] if values else "", "")
    question = flow.by_key(key)
    if question is None:
        return _as_reply(
            *await _next(ctx, tr("That question isn't part of the welcome questions any more."))
        )
    try:
        parsed = parse_picked(question, values, ctx.clock.now())
    except AnswerError as error:
        return _retry(flow, question, str(error))
    return await _answer(ctx, flow, question, parsed)
