"""The evaluation budget itself: what each limit refuses, and which refusals are sticky."""

from __future__ import annotations

import pytest

from auditor import budget
from auditor.budget import Budget, BudgetExceeded, Limits


class FakeClock:
    """A clock the test moves by hand (the budget takes any callable)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_steps_are_sticky_once_spent() -> None:
    b = Budget(Limits(max_steps=10))
    b.step(10)
    with pytest.raises(BudgetExceeded) as first:
        b.step()
    assert first.value.limit == "evaluation steps"
    with pytest.raises(BudgetExceeded) as again:  # everything after is refused at once
        b.step()
    assert again.value is first.value and b.spent is first.value
    with pytest.raises(BudgetExceeded):
        b.copy(1)


def test_time_is_checked_every_1024_steps() -> None:
    clock = FakeClock()
    b = Budget(Limits(max_seconds=1.0), clock=clock)
    b.step(1000)
    clock.now += 5
    b.step(20)  # still below the next multiple of 1024: the clock is not read
    with pytest.raises(BudgetExceeded) as exc:
        b.step(10)
    assert exc.value.limit == "evaluation time" and "1 s" in exc.value.detail


def test_value_size_refuses_one_value_without_spending_the_file() -> None:
    b = Budget(Limits(max_value_size=100))
    b.value(100, "concat()")
    with pytest.raises(BudgetExceeded) as exc:
        b.value(101, "concat()")
    assert exc.value.limit == "value size" and "concat() would have 101" in exc.value.detail
    assert b.spent is None
    b.step()  # the rest of the file goes on


def test_copy_iterations_add_up_over_all_loops() -> None:
    b = Budget(Limits(max_copy_iterations=1000))
    b.copy(800, "copy 'outer'")
    with pytest.raises(BudgetExceeded) as exc:
        b.copy(800, "copy 'inner'")
    assert exc.value.limit == "copy iterations" and "1,600" in exc.value.detail
    assert b.spent is exc.value


def test_depth_names_nesting_or_walk() -> None:
    b = Budget(Limits(max_nesting=2, max_walk_depth=3))
    b.depth(2, "nested deployment 'a'")
    with pytest.raises(BudgetExceeded, match="nesting depth"):
        b.depth(3, "nested deployment 'a'")
    with pytest.raises(BudgetExceeded, match="walk depth"):
        b.depth(4, "property", limit=b.limits.max_walk_depth)


def test_each_site_is_reported_once() -> None:
    b = Budget()
    assert b.first_report("value size", "a.json:3:5")
    assert not b.first_report("value size", "a.json:3:5")
    assert b.first_report("value size", "a.json:9:5")


def test_use_scopes_the_current_budget() -> None:
    outer = budget.current()
    assert budget.current() is not outer  # outside use(): a fresh, unshared budget each time
    mine = Budget()
    with budget.use(mine):
        assert budget.current() is mine
    assert budget.current() is not mine


def test_reason_is_readable() -> None:
    exc = BudgetExceeded("value size", "concat() would have 2,000,000 characters")
    assert exc.reason == "auditor's value size limit was exceeded (concat() would have 2,000,000 characters)"


def test_guards_reraise_under_pytest() -> None:
    assert budget.reraise_bugs()
