"""What a year of a large community does, seeded for `benchmarks/dashboard.py` (issue #16):
mentoring, peer rounds, chats, and a network of affiliates around the community.

At `n` members (sizes scale with it; the figures are for 100,000):
- mentoring: n/20 mentor pairs (5,000) made over the last year, three in ten ended since, one
  in fifty flagged; a check-in for both sides every 14 days of a pair's life (about 150,000),
  most answered; n/70 mentors offering (with tags) and n/200 open requests (with tags);
- peer rounds: n/33 members in the rounds (3,000), a weekly round for 52 weeks, groups of
  three (about 52,000 groups, 156,000 memberships), four in five answered, one group in ten
  with a member of another affiliate (a network round);
- chats: 3 weekly series with a run a week for a year, 60 messages and 80 exchanges a run;
  one series is the network's, with legs in 5 affiliates and writers from them;
- a network of 20 affiliates: this community and 19 smaller ones (n/8 down to n/80 members,
  about 65,000 in all, onboarding and asks as here), its moderator the steward, and n/100
  mentor pairs (1,000) whose mentor is in another affiliate.

Plain sqlite3 inserts into a store the migrations made, as `dashboard._seed` does: seconds, not
the minutes the stores' one-row-at-a-time writes would take.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import numpy as np

from communitybot.store.timefmt import to_db

YEAR = 365
AFFILIATES = 19


def seed_network(
    conn: sqlite3.Connection, community_id: int, steward_id: int, n: int, now: datetime
) -> tuple[int, list[int]]:
    """The network and its other affiliates with their members; (network id, their ids)."""
    rng = np.random.default_rng(17)
    network_id = conn.execute(
        "INSERT INTO networks (name, created_at) VALUES ('Bench network', ?) RETURNING id",
        (to_db(now - timedelta(days=YEAR)),),
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO network_affiliates (community_id, network_id, joined_at) VALUES (?, ?, ?)",
        (community_id, network_id, to_db(now - timedelta(days=YEAR))),
    )
    conn.execute(
        "INSERT INTO network_stewards (network_id, member_id, added_at) VALUES (?, ?, ?)",
        (network_id, steward_id, to_db(now - timedelta(days=YEAR))),
    )
    others = []
    next_member = conn.execute("SELECT max(id) + 1 FROM members").fetchone()[0]
    for k in range(AFFILIATES):
        other = conn.execute(
            "INSERT INTO communities (platform, space_id, name, created_at)"
            " VALUES ('fake', ?, ?, ?) RETURNING id",
            (f"affiliate-{k}", f"Affiliate {k}", to_db(now - timedelta(days=YEAR))),
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO network_affiliates (community_id, network_id, joined_at) VALUES (?, ?, ?)",
            (other, network_id, to_db(now - timedelta(days=YEAR - k))),
        )
        size = max(50, n // (8 + 4 * k))
        joined = [now - timedelta(days=float(d)) for d in rng.random(size) * YEAR]
        gone = rng.random(size) < 0.1
        conn.executemany(
            "INSERT INTO members (id, community_id, platform, user_id, display_name, joined_at,"
            " left_at) VALUES (?, ?, 'fake', ?, ?, ?, ?)",
            (
                (
                    next_member + i,
                    other,
                    f"a{k}-{i}",
                    f"Affiliate {k} member {i}",
                    to_db(joined[i]),
                    to_db(now) if gone[i] else None,
                )
                for i in range(size)
            ),
        )
        conn.executemany(
            "INSERT INTO onboarding_progress (member_id, status, started_at) VALUES (?, ?, ?)",
            (
                (next_member + i, "completed" if i % 3 else "active", to_db(joined[i]))
                for i in range(size)
            ),
        )
        conn.executemany(
            "INSERT INTO asks (community_id, member_id, problem, channel_id, remind_days,"
            " created_at, outcome, resolved_at) VALUES (?, ?, ?, 'c', 7, ?, ?, ?)",
            (
                (
                    other,
                    next_member + i,
                    f"Problem {i}",
                    to_db(joined[i]),
                    "done" if i % 3 else None,
                    to_db(joined[i] + timedelta(days=3)) if i % 3 else None,
                )
                for i in range(0, size, 50)
            ),
        )
        next_member += size
        others.append(other)
    return network_id, others


def _present(conn: sqlite3.Connection, community_id: int) -> np.ndarray:
    rows = conn.execute(
        "SELECT id FROM members WHERE community_id = ? AND left_at IS NULL ORDER BY id",
        (community_id,),
    ).fetchall()
    return np.array([row[0] for row in rows])


def seed_mentoring(
    conn: sqlite3.Connection,
    community_id: int,
    others: list[int],
    n: int,
    now: datetime,
) -> None:
    rng = np.random.default_rng(18)
    present = _present(conn, community_id)
    outside = np.concatenate([_present(conn, other) for other in others]) if others else present
    tags = [
        row[0]
        for row in conn.execute("SELECT id FROM tags WHERE community_id = ?", (community_id,))
    ]
    first_pair = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM mentor_pairs").fetchone()[0]
    pairs, checkins = [], []
    total = n // 20 + n // 100
    for k in range(total):
        crossing = k >= n // 20
        mentor = int(
            (outside if crossing else present)[
                rng.integers(0, len(outside if crossing else present))
            ]
        )
        mentee = int(present[rng.integers(0, len(present))])
        created = now - timedelta(days=float(rng.random() * YEAR))
        ended = created + timedelta(days=float(rng.random() * 200)) if rng.random() < 0.3 else None
        if ended is not None and ended >= now:
            ended = None
        flagged = to_db(now - timedelta(days=3)) if ended is None and rng.random() < 0.02 else None
        pair_id = first_pair + k
        pairs.append(
            (
                pair_id,
                community_id,
                mentor,
                mentee,
                f"bench-{k}",
                "ended" if ended else "active",
                to_db(created),
                to_db(ended) if ended else None,
                flagged,
            )
        )
        asked, round_no, until = created + timedelta(days=14), 1, ended or now
        while asked < until:
            for member in (mentor, mentee):
                roll = rng.random()
                answer = "met" if roll < 0.6 else "not_yet" if roll < 0.8 else None
                answered = to_db(asked + timedelta(hours=5)) if answer else None
                checkins.append((pair_id, member, round_no, to_db(asked), answer, answered))
            asked += timedelta(days=14)
            round_no += 1
    conn.executemany(
        "INSERT INTO mentor_pairs (id, community_id, mentor_id, mentee_id, round_key, score,"
        " shared, status, created_at, ended_at, flagged_at)"
        " VALUES (?, ?, ?, ?, ?, 2, 'maths', ?, ?, ?, ?)",
        pairs,
    )
    conn.executemany(
        "INSERT INTO mentor_checkins (pair_id, member_id, round, asked_at, answer, answered_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        checkins,
    )
    people = rng.choice(present, size=min(len(present), n // 70 + n // 200), replace=False)
    mentors, mentees = people[: n // 70], people[n // 70 :]
    conn.executemany(
        "INSERT INTO mentor_offers (member_id, capacity, updated_at) VALUES (?, ?, ?)",
        ((int(m), int(rng.integers(1, 4)), to_db(now)) for m in mentors),
    )
    conn.executemany(
        "INSERT INTO mentee_requests (member_id, goals, status, updated_at)"
        " VALUES (?, 'Grow', 'open', ?)",
        ((int(m), to_db(now - timedelta(days=float(rng.random() * 60)))) for m in mentees),
    )
    for table, who in (("mentor_offer_tags", mentors), ("mentee_request_tags", mentees)):
        conn.executemany(
            f"INSERT INTO {table} (member_id, tag_id) VALUES (?, ?)",
            (
                (int(m), int(t))
                for m in who
                for t in rng.choice(tags, size=min(len(tags), 2), replace=False)
            ),
        )


def seed_rounds(
    conn: sqlite3.Connection, community_id: int, others: list[int], n: int, now: datetime
) -> None:
    rng = np.random.default_rng(19)
    present = _present(conn, community_id)
    outside = np.concatenate([_present(conn, other) for other in others]) if others else present
    people = rng.choice(present, size=min(len(present), max(3, n // 33)), replace=False)
    conn.executemany(
        "INSERT INTO round_members (member_id, community_id, status, confirmed_at, updated_at)"
        " VALUES (?, ?, 'active', ?, ?)",
        ((int(m), community_id, to_db(now), to_db(now)) for m in people),
    )
    group_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM round_groups").fetchone()[0]
    groups, memberships = [], []
    for week in range(52):
        started = now - timedelta(weeks=52 - week)
        round_id = conn.execute(
            "INSERT INTO rounds (community_id, round_key, trigger, started_at)"
            " VALUES (?, ?, 'schedule', ?) RETURNING id",
            (community_id, f"{started:%G-W%V}", to_db(started)),
        ).fetchone()[0]
        order = rng.permutation(people)
        for g in range(len(order) // 3):
            closed = to_db(started + timedelta(days=7)) if week < 51 else None
            groups.append(
                (group_id, round_id, community_id, f"bench-{group_id}", to_db(started), closed)
            )
            members = [int(m) for m in order[3 * g : 3 * g + 3]]
            if rng.random() < 0.1:
                members[2] = int(outside[rng.integers(0, len(outside))])
            for member in members:
                roll = rng.random()
                answer = "yes" if roll < 0.6 else "no" if roll < 0.8 else None
                asked = started + timedelta(days=5)
                memberships.append(
                    (group_id, to_db(asked), answer, to_db(asked) if answer else None, member)
                )
            group_id += 1
    conn.executemany(
        "INSERT INTO round_groups (id, round_id, community_id, idempotency_key, shared,"
        " created_at, closed_at) VALUES (?, ?, ?, ?, 'maths', ?, ?)",
        groups,
    )
    conn.executemany(
        "INSERT INTO round_group_members (group_id, member_id, asked_at, answer, answered_at,"
        " community_id) SELECT ?, id, ?, ?, ?, community_id FROM members WHERE id = ?"
        " ON CONFLICT (group_id, member_id) DO NOTHING",
        memberships,
    )
    # what `store.rounds.add_groups` writes with the seats (migration 0040): each group's one
    # community, and the count of such groups per (community, month)
    first = groups[0][0] if groups else group_id
    conn.execute(
        "UPDATE round_groups SET seat_community = (SELECT min(gm.community_id)"
        " FROM round_group_members gm WHERE gm.group_id = round_groups.id)"
        " WHERE id >= ? AND (SELECT min(gm.community_id) FROM round_group_members gm"
        " WHERE gm.group_id = round_groups.id) = (SELECT max(gm.community_id)"
        " FROM round_group_members gm WHERE gm.group_id = round_groups.id)",
        (first,),
    )
    conn.execute(
        "INSERT INTO round_meeting_months (community_id, month, meetings)"
        " SELECT seat_community, substr(created_at, 1, 7), count(*) FROM round_groups"
        " WHERE id >= ? AND seat_community IS NOT NULL"
        " GROUP BY seat_community, substr(created_at, 1, 7)"
        " ON CONFLICT (community_id, month)"
        " DO UPDATE SET meetings = round_meeting_months.meetings + excluded.meetings",
        (first,),
    )


def seed_chats(
    conn: sqlite3.Connection,
    community_id: int,
    network_id: int,
    others: list[int],
    now: datetime,
) -> None:
    rng = np.random.default_rng(20)
    present = _present(conn, community_id)
    legs = others[:4]
    writers_elsewhere = {other: _present(conn, other) for other in legs}
    messages, exchanges, leg_rows = [], [], []
    for s in range(3):
        network = network_id if s == 2 else None
        series_id = conn.execute(
            "INSERT INTO chat_series (community_id, hashtag, title, channel_id, kind, timezone,"
            " local_time, anchor, created_at, network_id)"
            " VALUES (?, ?, ?, ?, 'weekly', 'UTC', '19:00', ?, ?, ?) RETURNING id",
            (
                community_id,
                f"chat{s}",
                f"Chat {s}",
                f"chat-channel-{s}",
                (now - timedelta(days=YEAR)).date().isoformat(),
                to_db(now - timedelta(days=YEAR)),
                network,
            ),
        ).fetchone()[0]
        for week in range(52):
            started = now - timedelta(weeks=52 - week, hours=s)
            run_id = conn.execute(
                "INSERT INTO chat_runs (series_id, community_id, started_at, ends_at,"
                " conversation_id, in_thread, title, status, network_id)"
                " VALUES (?, ?, ?, ?, ?, 0, ?, 'ended', ?) RETURNING id",
                (
                    series_id,
                    community_id,
                    to_db(started),
                    to_db(started + timedelta(hours=1)),
                    f"chat-channel-{s}",
                    f"Chat {s}",
                    network,
                ),
            ).fetchone()[0]
            writers = [(community_id, int(m)) for m in rng.choice(present, size=20, replace=False)]
            if network is not None:
                for other in legs:
                    leg_rows.append((run_id, other, f"leg-{other}-{s}", 0, "open"))
                    pool = writers_elsewhere[other]
                    writers += [
                        (other, int(m))
                        for m in rng.choice(pool, size=min(5, len(pool)), replace=False)
                    ]
            for seq in range(60):
                home, member = writers[int(rng.integers(0, len(writers)))]
                messages.append(
                    (
                        run_id,
                        f"msg-{run_id}-{seq}",
                        member,
                        seq // 15,
                        "An answer",
                        to_db(started + timedelta(seconds=seq * 50)),
                        seq + 1,
                        home,
                    )
                )
            seen = set()
            for _ in range(80):
                one = writers[int(rng.integers(0, len(writers)))][1]
                other = writers[int(rng.integers(0, len(writers)))][1]
                if one != other and (one, other) not in seen:
                    seen.add((one, other))
                    exchanges.append((run_id, one, other))
    conn.executemany(
        "INSERT INTO chat_run_messages (run_id, message_id, member_id, question, text,"
        " posted_at, seq, community_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        messages,
    )
    conn.executemany(
        "INSERT INTO chat_run_exchanges (run_id, member_id, other_id) VALUES (?, ?, ?)",
        exchanges,
    )
    conn.executemany(
        "INSERT INTO chat_legs (run_id, community_id, conversation_id, in_thread, status)"
        " VALUES (?, ?, ?, ?, ?)",
        leg_rows,
    )
