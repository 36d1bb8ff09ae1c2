"""The ``[keys]`` table of the settings, checked against the app's own bindings and turned into
Textual's keymap (``App.set_keymap``).

Every binding the app declares has an id (``run.next``); ``[keys]`` gives an id new keys. Here
each entry is checked: the id must be one the app declares, each key a key Textual knows, and
no key may end up meaning two things in one place (a screen with its own keys and the app's).
An entry that fails is left out, so its binding keeps its own keys, and reported with the
file, line and column where it is written.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import (
    KEY_DISPLAY_ALIASES,
    KEY_NAME_REPLACEMENTS,
    REPLACED_KEYS,
    Keys,
    key_to_character,
)

from ..core.base.problems import Problem

if TYPE_CHECKING:
    # The settings model needs pydantic; help (on the first frame's path) imports this module.
    from ..core.settings.model import BindingInfo, LoadedSettings

OWN_PACKAGE = __name__.split(".")[0]
MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
NAMED_KEYS = sorted(
    {key.value.rpartition("+")[2] for key in Keys if len(key.value) > 1}
    | {f"f{n}" for n in range(1, 25)}
    | {"space", "backspace", "enter", "tab", "escape", "delete"}
    | set(REPLACED_KEYS)
)
"""Keys with a name (``pagedown``, ``f8``): Textual's, less the modifiers."""
SPELLINGS = {alias: key for key, alias in KEY_DISPLAY_ALIASES.items()} | {
    "pgdn": "pagedown",
    "pgup": "pageup",
    "page_down": "pagedown",
    "page_up": "pageup",
    "esc": "escape",
    "return": "enter",
    "del": "delete",
    ".": "full_stop",
}
"""Other names people give keys (often what the footer shows), for "did you mean"."""


# -- the app's bindings ---------------------------------------------------------------------------


def _ui_classes() -> list[type[DOMNode]]:
    """Every class of the app's UI that declares bindings (its modules imported first)."""
    ui = importlib.import_module(f"{OWN_PACKAGE}.ui")
    for module in pkgutil.walk_packages(ui.__path__, ui.__name__ + "."):
        importlib.import_module(module.name)
    found: list[type[DOMNode]] = []
    todo: list[type[DOMNode]] = [DOMNode]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] == OWN_PACKAGE and "BINDINGS" in cls.__dict__:
            found.append(cls)
    found.sort(key=lambda c: (c.__module__, c.__qualname__))
    return found


def merged_bindings(cls: type[DOMNode]) -> list[Binding]:
    """The bindings ``cls`` has, its base classes' (Textual's too) and its own, as Textual
    merges them."""
    out: list[Binding] = []
    for base in reversed(cls.__mro__):
        declared = base.__dict__.get("BINDINGS")
        if declared:
            out.extend(Binding.make_bindings(declared))
    return out


def _place(cls: type[DOMNode]) -> str:
    named = getattr(cls, "HELP_PLACE", None)
    if isinstance(named, str):
        return named.removeprefix("the ")
    words: list[str] = []
    name = cls.__name__
    for ch in name:
        if ch.isupper() and words:
            words.append(" ")
        words.append(ch.lower())
    return "".join(words).replace("protocol runner app", "everywhere")


@dataclass
class Catalogue:
    """The app's bindings, by class, and every id with what it does."""

    classes: dict[type[DOMNode], list[Binding]]
    app: type[DOMNode] | None = None
    infos: list[BindingInfo] = field(default_factory=list)

    @property
    def ids(self) -> set[str]:
        return {info.id for info in self.infos}


def catalogue() -> Catalogue:
    """The bindings of every UI class of the app, and one line per binding id."""
    from ..core.settings.model import BindingInfo

    classes = {cls: merged_bindings(cls) for cls in _ui_classes()}
    app = next((c for c in classes if c.__name__ == "ProtocolRunnerApp"), None)
    infos: dict[str, BindingInfo] = {}
    # The app's first, then screens before dialogs (the blank screen shares the run screen's ids).
    for cls in sorted(classes, key=lambda c: (c is not app, ".dialogs." in c.__module__)):
        for binding in Binding.make_bindings(cls.__dict__["BINDINGS"]):
            if binding.id is None:
                continue
            info = infos.get(binding.id)
            if info is None:
                about = binding.description
                if binding.tooltip and binding.tooltip != about:
                    about = f"{about}: {binding.tooltip}" if about else binding.tooltip
                infos[binding.id] = BindingInfo(binding.id, (binding.key,), about, _place(cls))
            elif binding.key not in info.keys:
                infos[binding.id] = BindingInfo(
                    info.id, (*info.keys, binding.key), info.description, info.place
                )
    return Catalogue(classes, app, list(infos.values()))


