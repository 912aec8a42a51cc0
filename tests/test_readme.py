"""The README and docs/ as a newcomer uses them: the walk-through pasted into the real console
does what it says, the two commands at the top are the ones CI runs, and every relative link
leads to a file and heading that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_console import ROOT, communitybot

README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
WALK_THROUGH_HEADING = "## Try it in the console"
ERRORS = (
    "I don't know",
    "Nobody is typing",
    "Only moderators",
    "Usage:",
    "Too many values",
    "must be",
    "A name is one word",
    "takes nothing",
    "did you mean",
    "Nothing was changed",
)
_FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def code_block_after(text: str, heading: str, language: str) -> str:
    """The first ```language block after `heading` in `text`."""
    section = text[text.index(heading) :]
    match = re.search(rf"^```{language}\n(.*?)^```", section, re.DOTALL | re.MULTILINE)
    assert match, f"no ```{language} block under {heading!r}"
    return match.group(1)


def test_the_readme_walk_through_pasted_into_the_console_does_what_it_says(
    tmp_path: Path,
) -> None:
    walk_through = code_block_after(README.read_text("utf-8"), WALK_THROUGH_HEADING, "text")
    assert " # " in walk_through, "the walk-through is annotated with comments"
    run = communitybot(tmp_path, "run", "--db", str(tmp_path / "bot.db"), stdin=walk_through)
    assert run.code == 0 and "Traceback" not in run.stderr, run.stderr
    said = [line for line in run.lines if line.startswith(("[reply:", "[console]"))]
    assert not [line for line in said if any(error in line for error in ERRORS)], run.stdout

    bob = run.at("reply:bob")
    assert "Added **edtech**, **maths** to your profile." in bob, "#edtech is a tag, not a note"
    assert any(line.startswith("1. alice") for line in bob), "bob's /peers finds alice"
    assert any(line.startswith("• Not set yet:") for line in bob), "/stats: what to set up"
    assert any(line.startswith("Saved.") for line in bob), "/setup stored the channels"
    assert any("Peer rounds are on" in line for line in bob)
    assert any("1 group(s) introduced" in line for line in bob), run.stdout
    introduction = run.at("group:alice,bob")
    assert introduction and "alice, meet bob" in introduction[0], run.stdout


def test_the_readme_network_walk_through_joins_a_second_affiliate(tmp_path: Path) -> None:
    """Pasted as it is, but with the code the first half really printed (codes are random):
    the two halves run one after the other on the same database file."""
    walk_through = code_block_after(
        README.read_text("utf-8"), "### A network of two affiliates", "text"
    )
    first, switch, second = walk_through.partition(":community school-b")
    database = str(tmp_path / "bot.db")
    run = communitybot(tmp_path, "run", "--db", database, stdin=first)
    assert run.code == 0 and "Traceback" not in run.stderr, run.stderr
    code = re.search(r"Invite code for .*: \*\*`([0-9A-Z]{4}-[0-9A-Z]{4})`", run.stdout)
    assert code, run.stdout
    typed = re.sub(r"/network join \S+", f"/network join {code.group(1)}", switch + second)
    assert typed != switch + second
    run = communitybot(tmp_path, "run", "--db", database, stdin=typed)
    assert run.code == 0 and "Traceback" not in run.stderr, run.stderr
    said = [line for line in run.lines if line.startswith(("[reply:", "[console]", "[school"))]
    assert not [line for line in said if any(error in line for error in ERRORS)], run.stdout
    bob = [line for line in run.lines if "reply:bob" in line]
    assert any("is now an affiliate of the network" in line for line in bob), run.stdout
    assert any("Affiliates (2)" in line for line in bob), run.stdout
    assert any("alice" in line and "Stewards" in line for line in bob), run.stdout
    alice = [line for line in run.lines if "reply:alice" in line]
    found = [line for line in alice if line.startswith("[school-a reply:alice] 1. “bob”")]
    assert found and "console “school-b”" in found[0], run.stdout
    assert "shares maths, assessment" in found[0], run.stdout  # the network's tag, linked
    assert any("📊 Network" in line for line in alice), run.stdout
    assert any("Breaking silos" in line for line in alice), run.stdout


def test_the_two_commands_at_the_top_are_make_run_and_make_test() -> None:
    first_block = re.search(r"^```sh\n(.*?)^```", README.read_text("utf-8"), re.S | re.M)
    assert first_block
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make run", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text("utf-8")


def anchors(page: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, repeats -1…"""
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", _FENCE.sub("", page.read_text("utf-8")), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def relative_links(page: Path) -> list[str]:
    text = _FENCE.sub("", page.read_text("utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)  # code spans are not links
    return [
        target
        for target in _LINK.findall(text)
        if not re.match(r"[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto: …
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_relative_link_leads_to_an_existing_file_and_heading(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no heading #{anchor} in {destination.name}")
    assert not broken, broken


def test_the_readme_links_every_docs_page() -> None:
    linked = {Path(target.partition("#")[0]).name for target in relative_links(README)}
    unlinked = [page.name for page in PAGES[1:] if page.name not in linked]
    assert not unlinked, f"docs pages a reader cannot reach from the README: {unlinked}"
