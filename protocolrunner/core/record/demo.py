"""A realistic sample community, for trying the app and for benchmarks.

Everything is drawn from a seeded random generator, so the same seed gives the same record.
"""

from __future__ import annotations

import random
from collections import deque
from datetime import datetime, timedelta
from pathlib import Path

from ..base.atomic import write_atomic
from ..protocol.library import Library
from ..session.clock import FakeClock
from ..session.engine import Session
from ..session.roles import PastSession, propose_fair
from .folder import Record, session_file_name, session_record, session_toml
from .models import Community, Member

DEMO_PROTOCOLS = ("consultancy", "tuning", "atlas-looking-at-data")
"""The bundled protocols the demo draws its sessions from. Fixed, so that adding a bundled
protocol does not change the demo record a seed gives (snapshot tests depend on it)."""

MEMBERS = [
    ("Ana Souza", "Grade 7 maths"),
    ("Ben Okafor", "Grade 8 science"),
    ("Cleo Martin", "English, Years 9-10"),
    ("Dev Patel", "Learning support"),
    ("Eli Novak", "History"),
    ("Fatima Haddad", "Grade 6 homeroom"),
    ("Gus Lindqvist", "Music"),
    ("Hana Sato", "Instructional coach"),
    ("Ivo Petrov", "Physical education"),
    ("Jo Keller", "Grade 7 maths"),
]

TOPICS = [
    "students who stop participating after a low grade",
    "getting quiet students to speak in whole-class discussion",
    "homework completion in Grade 8",
    "feedback that students actually read",
    "group work where one student does everything",
    "using exit tickets to plan the next lesson",
    "students copying answers from each other",
    "a unit on fractions that never lands",
    "parents who disagree with our grading policy",
    "keeping the lab safe without killing curiosity",
    "reading stamina in Year 9",
    "late work and deadlines",
    "co-teaching with a colleague who plans differently",
    "phones in class",
    "writing conferences with 30 students",
]

QUESTIONS = [
    "How might I {verb} {topic}?",
    "What could I try next about {topic}?",
    "Why does my approach to {topic} work for some classes and not others?",
    "How do I know whether my changes to {topic} are helping?",
]
VERBS = ["respond to", "rethink", "work with", "get ahead of", "make sense of"]

NOTES = {
    "clarifying": [
        "How many students are in the class?",
        "When in the day does this class meet?",
        "What did the students do just before?",
        "How long has this been going on?",
        "Who else teaches these students?",
        "What does the rubric say?",
    ],
    "probing": [
        "What would it look like if this were working?",
        "What do you assume the students think is going on?",
        "What have you not tried because it felt too risky?",
        "Whose voice is missing from your account?",
        "What would you do if there were no grades?",
    ],
    "discussion": [
        "We heard that the quiet students talk in small groups but not in front of everyone.",
        "An assumption at work may be that participation means talking.",
        "We did not hear much about what students say about it.",
        "Maybe wait time is doing more work than the questions are.",
        "Could the seating plan be part of it?",
        "It sounds like the dilemma is partly about time, not only about students.",
    ],
    "takeaways": [
        "I had not seen how much I fill the silence myself.",
        "I want to ask the students before changing anything else.",
        "The point about assumptions stayed with me.",
        "I will try one change for two weeks and bring the data back.",
    ],
    "warm": [
        "The goals are clear and students can say them back.",
        "The task connects to something students care about.",
        "The rubric language is student friendly.",
        "The sequence builds well from concrete to abstract.",
    ],
    "cool": [
        "I wonder whether the second task is too long for one lesson.",
        "I wonder how students who finish early are stretched.",
        "I wonder if the rubric rewards neatness more than thinking.",
        "I wonder where students get feedback before the final piece.",
    ],
    "observations": [
        "Twelve of the 28 students left question 4 blank.",
        "Scores on the reasoning items are lower than on the calculation items.",
        "Most errors in part B involve units.",
        "The same five students scored highest on every item.",
    ],
    "interpretations": [
        "Maybe question 4 was reached after time ran out.",
        "Students may not see reasoning as part of maths.",
        "The units errors could come from copying numbers without reading the context.",
        "It might suggest the task favours fast readers.",
    ],
    "implications": [
        "Try a short daily routine on units.",
        "Give reasoning items earlier in the test.",
        "Look at the same items for last year's group.",
        "Ask students to explain one answer aloud each lesson.",
    ],
    "process": [
        "Keeping to time helped; the discussion felt less rushed than last time.",
        "Clarifying and probing questions blurred again.",
        "The presenter said listening in silence was hard but useful.",
        "We should bring the artefacts on paper next time.",
    ],
}

