"""Privacy, linked accounts and networks in the reader's language.

The pseudo-language scenarios (`tests.pseudo_locale`) drive every privacy, link and network
command with its bad inputs; a link code or an invite code is only known once the bot said it,
so these scenarios read it from the reply (`Scenario`) instead of `assert_translated`'s fixed
lines. Then real Spanish and French: who reads a text decides its language — the member who
typed the command, the OTHER account a link confirmation goes to, each affiliate's moderators.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from communitybot.events import CommandInvoked, CommunityRef, ConversationRef
from communitybot.i18n import use_language
from communitybot.privacy.feature import stats as privacy_stats
from communitybot.store.stats import MemberCounts
from tests.conftest import COMMUNITY, Harness
from tests.fakes import Sent
from tests.pseudo_locale import pseudo_translated, untranslated
from tests.test_networks import Site

LINK_CODE = re.compile(r"\*\*([0-9A-Z]{4}-[0-9A-Z]{4})\*\*")
INVITE_CODE = re.compile(r"`([0-9A-Z]{4}-[0-9A-Z]{4})`")
SECOND = CommunityRef("fake", "b")
THIRD = CommunityRef("fake", "c")


@dataclass
class Scenario:
    """Commands on several communities of the harness's bot, each speaking the pseudo-language
    (while `pseudo_translated`); every sent text is checked for English outside brackets."""

    harness: Harness
    allowed: frozenset[str]
    found: list[str] = field(default_factory=list)
    sites: dict[str, Site] = field(default_factory=dict)

    def site(self, ref: CommunityRef = COMMUNITY) -> Site:
        return self.sites.setdefault(ref.space_id, Site(self.harness, ref))

    def _check(self, step: str) -> list[Sent]:
        sent = self.harness.platform.take()
        for message in sent:
            words = untranslated(message.text, self.allowed)
            if words:
                self.found.append(f"{step!r} → {message.where}: {words[:8]} in {message.text!r}")
        return sent

    async def run(self, name: str, line: str, ref: CommunityRef = COMMUNITY) -> list[Sent]:
        self.harness.platform.take()
        await self.site(ref).command(name, line)
        return self._check(f"{ref.space_id} {name}: {line}")

    async def invoke(self, who: str, path: tuple[str, ...], **options: object) -> list[Sent]:
        """A command with options the parser would refuse first (a Discord client can still
        send them): what the handler itself says."""
        self.harness.platform.take()
        site = self.site()
        await self.harness.bot.dispatch(
            CommandInvoked(
                COMMUNITY,
                site.user(who),
                ConversationRef("fake", "channel", "general"),
                path,
                dict(options),
            )
        )
        return self._check(f"{who}: {' '.join(path)} {options}")

    async def say(self, name: str, text: str) -> list[Sent]:
        self.harness.platform.take()
        await self.harness.say(name, text)
        return self._check(f"{name}> {text}")

    async def pick(self, name: str, custom_id: str, value: str) -> list[Sent]:
        self.harness.platform.take()
        await self.harness.pick(name, custom_id, value)
        return self._check(f"{name} picks {value}")

    async def leave(self, name: str) -> list[Sent]:
        self.harness.platform.take()
        await self.harness.leave(name)
        return self._check(f"-{name}")

    def later(self, **delta: float) -> None:
        self.harness.clock.advance(**delta)

    def assert_clean(self) -> None:
        assert not self.found, "untranslated texts:\n" + "\n".join(self.found)


def _code(sent: list[Sent], pattern: re.Pattern[str]) -> str:
    (code,) = {c for s in sent for c in pattern.findall(s.text)}
    return code


@pytest.fixture
async def scenario(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scenario]:
    """Communities community-1 (moderator `mod`), b (`bea`) and c (`cal`), each with a
    moderator log, all speaking the pseudo-language."""
    names = {"ana", "bob", "cy", "dan", "eve", "mod", "bea", "cal", "zed", "yan"}
    # Words the scenarios typed or the fake platform shows: names, the platform "fake", the
    # network's name, typed values and codes echoed back.
    allowed = frozenset(
        names | {n.capitalize() for n in names} | {"fake", "Maths", "North", "nobody", "ghost"}
    )
    story = Scenario(harness, allowed)
    for ref, moderator in ((COMMUNITY, "mod"), (SECOND, "bea"), (THIRD, "cal")):
        site = story.site(ref)
        await site.setup(moderator)
        community, _ = await harness.store.communities.ensure(ref, harness.clock.now())
        await harness.store.communities.update_settings(community.id, language="es")
    harness.platform.take()
    with pseudo_translated(monkeypatch, "es"):
        yield story


# Pseudo-language: every text is translated ------------------------------------------------------
@pytest.mark.sqlite_only
async def test_privacy_texts_are_translated(scenario: Scenario) -> None:
    s = scenario
    await s.run("ana", "/privacy show")
    await s.invoke("ana", ("privacy", "discoverable"), value="maybe")
    await s.run("ana", "/privacy discoverable network")
    await s.run("ana", "/privacy show")
    await s.run("ana", "/privacy discoverable off")
    await s.run("ana", "/privacy show")
    await s.run("ana", "/privacy discoverable on")
    await s.run("ana", "/privacy show")
    await s.run("ana", "/mydata")
    # /forgetme: a doubt, a no, an expired request, a button pressed too late, then a yes.
    await s.run("ana", "/forgetme")
    await s.say("ana", "maybe")
    await s.say("ana", "no")
    await s.pick("ana", "forgetme", "yes")
    await s.run("ana", "/forgetme")
    s.later(minutes=11)
    await s.say("ana", "yes")
    await s.run("ana", "/forgetme")
    await s.say("ana", "yes")
    await s.run("ana", "/mydata")  # nothing stored any more
    s.assert_clean()


@pytest.mark.sqlite_only
async def test_link_texts_are_translated(scenario: Scenario) -> None:
    s = scenario
    await s.run("ana", "/profile edit role tutor")
    code = _code(await s.run("ana", "/link"), LINK_CODE)
    await s.run("ana", f"/link {code}")  # its own code: refused, used up
    await s.run("bob", "/link not-a-code")
    for _ in range(5):
        await s.run("bob", "/link ABCD-EFGH")  # wrong, counting down the tries
    await s.run("bob", "/link ABCD-EFGH")  # too many: refused unread
    # An expired code.
    code = _code(await s.run("ana", "/link"), LINK_CODE)
    s.later(minutes=11)
    await s.run("cy", f"/link {code}")
    # Declined, then a confirmation that expires, then one pressed after it closed.
    code = _code(await s.run("ana", "/link"), LINK_CODE)
    await s.run("cy", f"/link {code}")
    await s.say("ana", "no")
    code = _code(await s.run("ana", "/link"), LINK_CODE)
    await s.run("cy", f"/link {code}")
    s.later(minutes=11)
    await s.say("ana", "yes")
    await s.pick("ana", "link:confirm", "yes")
    # Accepted and confirmed: the other account's DM, both moderator logs, the merged profile.
    code = _code(await s.run("ana", "/link"), LINK_CODE)
    sent = await s.run("cy", f"/link {code}")
    assert any(m.where == "dm:ana" for m in sent)
    sent = await s.say("ana", "yes")
    assert {"dm:cy", "#mod-community-1"} <= {m.where for m in sent}
    (linked,) = [m.text for m in sent if m.where == "reply:ana"]
    assert "your profiles are now one:⟧\n• ⟦fake “community-1”⟧: ⟦filled ⟦role⟧⟧" in linked
    await s.run("ana", "/link")  # lists the linked account
    await s.run("dan", "/link " + code)  # already used
    await s.run("ana", "/mydata")
    # A member running the moderators' unlink, a moderator's mistakes, then a revocation.
    await s.run("bob", "/unlink member=cy")
    await s.run("mod", "/unlink member=nobody")
    await s.run("mod", "/unlink member=bob")
    sent = await s.run("mod", "/unlink member=cy")
    assert any(m.where == "dm:cy" for m in sent)
    await s.run("ana", "/unlink")  # not linked any more
    # Linked again, then unlinked by the account itself, with a third account staying linked.
    for other in ("cy", "dan"):
        code = _code(await s.run("ana", "/link"), LINK_CODE)
        await s.run(other, f"/link {code}")
        await s.say("ana", "yes")
    await s.run("ana", "/unlink")
    # The whole person forgotten: the this/all question, a doubt, then "all".
    await s.run("cy", "/forgetme")
    await s.say("cy", "maybe")
    await s.say("cy", "all")
    s.assert_clean()


@pytest.mark.sqlite_only
async def test_network_texts_are_translated(scenario: Scenario) -> None:
    s = scenario
    a, b, c = COMMUNITY, SECOND, THIRD
    await s.run("mod", "/network show", a)  # in no network
    await s.run("mod", "/network leave", a)
    await s.invoke("mod", ("network", "create"), name="x" * 200)
    await s.invoke("mod", ("network", "create"), name="")
    await s.invoke("mod", ("network", "create"), name="bad\x07name")
    await s.run("mod", "/network create Maths North", a)
    await s.run("mod", "/network create Maths North", a)  # already in one
    # A member running the stewards' commands.
    await s.run("zed", "/network invite", a)
    await s.run("zed", "/network stats", a)
    await s.run("zed", "/network stewards remove mod", a)
    await s.run("zed", "/network show", a)
    code = _code(await s.run("mod", "/network invite", a), INVITE_CODE)
    await s.run("mod", "/network show", a)
    # Joining: not a code, five wrong ones, refused unread, then the right one an hour later.
    await s.run("bea", "/network join nonsense", b)
    for _ in range(5):
        await s.run("bea", "/network join ABCD-EFGH", b)
    await s.run("bea", "/network join ABCD-EFGH", b)
    s.later(minutes=61)
    sent = await s.run("bea", f"/network join {code}", b)
    assert {"#mod-community-1", "#mod-b"} <= {m.where for m in sent}
    await s.run("bea", f"/network join {code}", b)  # already in a network
    await s.run("cal", f"/network join {code}", c)  # already used
    old = _code(await s.run("mod", "/network invite", a), INVITE_CODE)
    s.later(days=8)
    await s.run("cal", f"/network join {old}", c)  # expired
    await s.run("mod", "/network stats", a)
    # Stewards.
    await s.run("zed", "/network show", a)
    await s.invoke("mod", ("network", "stewards", "add"), member="")
    await s.invoke("mod", ("network", "stewards", "remove"), member="")
    await s.run("mod", "/network stewards add nobody", a)
    await s.run("mod", "/network stewards add zed", a)
    await s.run("mod", "/network stewards add zed", a)
    await s.run("mod", "/network stewards remove ghost", a)
    await s.run("zed", "/network stewards remove mod", a)
    await s.run("mod", "/network stewards add mod", a)
    await s.run("zed", "/network stewards remove zed", a)  # the last steward stays
    # The last steward leaves the community: nobody stewards; a member, then a moderator.
    await s.run("mod", "/network stewards add zed", a)
    await s.leave("zed")
    await s.run("yan", "/network stewards add yan", a)
    await s.run("mod", "/network show", a)
    await s.run("bea", "/network stewards add bea", b)
    code = _code(await s.run("bea", "/network invite", b), INVITE_CODE)
    await s.run("cal", f"/network join {code}", c)
    # Leaving: one affiliate at a time, the last closes the network.
    await s.run("bea", "/network leave", b)
    await s.run("cal", "/network leave", c)
    await s.run("mod", "/network leave", a)
    s.assert_clean()


# Real Spanish and French -------------------------------------------------------------------------
async def _speaks(harness: Harness, name: str, code: str) -> None:
    await harness.command(name, f"/profile edit language {code}")
    harness.platform.take()


@pytest.mark.sqlite_only
async def test_forgetme_in_spanish_answered_si_deletes(harness: Harness) -> None:
    await _speaks(harness, "ana", "es")
    text = await harness.reply_text("ana", "/forgetme")
    assert "Esto borra todo lo que guardo sobre ti en esta comunidad" in text
    assert "**¿Lo borro todo?** Responde **sí** o **no** en los próximos 10 minutos." in text
    await harness.say("ana", "¡Sí!")
    (done,) = harness.platform.texts("reply:ana")
    assert done.startswith("Hecho: todo está borrado.")
    assert await harness.find_member("ana") is None


@pytest.mark.sqlite_only
async def test_a_translated_yes_counts_only_in_the_readers_language(harness: Harness) -> None:
    """ "si" is no answer for an English reader (nor "oui" for a Spanish one): asked again,
    nothing deleted; a doubtful "sí?" deletes nothing either."""
    await harness.command("bob", "/forgetme")
    harness.platform.take()
    await harness.say("bob", "si")
    (text,) = harness.platform.texts("reply:bob")
    assert "I'm waiting for your answer to `forgetme`" in text
    assert await harness.find_member("bob") is not None
    await _speaks(harness, "ana", "es")
    await harness.command("ana", "/forgetme")
    for doubt in ("oui", "sí?"):
        harness.platform.take()
        await harness.say("ana", doubt)
        (text,) = harness.platform.texts("reply:ana")
        assert text.startswith("Espero tu respuesta a `forgetme`")
    assert await harness.find_member("ana") is not None
    await harness.say("ana", "cancelar")
    assert harness.platform.texts("reply:ana") == ["De acuerdo: no se borró nada."]
    assert await harness.find_member("ana") is not None


@pytest.mark.sqlite_only
async def test_a_french_members_mydata(harness: Harness) -> None:
    await _speaks(harness, "eve", "fr")
    harness.platform.take()
    await harness.command("eve", "/mydata")
    (sent,) = harness.platform.take()
    assert sent.text == (
        "Vos données de cette communauté sont jointes en JSON : profil, étiquettes, réponses "
        "d’accueil, discussions, mentorat, comptes liés et tout le reste : tout ce que "
        "j’enregistre à votre sujet.\n`/forgetme` supprime tout."
    )
    attachment = sent.message.attachment
    assert attachment is not None
    data = json.loads(attachment.content)
    assert data["memberships"][0]["profile"]["display_name"] == "Eve"  # keys stay English


@pytest.mark.sqlite_only
async def test_each_account_reads_the_link_in_its_own_language(harness: Harness) -> None:
    """Ana (French) makes the code, Bob (Spanish) types it: each reply, DM and answer in the
    reader's language; the moderator log in the community's (English)."""
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/setup modlog_channel=mod-log")
    await _speaks(harness, "ana", "fr")
    await _speaks(harness, "bob", "es")
    text = await harness.reply_text("ana", "/link")
    assert "Votre code de liaison à usage unique" in text
    (code,) = LINK_CODE.findall(text)
    await harness.command("bob", f"/link {code}")
    sent = harness.platform.take()
    (accepted,) = [s.text for s in sent if s.where == "reply:bob"]
    (ask,) = [s.text for s in sent if s.where == "dm:ana"]
    assert accepted.startswith(
        "Código aceptado. **Confírmalo desde tu otra cuenta** (**Ana** (fake))"
    )
    assert ask.startswith("🔗 **Bob** (fake) a tapé votre code de liaison")
    assert "Répondez **oui** ou **non** dans les 10 minutes." in ask
    await harness.say("ana", "Oui")
    sent = harness.platform.take()
    (mine,) = [s.text for s in sent if s.where == "reply:ana"]
    (theirs,) = [s.text for s in sent if s.where == "dm:bob"]
    (logged,) = [s.text for s in sent if s.where == "#mod-log"]
    assert mine.startswith("Lié ✅ Ce compte est désormais lié à :\n• **Bob** (fake)")
    assert theirs.startswith("🔗 Vinculadas ✅ **Ana** (fake) lo confirmó")
    assert logged == "🔗 **Ana** (fake) and **Bob** (fake) linked their accounts (one person)."
    # Bob forgets the whole person, in Spanish: "todas".
    text = await harness.reply_text("bob", "/forgetme")
    assert "Responde **esta**, **todas** o **no**" in text
    await harness.say("bob", "todas")
    (done,) = harness.platform.texts("reply:bob")
    assert done.startswith("Hecho: todo está borrado para las 2 cuentas vinculadas.")
    assert await harness.find_member("ana") is None and await harness.find_member("bob") is None


@pytest.mark.sqlite_only
async def test_network_notes_reach_each_affiliate_in_its_language(harness: Harness) -> None:
    a, b = Site(harness, COMMUNITY), Site(harness, SECOND)
    await a.setup("ann")
    await b.setup("bea")
    for ref, code in ((COMMUNITY, "es"), (SECOND, "fr")):
        community, _ = await harness.store.communities.ensure(ref, harness.clock.now())
        await harness.store.communities.update_settings(community.id, language=code)
    text = await a.reply("ann", "/network create Maths North")
    assert text.startswith("Se creó la red **“Maths North”**")
    (code,) = INVITE_CODE.findall(await a.reply("ann", "/network invite"))
    text = await b.reply("bea", "/network join ZZZZ-ZZZZ")
    assert "(encore 4 essais cette heure-ci)" in text
    assert b.logged() == [
        "🔐 Bea a essayé un code d’invitation au réseau erroné (1 sur 5 cette heure-ci)."
    ]
    text = await b.reply("bea", f"/network join {code}")
    assert text.startswith("Cette communauté est désormais affiliée au réseau **“Maths North”**")
    notes = {s.where: s.text for s in b.sent if s.where.startswith("#mod-")}
    assert notes[a.modlog].startswith("🌐 Se usó el código de invitación creado aquí")
    assert notes[b.modlog].startswith("🌐 “Bea” (fake « b ») a fait entrer cette communauté")
    text = await a.reply("ann", "/network stats")
    assert "📊 Red **“Maths North”**: 2 comunidades afiliadas" in text
    # A member who chose English reads English, whatever the community speaks.
    await a.command("ann", "/profile edit language en")
    text = await a.reply("ann", "/network show")
    assert text.startswith("🌐 Network **“Maths North”**")


async def test_the_privacy_stats_line_in_french() -> None:
    counts = MemberCounts(present=12, discoverable=9, wants_mentor=0, offers_mentor=0)
    with use_language("fr"):
        (line,) = await privacy_stats(None, counts)  # type: ignore[arg-type]  # ctx unused
    assert line == "• Visibles : 9 sur 12"
