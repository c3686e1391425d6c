from .common import JS, CPP, P, ints, rand_ints, arr_input

PROBLEMS = []

JS_HEAP = r"""
class Heap {
  constructor(less) { this.a = []; this.less = less; }
  size() { return this.a.length; }
  top() { return this.a[0]; }
  push(x) {
    const a = this.a; a.push(x); let i = a.length - 1;
    while (i > 0) { const p = (i - 1) >> 1; if (!this.less(a[i], a[p])) break; [a[i], a[p]] = [a[p], a[i]]; i = p; }
  }
  pop() {
    const a = this.a, t = a[0], last = a.pop();
    if (a.length) {
      a[0] = last; let i = 0;
      for (;;) {
        let m = i; const l = 2 * i + 1, r = l + 1;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]]; i = m;
      }
    }
    return t;
  }
}
"""

GO_INTHEAP = r"""
type MaxHeap []int64

func (h MaxHeap) Len() int            { return len(h) }
func (h MaxHeap) Less(i, j int) bool  { return h[i] > h[j] }
func (h MaxHeap) Swap(i, j int)       { h[i], h[j] = h[j], h[i] }
func (h *MaxHeap) Push(x interface{}) { *h = append(*h, x.(int64)) }
func (h *MaxHeap) Pop() interface{} {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
"""

# ---------------------------------------------------------------- binary-search-first-last
def _g_bs(rng):
    a = sorted(rand_ints(rng, 3000, -1000, 1000))
    qs = rand_ints(rng, 2000, -1100, 1100)
    return arr_input(a, len(qs), "\n".join(map(str, qs)))

PROBLEMS.append(P(
    id="binary-search-first-last", title="First and Last Position in a Sorted Array", difficulty="easy",
    categories=["binary-search", "arrays"],
    statement=r"""
Given an array sorted in non-decreasing order, answer queries: for a value x, report the first and the last index where x occurs. Each query must take O(log n) time.

Input: a line with n (0 <= n <= 200000), a line with the n sorted integers (|a[i]| <= 10^9), a line with q (1 <= q <= 200000), then q lines each holding one value x.

Output: q lines "first last" (0-based), or "-1 -1" when x does not occur.
""",
    tests=[("6\n5 7 7 8 8 10\n3\n8\n6\n5\n", "3 4\n-1 -1\n0 0"), ("0\n\n1\n3\n", "-1 -1"),
           ("1\n1\n2\n1\n2\n", "0 0\n-1 -1"), ("5\n2 2 2 2 2\n1\n2\n", "0 4"),
           ("3\n-1000000000 0 1000000000\n2\n1000000000\n-1000000000\n", "2 2\n0 0")],
    gen=[_g_bs],
    python=r"""
import sys
from bisect import bisect_left, bisect_right
d = sys.stdin.read().split()
n = int(d[0]); a = list(map(int, d[1:1 + n])); q = int(d[1 + n])
out = []
for x in map(int, d[2 + n:2 + n + q]):
    l = bisect_left(a, x)
    if l < n and a[l] == x:
        out.append(f"{l} {bisect_right(a, x) - 1}")
    else:
        out.append("-1 -1")
print("\n".join(out))
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var n, q int
	fmt.Fscan(in, &n)
	a := make([]int64, n)
	for i := range a {
		fmt.Fscan(in, &a[i])
	}
	fmt.Fscan(in, &q)
	for ; q > 0; q-- {
		var x int64
		fmt.Fscan(in, &x)
		l := sort.Search(n, func(i int) bool { return a[i] >= x })
		if l < n && a[l] == x {
			r := sort.Search(n, func(i int) bool { return a[i] > x })
			fmt.Fprintln(out, l, r-1)
		} else {
			fmt.Fprintln(out, -1, -1)
		}
	}
}
""",
    javascript=JS + r"""
const n = num(); const a = []; for (let i = 0; i < n; i++) a.push(num());
const lower = (x, strict) => { let lo = 0, hi = n; while (lo < hi) { const m = (lo + hi) >> 1; if (strict ? a[m] <= x : a[m] < x) lo = m + 1; else hi = m; } return lo; };
const q = num(); const out = [];
for (let i = 0; i < q; i++) { const x = num(); const l = lower(x, false); out.push(l < n && a[l] === x ? l + " " + (lower(x, true) - 1) : "-1 -1"); }
console.log(out.join("\n"));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<ll> a(n); for (auto &x : a) scanf("%lld", &x);
    int q; scanf("%d", &q);
    while (q--) {
        ll x; scanf("%lld", &x);
        auto l = lower_bound(a.begin(), a.end(), x);
        if (l != a.end() && *l == x) printf("%d %d\n", (int)(l - a.begin()), (int)(upper_bound(a.begin(), a.end(), x) - a.begin()) - 1);
        else puts("-1 -1");
    }
}
""",
))

