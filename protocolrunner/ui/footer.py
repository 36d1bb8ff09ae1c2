"""A footer whose keys stay where they are whatever has focus."""

from __future__ import annotations

from textual.binding import ActiveBinding, Binding

from .styles import StyledScreen


class SteadyFooterScreen(StyledScreen):
    """A screen whose own keys come first in its footer, in the order it declares them.

    Textual orders the footer by the focus chain: a focused box that binds the same key (a
    TextArea's ``ctrl+e`` and ``ctrl+w``) moves the screen's key for it to the front, so the
    footer reordered itself as focus moved between note boxes and the rest.
    """

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        active = super().active_bindings
        declared = [b.action for b in self.BINDINGS if isinstance(b, Binding)]

        def rank(key: str) -> int:
            action = active[key].binding.action
            return declared.index(action) if action in declared else len(declared)

        own = sorted((key for key, a in active.items() if a.node is self), key=rank)
        return {**{key: active[key] for key in own}, **active}
