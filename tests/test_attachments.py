"""The pieces every attachment uses: safe file names, readable sizes, delivery keeping the file."""

from __future__ import annotations

from communitybot.delivery import deliver
from communitybot.events import CommunityRef
from communitybot.replies import Attachment, Message, SendToChannel, format_size, safe_filename
from tests.fakes import FakePlatform


def test_file_names_are_plain_and_never_a_path() -> None:
    assert safe_filename("engchat-2027-01-05", "md") == "engchat-2027-01-05.md"
    assert safe_filename("../../etc/passwd", ".ics") == "etc-passwd.ics"
    assert safe_filename("@everyone <@123>", "json") == "everyone-123.json"
    assert safe_filename("...", "md") == "file.md"
    assert len(safe_filename("x" * 500, "md")) == 103


def test_sizes_read_like_a_file_manager() -> None:
    assert format_size(1) == "1 byte"
    assert format_size(812) == "812 bytes"
    assert format_size(14_540) == "14.2 KB"
    assert format_size(8 * 1024 * 1024) == "8.0 MB"


async def test_delivery_neutralises_the_text_but_keeps_the_file_byte_for_byte() -> None:
    platform = FakePlatform()
    content = b'{"intro": "Hi @everyone"}'
    message = Message("Hi @everyone", attachment=Attachment("a.json", content, "application/json"))
    await deliver(
        platform, None, [SendToChannel(CommunityRef("fake", "c"), "general", message)], None
    )
    (sent,) = platform.take()
    assert "@everyone" not in sent.text
    assert sent.message.attachment is not None and sent.message.attachment.content == content
