"""Shared availability, the third objective: a bounded local search that swaps members between
groups of one key (or with unplaced people of that key), keeping sizes, caps and a fixed slot.
It counts evaluations, not seconds, so that its result is deterministic."""

from __future__ import annotations

from .pools import Setup

LOCAL_SEARCH_EVALUATIONS = 200_000  # a count, not a clock: the result stays deterministic


class Improver:
    """Swaps that raise the summed score (shared weekly patterns) and change nothing else: sizes
    stay, the per-organisation cap holds, every group keeps a fixed slot."""

    def __init__(self, setup: Setup, groups: list[list[int]], group_keys: list[str]):
        self.setup = setup
        self.groups = groups
        self.keys = group_keys
        self.cap = setup.request.max_per_organization
        self.evaluations = 0
        self.placed: set[int] = set()
        self.scores = [self.score(group) for group in groups]

    def score(self, members: list[int]) -> int:
        setup = self.setup
        candidates = -1
        for index in members:
            candidates &= setup.patterns[index]
        if not candidates:
            return 0
        self.evaluations += 1
        return setup.grid.shared_patterns([setup.masks[index] for index in members], candidates)

    def _fits(self, members: list[int], leaving: int, joining: int) -> bool:
        organizations = self.setup.organizations
        if organizations[leaving] == organizations[joining]:
            return True
        wanted = organizations[joining]
        return sum(1 for index in members if index != leaving and organizations[index] == wanted) < self.cap

    def _without(self, members: list[int], leaving: int) -> int:
        patterns = self.setup.patterns
        together = -1
        for index in members:
            if index != leaving:
                together &= patterns[index]
        return together

    def run(self, budget: int) -> None:
        setup = self.setup
        patterns = setup.patterns
        self.placed = {index for group in self.groups for index in group}
        # Everyone of the key who could be in some group; the placed ones are skipped as they go.
        spare: dict[str, list[int]] = {
            key: [index for index in setup.by_key.get(key, ()) if patterns[index]] for key in sorted(set(self.keys))
        }
        improved = True
        while improved and self.evaluations < budget:
            improved = False
            for first in range(len(self.groups)):
                for second in range(first + 1, len(self.groups)):
                    if self.keys[second] == self.keys[first] and self._swap_between(first, second):
                        improved = True
                    if self.evaluations >= budget:
                        return
                if self._swap_in(first, spare[self.keys[first]]):
                    improved = True
                if self.evaluations >= budget:
                    return

    def _swap_between(self, first: int, second: int) -> bool:
        patterns = self.setup.patterns
        improved = False
        for leaving in list(self.groups[first]):
            one = self.groups[first]
            other = self.groups[second]
            rest = self._without(one, leaving)
            for joining in list(other):
                if not rest & patterns[joining] or not self._without(other, joining) & patterns[leaving]:
                    continue
                if not self._fits(one, leaving, joining) or not self._fits(other, joining, leaving):
                    continue
                new_one = [joining if index == leaving else index for index in one]
                new_other = [leaving if index == joining else index for index in other]
                score_one, score_other = self.score(new_one), self.score(new_other)
                if score_one and score_other and score_one + score_other > self.scores[first] + self.scores[second]:
                    self.groups[first], self.groups[second] = new_one, new_other
                    self.scores[first], self.scores[second] = score_one, score_other
                    improved = True
                    break
        return improved

    def _swap_in(self, number: int, spare: list[int]) -> bool:
        patterns = self.setup.patterns
        improved = False
        for leaving in list(self.groups[number]):
            group = self.groups[number]
            rest = self._without(group, leaving)
            for joining in spare:
                if joining in self.placed or not rest & patterns[joining] or not self._fits(group, leaving, joining):
                    continue
                new_group = [joining if index == leaving else index for index in group]
                score = self.score(new_group)
                if score > self.scores[number]:
                    self.groups[number], self.scores[number] = new_group, score
                    self.placed.discard(leaving)
                    self.placed.add(joining)
                    improved = True
                    break
        return improved