# ---------------------------------------------------------------- search-rotated-array
def _g_rot(rng):
    a = sorted(set(rand_ints(rng, 1500, -10**9, 10**9)))
    k = rng.randrange(len(a))
    a = a[k:] + a[:k]
    qs = [rng.choice(a) if rng.random() < 0.5 else rng.randint(-10**9, 10**9) for _ in range(1000)]
    return arr_input(a, len(qs), "\n".join(map(str, qs)))

PROBLEMS.append(P(
    id="search-rotated-array", title="Search in a Rotated Sorted Array", difficulty="medium",
    categories=["binary-search", "arrays"],
    statement=r"""
An array of distinct integers sorted in increasing order was rotated at an unknown pivot (for example 0 1 2 4 5 6 7 became 4 5 6 7 0 1 2). Answer queries: the index of a value x, in O(log n) per query.

Input: a line with n (1 <= n <= 200000), a line with the n distinct integers (|a[i]| <= 10^9), a line with q (1 <= q <= 200000), then q lines each holding one value x.

Output: q lines, the 0-based index of x, or -1 when x does not occur.
""",
    tests=[("7\n4 5 6 7 0 1 2\n2\n0\n3\n", "4\n-1"), ("1\n1\n1\n0\n", "-1"), ("1\n1\n1\n1\n", "0"),
           ("2\n3 1\n2\n1\n3\n", "1\n0"), ("5\n1 2 3 4 5\n2\n5\n1\n", "4\n0")],
    gen=[_g_rot],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0]); a = list(map(int, d[1:1 + n])); q = int(d[1 + n])
lo, hi = 0, n - 1
while lo < hi:
    m = (lo + hi) // 2
    if a[m] > a[hi]:
        lo = m + 1
    else:
        hi = m
k = lo
out = []
for x in map(int, d[2 + n:2 + n + q]):
    lo, hi = 0, n
    while lo < hi:
        m = (lo + hi) // 2
        if a[(m + k) % n] < x:
            lo = m + 1
        else:
            hi = m
    out.append(str((lo + k) % n) if lo < n and a[(lo + k) % n] == x else "-1")
print("\n".join(out))
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var n, q int
	fmt.Fscan(in, &n)
	a := make([]int64, n)
	for i := range a {
		fmt.Fscan(in, &a[i])
	}
	lo, hi := 0, n-1
	for lo < hi {
		m := (lo + hi) / 2
		if a[m] > a[hi] {
			lo = m + 1
		} else {
			hi = m
		}
	}
	k := lo
	fmt.Fscan(in, &q)
	for ; q > 0; q-- {
		var x int64
		fmt.Fscan(in, &x)
		lo, hi := 0, n
		for lo < hi {
			m := (lo + hi) / 2
			if a[(m+k)%n] < x {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if lo < n && a[(lo+k)%n] == x {
			fmt.Fprintln(out, (lo+k)%n)
		} else {
			fmt.Fprintln(out, -1)
		}
	}
}
""",
    javascript=JS + r"""
const n = num(); const a = []; for (let i = 0; i < n; i++) a.push(num());
let lo = 0, hi = n - 1;
while (lo < hi) { const m = (lo + hi) >> 1; if (a[m] > a[hi]) lo = m + 1; else hi = m; }
const k = lo; const q = num(); const out = [];
for (let i = 0; i < q; i++) {
  const x = num(); let l = 0, h = n;
  while (l < h) { const m = (l + h) >> 1; if (a[(m + k) % n] < x) l = m + 1; else h = m; }
  out.push(l < n && a[(l + k) % n] === x ? String((l + k) % n) : "-1");
}
console.log(out.join("\n"));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<ll> a(n); for (auto &x : a) scanf("%lld", &x);
    int lo = 0, hi = n - 1;
    while (lo < hi) { int m = (lo + hi) / 2; if (a[m] > a[hi]) lo = m + 1; else hi = m; }
    int k = lo, q; scanf("%d", &q);
    while (q--) {
        ll x; scanf("%lld", &x); int l = 0, h = n;
        while (l < h) { int m = (l + h) / 2; if (a[(m + k) % n] < x) l = m + 1; else h = m; }
        printf("%d\n", l < n && a[(l + k) % n] == x ? (l + k) % n : -1);
    }
}
""",
))

# ---------------------------------------------------------------- integer-sqrt
def _g_isqrt(rng):
    xs = []
    for _ in range(800):
        r = rng.random()
        if r < 0.3:
            x = rng.randint(0, 10**18)
        elif r < 0.6:
            s = rng.randint(0, 10**9); x = s * s + rng.choice([-1, 0, 1])
        else:
            x = rng.randint(0, 10**6)
        xs.append(max(0, min(x, 10**18)))
    return f"{len(xs)}\n" + "\n".join(map(str, xs)) + "\n"

PROBLEMS.append(P(
    id="integer-sqrt", title="Integer Square Root", difficulty="easy",
    categories=["binary-search", "math"],
    statement=r"""
