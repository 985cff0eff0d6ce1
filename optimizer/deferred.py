"""Tables built when first read: a solution's tables cost more than a re-solve's own work.

A sweep or a chain of re-solves reads a few of a solution's tables (or none: the summary is enough
for a comparison of objectives), while building all of them names every flow of a large program.
:class:`DeferredTables` is a mapping whose entries are made by a function the first time they are
read and kept from then on, so a table is built at most once and exactly as it would have been
eagerly (the function sees the arrays of the solve it belongs to, which no later solve changes).
Iterating, ``len``, ``in`` and ``keys`` do not build anything; ``items``, ``values`` and ``dict(...)``
build every table, and so does ``copy()``, which returns a plain ``dict``. A pickled or deep-copied
mapping is a plain ``dict`` of the built tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping

import pandas as pd

Builder = Callable[[], pd.DataFrame]


class DeferredTables(MutableMapping):
    """Named tables, each built by its function on first read (see the module's docstring)."""

    def __init__(self, builders: dict[str, Builder]):
        self._builders = dict(builders)
        self._built: dict[str, pd.DataFrame] = {}
        self._order = list(builders)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._built:
            if name not in self._builders:
                raise KeyError(name)
            # the builder goes only once its table exists: an interrupted first read can be retried
            self._built[name] = self._builders[name]()
            del self._builders[name]
        return self._built[name]

    def __setitem__(self, name: str, table: pd.DataFrame) -> None:
        if name not in self:
            self._order.append(name)
        self._builders.pop(name, None)
        self._built[name] = table

    def __delitem__(self, name: str) -> None:
        if name not in self._built and name not in self._builders:
            raise KeyError(name)
        self._builders.pop(name, None)
        self._built.pop(name, None)
        self._order.remove(name)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, name: object) -> bool:
        return name in self._built or name in self._builders

    def copy(self) -> dict[str, pd.DataFrame]:
        """A plain ``dict`` of every table (built now), as ``dict.copy`` would give."""
        return dict(self)

    def built(self) -> list[str]:
        """The names of the tables built so far."""
        return [name for name in self._order if name in self._built]

    def __reduce__(self):
        return dict, (list(self.items()),)

    def __repr__(self) -> str:
        return f"DeferredTables({', '.join(self._order)}; built: {', '.join(self.built()) or 'none'})"