# -- checking [keys] ------------------------------------------------------------------------------


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a key Textual knows, or None."""
    *modifiers, base = key.split("+") if len(key) > 1 else [key]
    for modifier in modifiers:
        if modifier not in MODIFIERS:
            return f"unknown modifier '{modifier}' in '{key}' (use {', '.join(MODIFIERS)})"
    if len(base) == 1 and base.isprintable():
        return None
    if base in NAMED_KEYS or key_to_character(base) is not None:
        return None
    hint = SPELLINGS.get(base.lower()) or next(
        iter(difflib.get_close_matches(base.lower(), NAMED_KEYS, n=1)), None
    )
    more = f" (did you mean '{'+'.join([*modifiers, hint])}'?)" if hint else ""
    return f"unknown key '{key}'{more}"


def normal_key(key: str) -> str:
    """The name Textual gives ``key``: ``.`` is ``full_stop``, as in its own keymap."""
    if len(key) != 1 or key.isalnum():
        return key
    try:
        name = unicodedata.name(key).lower().replace("-", "_").replace(" ", "_")
    except ValueError:
        return key
    return KEY_NAME_REPLACEMENTS.get(name, name)


@dataclass
class Keymap:
    """The keymap to give Textual, and what was wrong with ``[keys]``."""

    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> comma-separated keys, as the user gave them (checked)."""
    problems: list[Problem] = field(default_factory=list)

    def for_textual(self, cat: Catalogue) -> dict[str, str]:
        """``keymap`` completed for ``App.set_keymap``.

        Textual drops every binding on a key whose binding was remapped (F5 holds Pause and
        Resume; remapping Pause would lose Resume), so the others on that key are given their
        own keys again here: a ``[keys]`` entry moves its binding only.
        """
        out = dict(self.keymap)
        for bindings in cat.classes.values():
            moved = {b.key for b in bindings if b.id in self.keymap}
            for binding in bindings:
                if binding.key in moved and binding.id and binding.id not in out:
                    out[binding.id] = ",".join(
                        dict.fromkeys(b.key for b in bindings if b.id == binding.id)
                    )
        return out


def build_keymap(loaded: LoadedSettings, cat: Catalogue | None = None) -> Keymap:
    """Check ``[keys]``: unknown ids and keys, and keys that would mean two things in one place,
    each reported and left out."""
    result = Keymap()
    if not loaded.settings.keys:
        return result
    cat = cat or catalogue()
    known = cat.ids
    order = list(loaded.settings.keys)
    for binding_id, keys in loaded.settings.keys.items():
        if binding_id not in known:
            close = difflib.get_close_matches(binding_id, sorted(known), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "see: protocolrunner config show"
            result.problems.append(
                loaded.problem(
                    ("keys", binding_id),
                    f"unknown binding id '{binding_id}' ({hint}); ignored",
                )
            )
            continue
        bad = [(i, key_problem(key)) for i, key in enumerate(keys)]
        wrong = [(i, message) for i, message in bad if message]
        if wrong:
            i, message = wrong[0]
            written = loaded.config.data.get("keys", {}).get(binding_id)
            result.problems.append(
                loaded.problem(
                    ("keys", binding_id) if isinstance(written, str) else ("keys", binding_id, i),
                    f"{message}; ignored: the binding keeps its own keys",
                )
            )
            continue
        result.keymap[binding_id] = ",".join(dict.fromkeys(normal_key(k) for k in keys))
    # A clash found leaves out one entry; look again until none is left.
    while clash := _first_clash(cat, result.keymap, order):
        binding_id, key, other, place = clash
        del result.keymap[binding_id]
        result.problems.append(
            loaded.problem(
                ("keys", binding_id),
                f"'{key}' already means {other} in {place}; ignored: the binding keeps its "
                "own keys (give the other binding another key first)",
            )
        )
    result.problems.sort(key=lambda p: (p.line, p.col))
    return result


def effective(bindings: Iterable[Binding], keymap: Mapping[str, str]) -> Iterator[Binding]:
    """``bindings`` with ``keymap`` applied, in their declared order: a remapped binding once
    per key it now has."""
    done: set[str] = set()
    claimed = {k for keys in keymap.values() for k in keys.split(",")}
    for binding in bindings:
        if binding.id is not None and binding.id in keymap:
            if binding.id in done:
                continue
            done.add(binding.id)
            for key in keymap[binding.id].split(","):
                yield binding.with_key(key=key, key_display=None)
        elif binding.key not in claimed:
            # As in Textual: a key the keymap gives to another binding is taken from this one.
            yield binding


def _describe(binding: Binding) -> str:
    what = binding.description or binding.action
    return f"{what} ({binding.id})" if binding.id else f"'{what}'"


def _first_clash(
    cat: Catalogue, keymap: Mapping[str, str], order: list[str]
) -> tuple[str, str, str, str] | None:
    """The first remapped binding whose new key already does something else where it works:
    ``(its id, the key, the other binding, the place)``."""
    app_bindings = list(cat.classes.get(cat.app, [])) if cat.app else []
    for cls, own in cat.classes.items():
        everywhere = [] if cls is cat.app else [b for b in app_bindings if b.priority]
        by_key: dict[str, list[Binding]] = {}
        # Textual takes a remapped key from a binding that was not remapped; both listed here.
        for binding in [*own, *everywhere]:
            if binding.id is not None and binding.id in keymap:
                for key in dict.fromkeys(keymap[binding.id].split(",")):
                    by_key.setdefault(key, []).append(binding)
            else:
                by_key.setdefault(binding.key, []).append(binding)
        for key, bindings in by_key.items():
            ids = {b.id or f"#{id(b)}" for b in bindings}
            remapped = [b for b in bindings if b.id is not None and b.id in keymap]
            if len(ids) < 2 or not remapped:
                continue
            # Blame the entry written last: an earlier one, or a binding's own key, stays.
            blamed = max(remapped, key=lambda b: order.index(b.id) if b.id in order else -1)
            other = next(b for b in bindings if b.id != blamed.id)
            return blamed.id or "", key, _describe(other), f"the {_place(cls)}"
    return None