For each x, print floor(sqrt(x)): the largest integer r with r*r <= x. Values go up to 10^18, where floating-point square roots alone are not exact.

Input: the first line holds q (1 <= q <= 100000); each of the next q lines holds an integer x (0 <= x <= 10^18).

Output: q lines, floor(sqrt(x)) for each x.
""",
    tests=[("4\n0\n1\n8\n16\n", "0\n1\n2\n4"), ("1\n1000000000000000000\n", "1000000000"),
           ("1\n999999999999999999\n", "999999999"), ("2\n2\n3\n", "1\n1"),
           ("2\n999999998000000001\n999999998000000000\n", "999999999\n999999998")],
    gen=[_g_isqrt],
    python=r"""
import sys
from math import isqrt
d = sys.stdin.read().split()
print("\n".join(str(isqrt(int(x))) for x in d[1:1 + int(d[0])]))
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var q int
	fmt.Fscan(in, &q)
	for ; q > 0; q-- {
		var x uint64
		fmt.Fscan(in, &x)
		r := uint64(math.Sqrt(float64(x)))
		for r > 0 && r*r > x {
			r--
		}
		for (r+1)*(r+1) <= x {
			r++
		}
		fmt.Fprintln(out, r)
	}
}
""",
    javascript=JS + r"""
const q = num(); const out = [];
for (let i = 0; i < q; i++) {
  const x = BigInt(next());
  let r = BigInt(Math.floor(Math.sqrt(Number(x))));
  while (r > 0n && r * r > x) r--;
  while ((r + 1n) * (r + 1n) <= x) r++;
  out.push(r.toString());
}
console.log(out.join("\n"));
""",
    cpp=CPP + r"""
int main() {
    int q; scanf("%d", &q);
    while (q--) {
        unsigned long long x; scanf("%llu", &x);
        unsigned long long r = (unsigned long long)sqrtl((long double)x);
        while (r > 0 && r * r > x) r--;
        while ((r + 1) * (r + 1) <= x) r++;
        printf("%llu\n", r);
    }
}
""",
))

# ---------------------------------------------------------------- min-eating-speed
def _g_koko(rng):
    p = rand_ints(rng, 1800, 1, 10**9)
    return f"{len(p)} {rng.randint(len(p), 10**9)}\n{ints(p)}\n"

def _g_koko_tight(rng):
    p = rand_ints(rng, 1800, 1, 10**9)
    return f"{len(p)} {len(p) + 17}\n{ints(p)}\n"

PROBLEMS.append(P(
    id="min-eating-speed", title="Minimum Eating Speed", difficulty="medium",
    categories=["binary-search"],
    statement=r"""
There are n piles of bananas. Eating at speed k, each hour you pick one pile and eat k bananas from it (or the whole pile if it has fewer than k; the rest of that hour is then wasted). Find the smallest integer speed k >= 1 that lets you finish all piles within h hours.

Input: the first line holds n and h (1 <= n <= 200000, n <= h <= 10^9). The second line holds the n pile sizes (1 <= p <= 10^9).

Output: the minimum speed k.
""",
    tests=[("4 8\n3 6 7 11\n", "4"), ("5 5\n30 11 23 4 20\n", "30"), ("5 6\n30 11 23 4 20\n", "23"),
           ("1 1\n1000000000\n", "1000000000"), ("1 1000000000\n1000000000\n", "1"), ("3 1000000000\n1 1 1\n", "1")],
    gen=[_g_koko, _g_koko_tight],
    python=r"""
import sys
d = sys.stdin.read().split()
n, h = int(d[0]), int(d[1]); p = list(map(int, d[2:2 + n]))
lo, hi = 1, max(p)
while lo < hi:
    k = (lo + hi) // 2
    if sum((x + k - 1) // k for x in p) <= h:
        hi = k
    else:
        lo = k + 1
print(lo)
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	var h int64
	fmt.Fscan(in, &n, &h)
	p := make([]int64, n)
	var lo, hi int64 = 1, 1
	for i := range p {
		fmt.Fscan(in, &p[i])
		if p[i] > hi {
			hi = p[i]
		}
	}
	for lo < hi {
		k := (lo + hi) / 2
		var t int64
		for _, x := range p {
			t += (x + k - 1) / k
		}
		if t <= h {
			hi = k
		} else {
			lo = k + 1
		}
	}
	fmt.Println(lo)
}
""",
    javascript=JS + r"""
const n = num(), h = num(); const p = []; for (let i = 0; i < n; i++) p.push(num());
let lo = 1, hi = Math.max(...p);
while (lo < hi) {
  const k = Math.floor((lo + hi) / 2); let t = 0;
  for (const x of p) t += Math.ceil(x / k);
  if (t <= h) hi = k; else lo = k + 1;
}
console.log(String(lo));
""",
    cpp=CPP + r"""