ACTIONS = [
    "{name} will try cold-calling with wait time for two weeks",
    "{name} will bring student work samples next meeting",
    "{name} will ask the class for written feedback on group roles",
    "{name} will share the revised rubric",
    "{name} will try exit tickets three times a week",
]

REFLECTIONS = [
    "A useful session; we kept to time.",
    "Good energy. We ran over in the discussion step again.",
    "The focusing question changed during probing, which helped.",
    "",
]


def _bank(capture_id: str) -> list[str]:
    for key, phrases in NOTES.items():
        if key in capture_id:
            return phrases
    if "question" in capture_id:
        return NOTES["probing"]
    return NOTES["process"]


def demo_community() -> Community:
    return Community(
        name="Riverside Teaching Circle",
        purpose=(
            "Teachers from three schools who meet to look closely at student work and at the "
            "dilemmas of our own classrooms, so that each of us teaches a little better."
        ),
        goals=[
            "Every member presents a dilemma or piece of work at least once a term.",
            "Try one new strategy between meetings and report back.",
        ],
        norms=[
            "Hard on the content, soft on the people.",
            "Step up, step back.",
            "What is said here stays here; what is learned here leaves here.",
            "Start and end on time.",
        ],
        cadence="Every other Tuesday, 15:30-16:30",
        members=[Member(name=name, note=note) for name, note in MEMBERS],
    )


def write_demo(
    root: Path,
    library: Library,
    sessions: int = 40,
    seed: int = 1,
    end: datetime | None = None,
) -> Record:
    """Create a record at ``root`` with ``sessions`` varied sessions of the library's protocols."""
    rng = random.Random(seed)
    community = demo_community()
    record = Record.init(root, community)
    protocols = [
        entry for entry in library if entry.source.kind == "bundled" and entry.id in DEMO_PROTOCOLS
    ] or list(library)
    if not protocols:
        raise ValueError("no protocols to make sessions from")
    last = end or datetime(2026, 11, 17, 15, 30).astimezone()
    spacing = timedelta(days=14) if sessions <= 200 else timedelta(days=14 * 200 / sessions)
    history: deque[PastSession] = deque(maxlen=60)
    names = [name for name, _ in MEMBERS]
    for i in range(sessions):
        entry = protocols[rng.randrange(len(protocols))]
        protocol = entry.protocol
        start = (last - spacing * (sessions - 1 - i)).replace(microsecond=0)
        low = max(protocol.group_size.min, 4)
        high = min(protocol.group_size.max or len(names), len(names))
        present = rng.sample(names, rng.randint(low, max(low, high)))
        proposal = propose_fair(protocol, present, list(history))
        clock = FakeClock(start)
        topic = rng.choice(TOPICS)
        setup = {}
        for question in protocol.setup:
            if question.id in ("focus", "question"):
                template = rng.choice(QUESTIONS)
                setup[question.id] = template.format(verb=rng.choice(VERBS), topic=topic)
            elif question.required or rng.random() < 0.6:
                setup[question.id] = f"Student work and class results touching on {topic}."
        session = Session(
            protocol,
            attendees=present,
            roles=proposal.roles,
            setup=setup,
            clock=clock,
            session_id=f"{rng.getrandbits(32):08x}",
            community=community.name,
        )
        session.start()
        early = rng.random() < 0.08
        stop_at = rng.randrange(1, len(session.runs)) if early else len(session.runs)
        for index in range(stop_at):
            if index:
                session.next()
            run = session.runs[index]
            if rng.random() < 0.15:
                session.extend(60)
            clock.advance(max(30, run.budget * rng.uniform(0.8, 1.25)))
            for field in run.step.capture:
                lines = rng.sample(_bank(field.id), k=min(len(_bank(field.id)), rng.randint(1, 3)))
                session.set_note(index, field.id, "\n".join(f"- {line}" for line in lines))
        presenter = proposal.roles.get("presenter") or present[:1]
        for _ in range(rng.randint(0, 2)):
            action = rng.choice(ACTIONS).format(name=presenter[0].split()[0])
            session.add_action(action, presenter[0])
            session.actions[-1].done = rng.random() < 0.4
        session.set_reflection(rng.choice(REFLECTIONS))
        session.end(completed=not early)
        saved = session_record(session, entry.sha256)
        path = record.sessions_dir / f"{saved.started:%Y}" / session_file_name(saved)
        # A demo is disposable: skipping fsync makes 10,000 sessions take seconds, not minutes.
        write_atomic(path, session_toml(saved), exclusive=True, durable=False)
        history.append(PastSession(start.date(), proposal.roles))
    return record
