"""Mentoring and peer-round commands.

Kept beside the feature that serves them; `communitybot.commands` joins every part into the one
catalogue the adapters generate their commands from.
"""

from __future__ import annotations

from communitybot.command_types import Command, Option
from communitybot.i18n import N_

_MENTOR_TAGS = Option(
    "tags",
    N_("Tags, separated by commas or spaces (maths, assessment)"),
    autocomplete="tags",
    max_length=500,
    rest=True,
)
"""A whole tag list, as `/tags add` takes it; typed, the note or goals follow as `note=…`."""

MENTORING_COMMANDS: tuple[Command, ...] = (
    Command(
        ("mentor", "offer"),
        N_("Offer to mentor: how many people (1–5), on which tags, and a short note"),
        (
            Option("capacity", N_("How many mentees at once (1–5)"), type="integer"),
            _MENTOR_TAGS,
            Option(
                "note",
                N_("A short note for your mentees"),
                required=False,
                max_length=300,
                rest=True,
            ),
        ),
        examples=(
            "mentor offer 2 maths, assessment note=Happy to help with first lessons",
            "mentor offer 1 #robotics",
        ),
    ),
    Command(
        ("mentor", "request"),
        N_("Ask for a mentor: the tags you want help with and your goals"),
        (
            _MENTOR_TAGS,
            Option(
                "goals", N_("What you hope to achieve"), required=False, max_length=300, rest=True
            ),
            Option(
                "window",
                N_("Only mentors within this many hours of your time zone, e.g. ±3h"),
                required=False,
                max_length=12,
            ),
        ),
        examples=(
            "mentor request maths, edtech goals=Get better at feedback",
            "mentor request robotics window=±3h",
        ),
    ),
    Command(
        ("mentor", "status"),
        N_("Your mentoring offer, request and pairings"),
        examples=("mentor status",),
        read_only=True,
    ),
    Command(
        ("mentor", "pause"),
        N_("Pause your mentoring offer (no new mentees)"),
        examples=("mentor pause",),
    ),
    Command(
        ("mentor", "resume"), N_("Resume your paused mentoring offer"), examples=("mentor resume",)
    ),
    Command(
        ("mentor", "end"),
        N_("End a mentoring pairing (or withdraw your request), with optional private feedback"),
        (
            Option("member", N_("Who you were paired with"), type="user", required=False),
            Option(
                "feedback",
                N_("Private feedback for the moderators"),
                required=False,
                max_length=500,
                rest=True,
            ),
        ),
        examples=(
            "mentor end",
            "mentor end ann Thank you, we covered what I needed",
        ),
    ),
    Command(
        ("mentor", "rematch"),
        N_("End your current mentoring pairing and be matched with a different mentor"),
        (
            Option(
                "feedback",
                N_("Private feedback for the moderators"),
                required=False,
                max_length=500,
                rest=True,
            ),
        ),
        examples=(
            "mentor rematch",
            "mentor rematch Our time zones did not fit",
        ),
    ),
    Command(
        ("mentor", "checkin"),
        N_("Answer a mentoring check-in: have you met yet?"),
        (
            Option("answer", N_("How it's going"), choices=(N_("met"), N_("not-yet"), N_("end"))),
            Option(
                "member", N_("Which pairing (if you have several)"), type="user", required=False
            ),
        ),
        examples=(
            "mentor checkin met",
            "mentor checkin not-yet ann",
        ),
    ),
    Command(
        ("mentoring", "match"),
        N_("Match open mentee requests with mentors (optimal for shared interests)"),
        (Option("dry_run", N_("Only preview the pairs"), type="boolean", required=False),),
        moderator_only=True,
        examples=(
            "mentoring match dry_run",
            "mentoring match",
        ),
    ),
    Command(
        ("mentoring", "settings"),
        N_("Show or change mentoring settings: automatic matching, check-in days, tag rule"),
        (
            Option(
                "auto_match",
                N_("Match each new request or offer at once"),
                type="boolean",
                required=False,
            ),
            Option(
                "checkin_days",
                N_("Days after an introduction until both sides are asked how it's going (3–90)"),
                type="integer",
                required=False,
                min_value=3,
                max_value=90,
            ),
            Option(
                "allow_no_shared_tags",
                N_("Pair a mentee with a mentor sharing none of their tags (off: they wait)"),
                type="boolean",
                required=False,
            ),
        ),
        moderator_only=True,
        examples=(
            "mentoring settings",
            "mentoring settings auto_match=on checkin_days=14",
        ),
    ),
    Command(
        ("network", "mentors", "match"),
        N_("Stewards: match mentees and mentors across every affiliate of the network"),
        (Option("dry_run", N_("Only preview the pairs"), type="boolean", required=False),),
        examples=(
            "network mentors match dry_run",
            "network mentors match",
        ),
        spans="network",
    ),
    Command(
        ("network", "mentors", "prefer-outside"),
        N_("Stewards: prefer mentors from another affiliate (someone outside your school)"),
        (
            Option(
                "state",
                N_("on (the default) or off; leave out to see the setting"),
                choices=(N_("on"), N_("off")),
                required=False,
            ),
        ),
        examples=(
            "network mentors prefer-outside",
            "network mentors prefer-outside off",
        ),
        spans="network",
    ),
    Command(
        ("network", "mentors", "settings"),
        N_("Stewards: show the network's mentoring settings, or match automatically on a schedule"),
        (
            Option(
                "auto_match",
                N_("Run network mentor matching by itself on a schedule"),
                type="boolean",
                required=False,
            ),
            Option(
                "every",
                N_("How often (default weekly)"),
                choices=(N_("weekly"), N_("biweekly"), N_("monthly")),
                required=False,
            ),
            Option("weekday", N_("Weekday (default monday)"), required=False, max_length=16),
            Option("time", N_("Time, 24-hour HH:MM (default 09:00)"), required=False, max_length=8),
            Option("timezone", N_("Time zone (default UTC)"), required=False, max_length=64),
        ),
        examples=(
            "network mentors settings",
            "network mentors settings auto_match=on every=weekly weekday=monday time=09:00 "
            "timezone=Europe/London",
            "network mentors settings auto_match=off",
        ),
        spans="network",
    ),
    Command(
        ("mentoring", "pairs"),
        N_("Active mentoring pairings with their last check-in (flagged ones first)"),
        moderator_only=True,
        examples=("mentoring pairs",),
        read_only=True,
    ),
)