int main() {
    int n; ll h; scanf("%d %lld", &n, &h); vector<ll> p(n); ll lo = 1, hi = 1;
    for (auto &x : p) { scanf("%lld", &x); hi = max(hi, x); }
    while (lo < hi) {
        ll k = (lo + hi) / 2, t = 0;
        for (ll x : p) t += (x + k - 1) / k;
        if (t <= h) hi = k; else lo = k + 1;
    }
    printf("%lld\n", lo);
}
""",
))

# ---------------------------------------------------------------- kth-largest
def _g_kth(rng):
    a = rand_ints(rng, 1800, -10**9, 10**9)
    return f"{len(a)} {rng.randint(1, len(a))}\n{ints(a)}\n"

PROBLEMS.append(P(
    id="kth-largest", title="K-th Largest Element", difficulty="medium",
    categories=["heap", "sorting"],
    statement=r"""
Find the k-th largest element of an array (counting duplicates: in 3 3 1 the 2nd largest is 3).

Input: the first line holds n and k (1 <= k <= n <= 200000). The second line holds the n integers (|a[i]| <= 10^9).

Output: the k-th largest value.
""",
    tests=[("6 2\n3 2 1 5 6 4\n", "5"), ("9 4\n3 2 3 1 2 4 5 5 6\n", "4"), ("1 1\n-5\n", "-5"),
           ("3 3\n7 7 7\n", "7"), ("4 1\n-1 -2 -3 -4\n", "-1"), ("4 4\n-1 -2 -3 -4\n", "-4")],
    gen=[_g_kth],
    python=r"""
import sys, heapq
d = sys.stdin.read().split()
n, k = int(d[0]), int(d[1])
print(heapq.nlargest(k, map(int, d[2:2 + n]))[-1])
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	var n, k int
	fmt.Fscan(in, &n, &k)
	a := make([]int64, n)
	for i := range a {
		fmt.Fscan(in, &a[i])
	}
	sort.Slice(a, func(i, j int) bool { return a[i] > a[j] })
	fmt.Println(a[k-1])
}
""",
    javascript=JS + r"""
const n = num(), k = num(); const a = new Float64Array(n); for (let i = 0; i < n; i++) a[i] = num();
a.sort(); console.log(String(a[n - k]));
""",
    cpp=CPP + r"""
int main() {
    int n, k; scanf("%d %d", &n, &k); vector<ll> a(n); for (auto &x : a) scanf("%lld", &x);
    nth_element(a.begin(), a.begin() + (k - 1), a.end(), greater<ll>());
    printf("%lld\n", a[k - 1]);
}
""",
))

# ---------------------------------------------------------------- merge-intervals
def _g_mi(rng):
    iv = []
    for _ in range(1000):
        s = rng.randint(-10**9, 10**9 - 100000)
        iv.append(f"{s} {s + rng.randint(0, 50000)}")
    return f"{len(iv)}\n" + "\n".join(iv) + "\n"

PROBLEMS.append(P(
    id="merge-intervals", title="Merge Intervals", difficulty="medium",
    categories=["intervals", "sorting"],
    statement=r"""
Merge all overlapping closed intervals [s, e]. Intervals that touch (one ends where the next starts) also merge.

Input: the first line holds n (0 <= n <= 100000). Each of the next n lines holds s and e (-10^9 <= s <= e <= 10^9).

Output: the first line holds the number m of merged intervals; then m lines "s e" in increasing order of s.
""",
    tests=[("4\n1 3\n2 6\n8 10\n15 18\n", "3\n1 6\n8 10\n15 18"), ("2\n1 4\n4 5\n", "1\n1 5"),
           ("1\n5 5\n", "1\n5 5"), ("0\n", "0"), ("3\n5 6\n1 2\n-3 10\n", "1\n-3 10"),
           ("2\n3 4\n1 2\n", "2\n1 2\n3 4")],
    gen=[_g_mi],
    python=r"""
import sys
d = list(map(int, sys.stdin.read().split()))
n = d[0]
iv = sorted((d[1 + 2 * i], d[2 + 2 * i]) for i in range(n))
res = []
for s, e in iv:
    if res and s <= res[-1][1]:
        res[-1][1] = max(res[-1][1], e)
    else:
        res.append([s, e])
print(len(res))
for s, e in res:
    print(s, e)
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var n int
	fmt.Fscan(in, &n)
	iv := make([][2]int64, n)
	for i := range iv {
		fmt.Fscan(in, &iv[i][0], &iv[i][1])
	}
	sort.Slice(iv, func(i, j int) bool { return iv[i][0] < iv[j][0] })
	res := [][2]int64{}
	for _, x := range iv {
		if len(res) > 0 && x[0] <= res[len(res)-1][1] {
			if x[1] > res[len(res)-1][1] {
				res[len(res)-1][1] = x[1]
			}
		} else {
			res = append(res, x)
		}
	}
	fmt.Fprintln(out, len(res))
	for _, x := range res {
		fmt.Fprintln(out, x[0], x[1])
	}
}
""",
    javascript=JS + r"""
