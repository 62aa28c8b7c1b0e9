"""Go's ``sort.Sort`` (pattern-defeating quicksort, Go 1.19+), ported so ties come out in dive's order.

dive orders its ``fileReference`` list with ``sort.Sort``, which is not stable: equal elements
end in an order that depends on the algorithm itself. Only porting the algorithm reproduces it;
``tests/fixtures/analysis/go_sort_cases.json`` holds Go's own output to compare with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def go_sort(data: list[Any], less: Callable[[Any, Any], bool]) -> None:
    """Sort ``data`` in place exactly as Go's ``sort.Sort`` (pattern-defeating quicksort) does.

    Go's sort is not stable: equal elements end in an order that depends on the algorithm, and
    dive's ``fileReference`` list shows it. Porting the algorithm reproduces that order.
    """
    n = len(data)
    if n <= 1:
        return

    def lt(i: int, j: int) -> bool:
        return less(data[i], data[j])

    def swap(i: int, j: int) -> None:
        data[i], data[j] = data[j], data[i]

    def insertion_sort(a: int, b: int) -> None:
        for i in range(a + 1, b):
            j = i
            while j > a and lt(j, j - 1):
                swap(j, j - 1)
                j -= 1

    def sift_down(lo: int, hi: int, first: int) -> None:
        root = lo
        while True:
            child = 2 * root + 1
            if child >= hi:
                return
            if child + 1 < hi and lt(first + child, first + child + 1):
                child += 1
            if not lt(first + root, first + child):
                return
            swap(first + root, first + child)
            root = child

    def heap_sort(a: int, b: int) -> None:
        first, lo, hi = a, 0, b - a
        for i in range((hi - 1) // 2, -1, -1):
            sift_down(i, hi, first)
        for i in range(hi - 1, -1, -1):
            swap(first, first + i)
            sift_down(lo, i, first)

    def order2(a: int, b: int, swaps: list[int]) -> tuple[int, int]:
        if lt(b, a):
            swaps[0] += 1
            return b, a
        return a, b

    def median(a: int, b: int, c: int, swaps: list[int]) -> int:
        a, b = order2(a, b, swaps)
        b, c = order2(b, c, swaps)
        a, b = order2(a, b, swaps)
        return b

    def choose_pivot(a: int, b: int) -> tuple[int, int]:
        length = b - a
        swaps = [0]
        i, j, k = a + length // 4 * 1, a + length // 4 * 2, a + length // 4 * 3
        if length >= 8:
            if length >= 50:
                i = median(i - 1, i, i + 1, swaps)
                j = median(j - 1, j, j + 1, swaps)
                k = median(k - 1, k, k + 1, swaps)
            j = median(i, j, k, swaps)
        if swaps[0] == 0:
            return j, 1  # increasing
        if swaps[0] == 12:
            return j, 2  # decreasing
        return j, 0

    def reverse_range(a: int, b: int) -> None:
        i, j = a, b - 1
        while i < j:
            swap(i, j)
            i += 1
            j -= 1

    def partial_insertion_sort(a: int, b: int) -> bool:
        i = a + 1
        for _ in range(5):
            while i < b and not lt(i, i - 1):
                i += 1
            if i == b:
                return True
            if b - a < 50:
                return False
            swap(i, i - 1)
            if i - a >= 2:
                j = i - 1
                while j >= 1:  # sic: Go's loop runs down to 1, not to a + 1
                    if not lt(j, j - 1):
                        break
                    swap(j, j - 1)
                    j -= 1
            if b - i >= 2:
                j = i + 1
                while j < b:
                    if not lt(j, j - 1):
                        break
                    swap(j, j - 1)
                    j += 1
        return False

    def break_patterns(a: int, b: int) -> None:
        length = b - a
        if length >= 8:
            state = length
            modulus = 1 << length.bit_length()
            idx = a + (length // 4) * 2 - 1
            for i in range(3):
                state ^= (state << 13) & 0xFFFFFFFFFFFFFFFF
                state ^= state >> 17
                state ^= (state << 5) & 0xFFFFFFFFFFFFFFFF
                other = state & (modulus - 1)
                if other >= length:
                    other -= length
                swap(idx + i, a + other)

    def partition_equal(a: int, b: int, pivot: int) -> int:
        swap(a, pivot)
        i, j = a + 1, b - 1
        while True:
            while i <= j and not lt(a, i):
                i += 1
            while i <= j and lt(a, j):
                j -= 1
            if i > j:
                break
            swap(i, j)
            i += 1
            j -= 1
        return i

    def partition(a: int, b: int, pivot: int) -> tuple[int, bool]:
        swap(a, pivot)
        i, j = a + 1, b - 1
        while i <= j and lt(i, a):
            i += 1
        while i <= j and not lt(j, a):
            j -= 1
        if i > j:
            swap(j, a)
            return j, True
        swap(i, j)
        i += 1
        j -= 1
        while True:
            while i <= j and lt(i, a):
                i += 1
            while i <= j and not lt(j, a):
                j -= 1
            if i > j:
                break
            swap(i, j)
            i += 1
            j -= 1
        swap(j, a)
        return j, False

    def pdqsort(a: int, b: int, limit: int) -> None:
        was_balanced, was_partitioned = True, True
        while True:
            length = b - a
            if length <= 12:
                insertion_sort(a, b)
                return
            if limit == 0:
                heap_sort(a, b)
                return
            if not was_balanced:
                break_patterns(a, b)
                limit -= 1
            pivot, hint = choose_pivot(a, b)
            if hint == 2:
                reverse_range(a, b)
                pivot = (b - 1) - (pivot - a)
                hint = 1
            if was_balanced and was_partitioned and hint == 1 and partial_insertion_sort(a, b):
                return
            if a > 0 and not lt(a - 1, pivot):
                a = partition_equal(a, b, pivot)
                continue
            mid, already = partition(a, b, pivot)
            was_partitioned = already
            left, right = mid - a, b - mid
            threshold = length // 8
            if left < right:
                was_balanced = left >= threshold
                pdqsort(a, mid, limit)
                a = mid + 1
            else:
                was_balanced = right >= threshold
                pdqsort(mid + 1, b, limit)
                b = mid

    pdqsort(0, n, n.bit_length())
