"""The Pareto front of (cost, accuracy) points: no other point is at most as costly and at least as accurate."""
from __future__ import annotations


def pareto_front(costs, accuracies) -> list[int]:
    """Indices of the non-dominated points, by increasing cost (lower cost, higher accuracy are better).

    Sorted by cost (ties: best accuracy first), a point is on the front when it beats every cheaper
    point's accuracy strictly."""
    order = sorted(range(len(costs)), key=lambda i: (costs[i], -accuracies[i]))
    front, best = [], float("-inf")
    for i in order:
        if accuracies[i] > best:
            front.append(i)
            best = accuracies[i]
    return front