const n = num(); const iv = []; for (let i = 0; i < n; i++) iv.push([num(), num()]);
iv.sort((a, b) => a[0] - b[0]); const res = [];
for (const [s, e] of iv) {
  if (res.length && s <= res[res.length - 1][1]) res[res.length - 1][1] = Math.max(res[res.length - 1][1], e);
  else res.push([s, e]);
}
console.log([String(res.length), ...res.map(x => x[0] + " " + x[1])].join("\n"));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<pair<ll, ll>> iv(n); for (auto &x : iv) scanf("%lld %lld", &x.first, &x.second);
    sort(iv.begin(), iv.end()); vector<pair<ll, ll>> res;
    for (auto &x : iv) { if (!res.empty() && x.first <= res.back().second) res.back().second = max(res.back().second, x.second); else res.push_back(x); }
    printf("%d\n", (int)res.size());
    for (auto &x : res) printf("%lld %lld\n", x.first, x.second);
}
""",
))

# ---------------------------------------------------------------- meeting-rooms
def _g_rooms(rng):
    iv = []
    for _ in range(1000):
        s = rng.randint(0, 10**9 - 1)
        iv.append(f"{s} {min(10**9, s + rng.randint(1, 10**6))}")
    return f"{len(iv)}\n" + "\n".join(iv) + "\n"

PROBLEMS.append(P(
    id="meeting-rooms", title="Minimum Meeting Rooms", difficulty="medium",
    categories=["intervals", "sorting", "heap"],
    statement=r"""
Each meeting occupies the half-open time interval [s, e): a meeting ending at time t and another starting at time t can share a room. Find the minimum number of rooms needed to hold all meetings.

Input: the first line holds n (0 <= n <= 200000). Each of the next n lines holds s and e (0 <= s < e <= 10^9).

Output: the minimum number of rooms.
""",
    tests=[("3\n0 30\n5 10\n15 20\n", "2"), ("2\n7 10\n2 4\n", "1"), ("0\n", "0"), ("2\n1 5\n5 10\n", "1"),
           ("3\n1 10\n2 10\n3 10\n", "3"), ("4\n0 1000000000\n0 1000000000\n1 2\n2 3\n", "3")],
    gen=[_g_rooms],
    python=r"""
import sys
d = list(map(int, sys.stdin.read().split()))
n = d[0]
ev = []
for i in range(n):
    ev.append((d[1 + 2 * i], 1))
    ev.append((d[2 + 2 * i], -1))
ev.sort()
cur = best = 0
for _, x in ev:
    cur += x
    best = max(best, cur)
print(best)
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(in, &n)
	ev := make([][2]int64, 0, 2*n)
	for i := 0; i < n; i++ {
		var s, e int64
		fmt.Fscan(in, &s, &e)
		ev = append(ev, [2]int64{s, 1}, [2]int64{e, -1})
	}
	sort.Slice(ev, func(i, j int) bool {
		if ev[i][0] != ev[j][0] {
			return ev[i][0] < ev[j][0]
		}
		return ev[i][1] < ev[j][1]
	})
	var cur, best int64
	for _, x := range ev {
		cur += x[1]
		if cur > best {
			best = cur
		}
	}
	fmt.Println(best)
}
""",
    javascript=JS + r"""
const n = num(); const ev = [];
for (let i = 0; i < n; i++) { ev.push([num(), 1]); ev.push([num(), -1]); }
ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
let cur = 0, best = 0; for (const x of ev) { cur += x[1]; best = Math.max(best, cur); }
console.log(String(best));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<pair<ll, int>> ev;
    for (int i = 0; i < n; i++) { ll s, e; scanf("%lld %lld", &s, &e); ev.push_back({s, 1}); ev.push_back({e, -1}); }
    sort(ev.begin(), ev.end()); int cur = 0, best = 0;
    for (auto &x : ev) { cur += x.second; best = max(best, cur); }
    printf("%d\n", best);
}
""",
))

# ---------------------------------------------------------------- sort-by-frequency
def _g_freq(rng):
    return arr_input([rng.randint(-300, 300) for _ in range(3000)])

PROBLEMS.append(P(
    id="sort-by-frequency", title="Sort by Frequency", difficulty="easy",
    categories=["sorting", "hashing"],
    statement=r"""
Sort an array so that values occurring more often come first; values with the same number of occurrences are ordered by increasing value. Equal values stay together.

Input: the first line holds n (0 <= n <= 200000); the second line holds the n integers (|a[i]| <= 10^9).

