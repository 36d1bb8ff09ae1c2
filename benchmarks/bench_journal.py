"""How long the journal takes to save and read a session in progress.

Run from the repository: ``.venv/bin/python benchmarks/bench_journal.py``.

The run screen saves the journal at every tick while the clock runs and on every change, so a
save must stay far under the tick (1 s). Two sessions in progress, on a fake clock, in a
temporary folder: a Consultancy in its fourth step with notes in every box it passed, pauses
and given minutes (about 50 events), a Final Word in its turns, and the same Consultancy paused
and given minutes 400 times (1,200 events: the journal grows with the meeting). For each, the
median of several runs, after one warm-up:

(a) ``Journal.save(force=True)``, fsyncs included, beside its floor: ``write_atomic`` of the
    same bytes to the same file (what any crash-safe save costs);
(b) the same save with the write left out (``write_atomic`` replaced by nothing): the time it
    takes to take the snapshot and turn it into text;
(c) ``read_entry`` (what home does for each journal it finds: read, check, validate) beside
    its floor: ``json.loads`` of the same text;
(d) ``JournalEntry.restore``: the session rebuilt when the facilitator resumes.

It prints numbers only; nothing here asserts on timings.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from _common import median_seconds  # noqa: E402

RUNS = 101
BUNDLED = REPO / "protocols"


def consultancy(clock, pauses: int = 4):
    from protocolrunner.core.protocol.library import load_protocol_file
    from protocolrunner.core.record.demo import NOTES
    from protocolrunner.core.session.engine import Session

    protocol = load_protocol_file(BUNDLED / "consultancy.toml").protocol
    people = ["Ann", "Bea", "Cal", "Dev", "Eli", "Fay"]
    roles = {"presenter": ["Ann"], "facilitator": ["Bea"], "consultants": people[2:]}
    session = Session(protocol, attendees=people, roles=roles, clock=clock)
    session.start()
    bank = [line for lines in NOTES.values() for line in lines]
    for index in range(4):
        if index:
            session.next()
        for n, field in enumerate(session.current.step.capture):
            lines = bank[(index + n) % 7 :: 3]
            session.set_note(index, field.id, "\n".join(f"- {line}" for line in lines))
        for _ in range(pauses):
            clock.advance(40 * 4 / pauses)
            session.pause()
            clock.advance(5)
            session.resume()
            session.extend(30)
    clock.advance(12.5)
    session.add_action("Try exit tickets with Grade 7", "Ann")
    return session


def final_word(clock):
    from protocolrunner.core.protocol.library import load_protocol_file
    from protocolrunner.core.session.engine import Session

    protocol = load_protocol_file(BUNDLED / "final-word.toml").protocol
    people = ["Fay", "Gil", "Hal", "Ivy", "Jo", "Kai"]
    roles = {"facilitator": ["Fay"], "participants": people[1:]}
    session = Session(protocol, attendees=people, roles=roles, clock=clock)
    session.start()
    session.next()
    for k in range(7):
        clock.advance(50)
        session.set_turn_note(1, k, f"Turn {k}: the passage on page {k + 3} mattered most.")
        session.next_turn()
    clock.advance(20)
    return session


def measure(name: str, session, folder: Path) -> None:
    from protocolrunner.core.base.atomic import write_atomic
    from protocolrunner.core.session import journal as journal_module
    from protocolrunner.core.session.clock import FakeClock
    from protocolrunner.core.session.journal import Journal, read_entry

    journal = Journal(folder, session.clock)
    journal.save(session, force=True)
    path = journal.path_for(session.id)
    text = path.read_text(encoding="utf-8")
    save = median_seconds(lambda: journal.save(session, force=True), RUNS, warm_up=1)
    floor = median_seconds(lambda: write_atomic(path, text, private=True), RUNS, warm_up=1)
    real = journal_module.write_atomic
    journal_module.write_atomic = lambda *args, **kwargs: None
    try:
        cpu = median_seconds(lambda: journal.save(session, force=True), RUNS, warm_up=1)
    finally:
        journal_module.write_atomic = real
    read = median_seconds(lambda: read_entry(path), RUNS, warm_up=1)
    parse = median_seconds(lambda: json.loads(text), RUNS, warm_up=1)
    entry = read_entry(path)
    restore = median_seconds(lambda: entry.restore(FakeClock()), RUNS, warm_up=1)

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:8.3f} ms"

    print(f"{name}: {len(text.encode()) / 1024:.1f} KiB, {len(session.events)} events")
    print(
        f"  (a) save, fsync included   {ms(save)}  floor write_atomic {ms(floor)}"
        f"  ratio {save / floor:5.2f}"
    )
    print(f"  (b) save without the write {ms(cpu)}")
    print(
        f"  (c) read_entry             {ms(read)}  floor json.loads   {ms(parse)}"
        f"  ratio {read / parse:5.2f}"
    )
    print(f"  (d) restore                {ms(restore)}")


def main() -> None:
    from protocolrunner.core.session.clock import FakeClock

    print(f"median of {RUNS} runs each, after one warm-up")
    with tempfile.TemporaryDirectory() as tmp:
        measure("Consultancy, step 4", consultancy(FakeClock()), Path(tmp) / "a")
        measure("Final Word, in turns", final_word(FakeClock()), Path(tmp) / "b")
        long = consultancy(FakeClock(), pauses=100)
        measure("Consultancy, step 4, paused 400 times", long, Path(tmp) / "c")


if __name__ == "__main__":
    main()