Output: one line with the sorted array, values separated by single spaces.
""",
    tests=[("6\n1 1 2 2 2 3\n", "2 2 2 1 1 3"), ("5\n2 3 1 3 2\n", "2 2 3 3 1"), ("1\n-1\n", "-1"), ("0\n\n", ""),
           ("6\n-1 1 -6 4 5 -6\n", "-6 -6 -1 1 4 5")],
    gen=[_g_freq],
    python=r"""
import sys
from collections import Counter
d = sys.stdin.read().split()
n = int(d[0]); a = list(map(int, d[1:1 + n]))
c = Counter(a)
print(" ".join(map(str, sorted(a, key=lambda x: (-c[x], x)))))
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var n int
	fmt.Fscan(in, &n)
	a := make([]int64, n)
	c := map[int64]int{}
	for i := range a {
		fmt.Fscan(in, &a[i])
		c[a[i]]++
	}
	sort.Slice(a, func(i, j int) bool {
		if c[a[i]] != c[a[j]] {
			return c[a[i]] > c[a[j]]
		}
		return a[i] < a[j]
	})
	for i, x := range a {
		if i > 0 {
			out.WriteByte(' ')
		}
		out.WriteString(strconv.FormatInt(x, 10))
	}
	out.WriteByte('\n')
}
""",
    javascript=JS + r"""
const n = num(); const a = []; const c = new Map();
for (let i = 0; i < n; i++) { const x = num(); a.push(x); c.set(x, (c.get(x) || 0) + 1); }
a.sort((x, y) => c.get(y) - c.get(x) || x - y);
console.log(a.join(" "));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<ll> a(n); map<ll, int> c;
    for (auto &x : a) { scanf("%lld", &x); c[x]++; }
    sort(a.begin(), a.end(), [&](ll x, ll y) { return c[x] != c[y] ? c[x] > c[y] : x < y; });
    for (int i = 0; i < n; i++) printf(i ? " %lld" : "%lld", a[i]);
    printf("\n");
}
""",
))

# ---------------------------------------------------------------- count-inversions
def _g_inv(rng):
    return arr_input(rand_ints(rng, 1800, -10**9, 10**9))

def _g_inv_rev(rng):
    return arr_input(list(range(3000, 0, -1)))

PROBLEMS.append(P(
    id="count-inversions", title="Count Inversions", difficulty="hard",
    categories=["sorting", "divide-and-conquer"],
    statement=r"""
Count the pairs of positions i < j with a[i] > a[j]. An O(n^2) algorithm is too slow for the largest inputs; use merge sort or a Fenwick tree.

Input: the first line holds n (0 <= n <= 200000); the second line holds the n integers (|a[i]| <= 10^9).

Output: the number of inversions (it may need 64-bit integers).
""",
    tests=[("5\n2 4 1 3 5\n", "3"), ("1\n7\n", "0"), ("0\n\n", "0"), ("4\n4 3 2 1\n", "6"), ("4\n1 1 1 1\n", "0"),
           ("3\n-1 -2 -3\n", "3"), ("6\n1000000000 -1000000000 1000000000 -1000000000 0 0\n", "7")],
    gen=[_g_inv, _g_inv_rev],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0]); a = list(map(int, d[1:1 + n]))
inv = 0
width = 1
buf = a[:]
while width < n:
    for lo in range(0, n, 2 * width):
        mid = min(lo + width, n); hi = min(lo + 2 * width, n)
        i, j, k = lo, mid, lo
        while i < mid and j < hi:
            if a[i] <= a[j]:
                buf[k] = a[i]; i += 1
            else:
                buf[k] = a[j]; j += 1; inv += mid - i
            k += 1
        buf[k:hi] = a[i:mid] + a[j:hi]
    a, buf = buf, a
    width *= 2
print(inv)
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(in, &n)
	a := make([]int64, n)
	for i := range a {
		fmt.Fscan(in, &a[i])
	}
	buf := make([]int64, n)
	var inv int64
	for w := 1; w < n; w *= 2 {
		for lo := 0; lo < n; lo += 2 * w {
			mid, hi := lo+w, lo+2*w
			if mid > n {
				mid = n
			}
			if hi > n {
				hi = n
			}
			i, j, k := lo, mid, lo
			for i < mid && j < hi {
				if a[i] <= a[j] {
					buf[k] = a[i]
					i++
				} else {
					buf[k] = a[j]
					j++
					inv += int64(mid - i)
				}
				k++
			}
			k += copy(buf[k:], a[i:mid])
			copy(buf[k:], a[j:hi])
		}
		a, buf = buf, a
	}
	fmt.Println(inv)
}
""",
    javascript=JS + r"""
const n = num(); let a = new Float64Array(n); for (let i = 0; i < n; i++) a[i] = num();
let buf = new Float64Array(n); let inv = 0;
for (let w = 1; w < n; w *= 2) {
  for (let lo = 0; lo < n; lo += 2 * w) {
    const mid = Math.min(lo + w, n), hi = Math.min(lo + 2 * w, n); let i = lo, j = mid, k = lo;
    while (i < mid && j < hi) { if (a[i] <= a[j]) buf[k++] = a[i++]; else { buf[k++] = a[j++]; inv += mid - i; } }
    while (i < mid) buf[k++] = a[i++]; while (j < hi) buf[k++] = a[j++];
  }
  [a, buf] = [buf, a];
}
console.log(String(inv));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<ll> a(n), buf(n); for (auto &x : a) scanf("%lld", &x);
    ll inv = 0;
    for (int w = 1; w < n; w *= 2) {
        for (int lo = 0; lo < n; lo += 2 * w) {
            int mid = min(lo + w, n), hi = min(lo + 2 * w, n), i = lo, j = mid, k = lo;
            while (i < mid && j < hi) { if (a[i] <= a[j]) buf[k++] = a[i++]; else { buf[k++] = a[j++]; inv += mid - i; } }
            while (i < mid) buf[k++] = a[i++]; while (j < hi) buf[k++] = a[j++];
        }
        swap(a, buf);
    }
    printf("%lld\n", inv);
}
""",
))

# ---------------------------------------------------------------- container-most-water
def _g_water(rng):
    return arr_input(rand_ints(rng, 1800, 0, 10**9))

PROBLEMS.append(P(
    id="container-most-water", title="Container With Most Water", difficulty="medium",
    categories=["two-pointers", "greedy", "arrays"],
    statement=r"""
n vertical lines stand at x = 0, 1, ..., n-1 with the given heights. Choose two lines that, together with the x-axis, form a container holding the most water: the amount is min(h[i], h[j]) * (j - i).

Input: the first line holds n (2 <= n <= 200000); the second line holds the n heights (0 <= h <= 10^9).

Output: the maximum amount (it may need 64-bit integers).
""",
    tests=[("9\n1 8 6 2 5 4 8 3 7\n", "49"), ("2\n1 1\n", "1"), ("2\n0 5\n", "0"),
           ("3\n1000000000 1 1000000000\n", "2000000000"), ("5\n1 2 4 3 1\n", "4")],
    gen=[_g_water],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0]); h = list(map(int, d[1:1 + n]))
i, j, best = 0, n - 1, 0
while i < j:
    best = max(best, min(h[i], h[j]) * (j - i))
    if h[i] < h[j]:
        i += 1
    else:
        j -= 1
print(best)
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(in, &n)
	h := make([]int64, n)
	for i := range h {
		fmt.Fscan(in, &h[i])
	}
	i, j := 0, n-1
	var best int64
	for i < j {
		m := h[i]
		if h[j] < m {
			m = h[j]
		}
		if a := m * int64(j-i); a > best {
			best = a
		}
		if h[i] < h[j] {
			i++
		} else {
			j--
		}
	}
	fmt.Println(best)
}
""",
    javascript=JS + r"""
const n = num(); const h = []; for (let k = 0; k < n; k++) h.push(num());
let i = 0, j = n - 1, best = 0;
while (i < j) { best = Math.max(best, Math.min(h[i], h[j]) * (j - i)); if (h[i] < h[j]) i++; else j--; }
console.log(String(best));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<ll> h(n); for (auto &x : h) scanf("%lld", &x);
    int i = 0, j = n - 1; ll best = 0;
    while (i < j) { best = max(best, min(h[i], h[j]) * (j - i)); if (h[i] < h[j]) i++; else j--; }
    printf("%lld\n", best);
}
""",
))

# ---------------------------------------------------------------- running-median
def _g_rmed(rng):
    return arr_input(rand_ints(rng, 1500, -10**9, 10**9))

PROBLEMS.append(P(
    id="running-median", title="Running Median", difficulty="hard",
    categories=["heap"],
    statement=r"""
Numbers arrive one at a time. After each arrival, report the lower median of the numbers seen so far: with k numbers in sorted order s[0] <= ... <= s[k-1], the lower median is s[(k-1)/2] (integer division).

Input: the first line holds n (1 <= n <= 200000); the second line holds the n integers in arrival order (|a[i]| <= 10^9).

Output: n lines, the lower median after each arrival.
""",
    tests=[("5\n5 15 1 3 2\n", "5\n5\n5\n3\n3"), ("1\n-7\n", "-7"), ("4\n1 2 3 4\n", "1\n1\n2\n2"),
           ("3\n2 2 2\n", "2\n2\n2"), ("4\n4 3 2 1\n", "4\n3\n3\n2")],
    gen=[_g_rmed],
    python=r"""
import sys, heapq
d = sys.stdin.read().split()
n = int(d[0])
lo, hi = [], []  # lo: max-heap (negated) holding the smaller half, len(lo) >= len(hi)
out = []
for x in map(int, d[1:1 + n]):
    if lo and x > -lo[0]:
        heapq.heappush(hi, x)
    else:
        heapq.heappush(lo, -x)
    if len(lo) > len(hi) + 1:
        heapq.heappush(hi, -heapq.heappop(lo))
    elif len(hi) > len(lo):
        heapq.heappush(lo, -heapq.heappop(hi))
    out.append(str(-lo[0]))
print("\n".join(out))
""",
    go=r"""
package main

import (
	"bufio"
	"container/heap"
	"fmt"
	"os"
)
""" + GO_INTHEAP + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var n int
	fmt.Fscan(in, &n)
	lo, hi := &MaxHeap{}, &MaxHeap{} // hi stores negated values, so it acts as a min-heap
	for i := 0; i < n; i++ {
		var x int64
		fmt.Fscan(in, &x)
		if lo.Len() > 0 && x > (*lo)[0] {
			heap.Push(hi, -x)
		} else {
			heap.Push(lo, x)
		}
		if lo.Len() > hi.Len()+1 {
			heap.Push(hi, -heap.Pop(lo).(int64))
		} else if hi.Len() > lo.Len() {
			heap.Push(lo, -heap.Pop(hi).(int64))
		}
		fmt.Fprintln(out, (*lo)[0])
	}
}
""",
    javascript=JS + JS_HEAP + r"""
const n = num(); const lo = new Heap((a, b) => a > b), hi = new Heap((a, b) => a < b); const out = [];
for (let i = 0; i < n; i++) {
  const x = num();
  if (lo.size() && x > lo.top()) hi.push(x); else lo.push(x);
  if (lo.size() > hi.size() + 1) hi.push(lo.pop()); else if (hi.size() > lo.size()) lo.push(hi.pop());
  out.push(String(lo.top()));
}
console.log(out.join("\n"));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); priority_queue<ll> lo; priority_queue<ll, vector<ll>, greater<ll>> hi;
    for (int i = 0; i < n; i++) {
        ll x; scanf("%lld", &x);
        if (!lo.empty() && x > lo.top()) hi.push(x); else lo.push(x);
        if (lo.size() > hi.size() + 1) { hi.push(lo.top()); lo.pop(); }
        else if (hi.size() > lo.size()) { lo.push(hi.top()); hi.pop(); }
        printf("%lld\n", lo.top());
    }
}
""",
))

# ---------------------------------------------------------------- last-stone-weight
def _g_stones(rng):
    return arr_input(rand_ints(rng, 1800, 1, 10**9))

PROBLEMS.append(P(
    id="last-stone-weight", title="Last Stone Weight", difficulty="easy",
    categories=["heap", "simulation"],
    statement=r"""
You have stones with positive weights. Repeatedly take the two heaviest stones, of weights x <= y, and smash them: if x = y both are destroyed, otherwise a stone of weight y - x remains. Continue until at most one stone is left.

Input: the first line holds n (0 <= n <= 200000); the second line holds the n weights (1 <= w <= 10^9).

Output: the weight of the last stone, or 0 if none is left.
""",
    tests=[("6\n2 7 4 1 8 1\n", "1"), ("1\n1\n", "1"), ("2\n5 5\n", "0"), ("0\n\n", "0"),
           ("3\n1000000000 1 1\n", "999999998"), ("3\n10 4 4\n", "2")],
    gen=[_g_stones],
    python=r"""
import sys, heapq
d = sys.stdin.read().split()
n = int(d[0])
h = [-int(x) for x in d[1:1 + n]]
heapq.heapify(h)
while len(h) > 1:
    y = -heapq.heappop(h); x = -heapq.heappop(h)
    if y != x:
        heapq.heappush(h, -(y - x))
print(-h[0] if h else 0)
""",
    go=r"""
package main

import (
	"bufio"
	"container/heap"
	"fmt"
	"os"
)
""" + GO_INTHEAP + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(in, &n)
	h := make(MaxHeap, n)
	for i := range h {
		fmt.Fscan(in, &h[i])
	}
	heap.Init(&h)
	for h.Len() > 1 {
		y := heap.Pop(&h).(int64)
		x := heap.Pop(&h).(int64)
		if y != x {
			heap.Push(&h, y-x)
		}
	}
	if h.Len() == 1 {
		fmt.Println(h[0])
	} else {
		fmt.Println(0)
	}
}
""",
    javascript=JS + JS_HEAP + r"""
const n = num(); const h = new Heap((a, b) => a > b); for (let i = 0; i < n; i++) h.push(num());
while (h.size() > 1) { const y = h.pop(), x = h.pop(); if (y !== x) h.push(y - x); }
console.log(String(h.size() ? h.top() : 0));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); priority_queue<ll> h; for (int i = 0; i < n; i++) { ll x; scanf("%lld", &x); h.push(x); }
    while (h.size() > 1) { ll y = h.top(); h.pop(); ll x = h.top(); h.pop(); if (y != x) h.push(y - x); }
    printf("%lld\n", h.empty() ? 0LL : h.top());
}
""",
))
