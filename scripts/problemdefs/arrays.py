from .common import JS, CPP, P, ints, rand_ints, arr_input

PROBLEMS = []

# ---------------------------------------------------------------- two-sum-indices
def _g_twosum(rng):
    n = 2500
    a = rand_ints(rng, n, -10**6, 10**6)
    t = a[n - 3] + a[n - 1]
    return arr_input(a, t)

def _g_twosum_none(rng):
    a = [2 * x for x in rand_ints(rng, 2500, -10**6, 10**6)]
    return arr_input(a, 1)

PROBLEMS.append(P(
    id="two-sum-indices", title="Two Sum Indices", difficulty="easy",
    categories=["hashing", "arrays"],
    statement=r"""
Given an array of n integers and a target value, find two different positions i < j such that a[i] + a[j] = target.

If several pairs exist, choose the one with the smallest j; among those, the smallest i.

Input: the first line holds n (0 <= n <= 100000). The second line holds n integers a[0..n-1] (|a[i]| <= 10^9). The third line holds the target (|target| <= 2*10^9).

Output: one line "i j" (0-based indices), or "-1 -1" when no pair exists.
""",
    tests=[("4\n2 7 11 15\n9\n", "0 1"), ("3\n3 2 4\n6\n", "1 2"), ("2\n3 3\n6\n", "0 1"),
           ("1\n5\n10\n", "-1 -1"), ("0\n\n5\n", "-1 -1"),
           ("5\n-1000000000 1 -1000000000 1000000000 5\n0\n", "0 3"),
           ("6\n1 5 1 5 3 3\n6\n", "0 1")],
    gen=[_g_twosum, _g_twosum_none],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0]); a = list(map(int, d[1:1 + n])); t = int(d[1 + n])
seen = {}
for j, x in enumerate(a):
    if t - x in seen:
        print(seen[t - x], j)
        break
    if x not in seen:
        seen[x] = j
else:
    print(-1, -1)
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
	var t int64
	fmt.Fscan(in, &t)
	seen := map[int64]int{}
	for j, x := range a {
		if i, ok := seen[t-x]; ok {
			fmt.Println(i, j)
			return
		}
		if _, ok := seen[x]; !ok {
			seen[x] = j
		}
	}
	fmt.Println(-1, -1)
}
""",
    javascript=JS + r"""
const n = num(); const a = []; for (let i = 0; i < n; i++) a.push(num()); const t = num();
const seen = new Map(); let ans = "-1 -1";
for (let j = 0; j < n; j++) {
  if (seen.has(t - a[j])) { ans = seen.get(t - a[j]) + " " + j; break; }
  if (!seen.has(a[j])) seen.set(a[j], j);
}
console.log(ans);
""",
    cpp=CPP + r"""
int main() {
    int n; cin >> n; vector<ll> a(n); for (auto &x : a) cin >> x; ll t; cin >> t;
    unordered_map<ll, int> seen;
    for (int j = 0; j < n; j++) {
        auto it = seen.find(t - a[j]);
        if (it != seen.end()) { printf("%d %d\n", it->second, j); return 0; }
        if (!seen.count(a[j])) seen[a[j]] = j;
    }
    printf("-1 -1\n");
}
""",
))

# ---------------------------------------------------------------- contains-nearby-duplicate
def _g_nearby(rng):
    n = 2000
    return f"{n} 5\n{ints(rand_ints(rng, n, -10**9, 10**9))}\n"

def _g_nearby_yes(rng):
    n = 2000
    a = list(range(n))
    rng.shuffle(a)
    i = rng.randint(100, n - 200)
    a[i + 37] = a[i]
    return f"{n} 40\n{ints(a)}\n"

PROBLEMS.append(P(
    id="contains-nearby-duplicate", title="Nearby Duplicate", difficulty="easy",
    categories=["hashing", "arrays"],
    statement=r"""
Given an array of n integers and a distance k, decide whether there are two positions i < j with a[i] = a[j] and j - i <= k.

Input: the first line holds n and k (0 <= n <= 100000, 0 <= k <= 100000). The second line holds the n integers (|a[i]| <= 10^9).

Output: "YES" if such a pair exists, otherwise "NO".
""",
    tests=[("4 3\n1 2 3 1\n", "YES"), ("4 2\n1 2 3 1\n", "NO"), ("6 2\n1 2 3 1 2 3\n", "NO"),
           ("1 5\n7\n", "NO"), ("0 1\n\n", "NO"), ("3 0\n1 1 1\n", "NO"), ("3 1\n-5 -5 9\n", "YES")],
    gen=[_g_nearby, _g_nearby_yes],
    python=r"""
import sys
d = sys.stdin.read().split()
n, k = int(d[0]), int(d[1])
last = {}
ok = False
for j in range(n):
    x = d[2 + j]
    v = int(x)
    if v in last and j - last[v] <= k:
        ok = True
        break
    last[v] = j
print("YES" if ok else "NO")
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
	var n, k int
	fmt.Fscan(in, &n, &k)
	last := map[int64]int{}
	for j := 0; j < n; j++ {
		var v int64
		fmt.Fscan(in, &v)
		if i, ok := last[v]; ok && j-i <= k {
			fmt.Println("YES")
			return
		}
		last[v] = j
	}
	fmt.Println("NO")
}
""",
    javascript=JS + r"""
const n = num(), k = num(); const last = new Map(); let ok = false;
for (let j = 0; j < n; j++) {
  const v = num();
  if (last.has(v) && j - last.get(v) <= k) { ok = true; break; }
  last.set(v, j);
}
console.log(ok ? "YES" : "NO");
""",
    cpp=CPP + r"""
int main() {
    int n, k; cin >> n >> k; unordered_map<ll, int> last;
    for (int j = 0; j < n; j++) {
        ll v; cin >> v;
        auto it = last.find(v);
        if (it != last.end() && j - it->second <= k) { puts("YES"); return 0; }
        last[v] = j;
    }
    puts("NO");
}
""",
))

# ---------------------------------------------------------------- majority-element
def _g_major(rng):
    n = 2001
    a = [rng.randint(-10**9, 10**9) for _ in range(n // 2)] + [123456789] * (n - n // 2)
    rng.shuffle(a)
    return arr_input(a)

def _g_major_none(rng):
    n = 6000
    a = [rng.randint(1, 3) for _ in range(n)]
    return arr_input(a)

PROBLEMS.append(P(
    id="majority-element", title="Majority Element", difficulty="easy",
    categories=["arrays", "hashing"],
    statement=r"""
Find the value that occurs strictly more than n/2 times in an array of n integers, if there is one.

Input: the first line holds n (0 <= n <= 100000); the second line holds the n integers (|a[i]| <= 10^9).

Output: the majority value, or "NONE" if no value occurs more than n/2 times.
""",
    tests=[("3\n3 2 3\n", "3"), ("4\n1 2 1 2\n", "NONE"), ("1\n-7\n", "-7"), ("0\n\n", "NONE"),
           ("7\n2 2 1 1 1 2 2\n", "2"), ("4\n5 5 5 1\n", "5")],
    gen=[_g_major, _g_major_none],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0]); a = list(map(int, d[1:1 + n]))
cand, cnt = 0, 0
for x in a:
    if cnt == 0:
        cand = x
    cnt += 1 if x == cand else -1
print(cand if n and a.count(cand) * 2 > n else "NONE")
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
	var cand int64
	cnt := 0
	for i := range a {
		fmt.Fscan(in, &a[i])
		if cnt == 0 {
			cand = a[i]
		}
		if a[i] == cand {
			cnt++
		} else {
			cnt--
		}
	}
	c := 0
	for _, x := range a {
		if x == cand {
			c++
		}
	}
	if n > 0 && 2*c > n {
		fmt.Println(cand)
	} else {
		fmt.Println("NONE")
	}
}
""",
    javascript=JS + r"""
const n = num(); const a = []; for (let i = 0; i < n; i++) a.push(num());
let cand = 0, cnt = 0;
for (const x of a) { if (cnt === 0) cand = x; cnt += x === cand ? 1 : -1; }
const c = a.filter(x => x === cand).length;
console.log(n > 0 && 2 * c > n ? String(cand) : "NONE");
""",
    cpp=CPP + r"""
int main() {
    int n; cin >> n; vector<ll> a(n); for (auto &x : a) cin >> x;
    ll cand = 0; int cnt = 0;
    for (ll x : a) { if (cnt == 0) cand = x; cnt += x == cand ? 1 : -1; }
    int c = count(a.begin(), a.end(), cand);
    if (n > 0 && 2 * c > n) printf("%lld\n", cand); else puts("NONE");
}
""",
))

# ---------------------------------------------------------------- max-subarray-sum
def _g_kadane(rng):
    return arr_input(rand_ints(rng, 1800, -10**9, 10**9))

def _g_kadane_pos(rng):
    return arr_input(rand_ints(rng, 1800, -10**5, 10**9))

PROBLEMS.append(P(
    id="max-subarray-sum", title="Maximum Subarray Sum", difficulty="easy",
    categories=["dp", "arrays"],
    statement=r"""
Find the largest sum of a non-empty contiguous subarray.

Input: the first line holds n (1 <= n <= 100000); the second line holds the n integers (|a[i]| <= 10^9).

Output: the maximum subarray sum (it may need 64-bit integers).
""",
    tests=[("9\n-2 1 -3 4 -1 2 1 -5 4\n", "6"), ("1\n-5\n", "-5"), ("3\n-3 -1 -2\n", "-1"),
           ("5\n1000000000 1000000000 1000000000 1000000000 1000000000\n", "5000000000"),
           ("4\n5 -10 5 5\n", "10"), ("2\n0 0\n", "0")],
    gen=[_g_kadane, _g_kadane_pos],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0]); a = list(map(int, d[1:1 + n]))
best = cur = a[0]
for x in a[1:]:
    cur = max(x, cur + x)
    best = max(best, cur)
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
	var best, cur int64
	for i := 0; i < n; i++ {
		var x int64
		fmt.Fscan(in, &x)
		if i == 0 || cur+x < x {
			cur = x
		} else {
			cur += x
		}
		if i == 0 || cur > best {
			best = cur
		}
	}
	fmt.Println(best)
}
""",
    javascript=JS + r"""
const n = num(); let best = 0, cur = 0;
for (let i = 0; i < n; i++) {
  const x = num();
  cur = i === 0 ? x : Math.max(x, cur + x);
  best = i === 0 ? cur : Math.max(best, cur);
}
console.log(String(best));
""",
    cpp=CPP + r"""
int main() {
    int n; cin >> n; ll best = 0, cur = 0;
    for (int i = 0; i < n; i++) {
        ll x; cin >> x;
        cur = i == 0 ? x : max(x, cur + x);
        best = i == 0 ? cur : max(best, cur);
    }
    printf("%lld\n", best);
}
""",
))

# ---------------------------------------------------------------- range-sum-queries
def _g_rsq(rng):
    n, q = 800, 800
    a = rand_ints(rng, n, -10**9, 10**9)
    qs = []
    for _ in range(q):
        l = rng.randrange(n); r = rng.randrange(l, n)
        qs.append(f"{l} {r}")
    return arr_input(a, q, "\n".join(qs))

PROBLEMS.append(P(
    id="range-sum-queries", title="Range Sum Queries", difficulty="easy",
    categories=["arrays", "prefix-sums"],
    statement=r"""
Answer sum queries over a fixed array: for each query (l, r) print a[l] + a[l+1] + ... + a[r].

Input: the first line holds n (1 <= n <= 100000); the second line holds the n integers (|a[i]| <= 10^9). The third line holds q (0 <= q <= 100000). Each of the next q lines holds l and r (0 <= l <= r < n).

Output: q lines, the answer to each query in order (64-bit integers may be needed).
""",
    tests=[("5\n1 2 3 4 5\n3\n0 4\n1 1\n2 3\n", "15\n2\n7"),
           ("1\n-1000000000\n2\n0 0\n0 0\n", "-1000000000\n-1000000000"),
           ("3\n1000000000 1000000000 1000000000\n1\n0 2\n", "3000000000"),
           ("4\n-1 1 -1 1\n2\n0 3\n1 2\n", "0\n0"), ("2\n5 6\n0\n", "")],
    gen=[_g_rsq],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0]); a = list(map(int, d[1:1 + n])); q = int(d[1 + n])
pre = [0]
for x in a:
    pre.append(pre[-1] + x)
out = []
p = 2 + n
for _ in range(q):
    l, r = int(d[p]), int(d[p + 1]); p += 2
    out.append(str(pre[r + 1] - pre[l]))
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
	pre := make([]int64, n+1)
	for i := 0; i < n; i++ {
		var x int64
		fmt.Fscan(in, &x)
		pre[i+1] = pre[i] + x
	}
	fmt.Fscan(in, &q)
	for ; q > 0; q-- {
		var l, r int
		fmt.Fscan(in, &l, &r)
		fmt.Fprintln(out, pre[r+1]-pre[l])
	}
}
""",
    javascript=JS + r"""
const n = num(); const pre = [0]; for (let i = 0; i < n; i++) pre.push(pre[i] + num());
const q = num(); const out = [];
for (let i = 0; i < q; i++) { const l = num(), r = num(); out.push(String(pre[r + 1] - pre[l])); }
console.log(out.join("\n"));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<ll> pre(n + 1, 0);
    for (int i = 0; i < n; i++) { ll x; scanf("%lld", &x); pre[i + 1] = pre[i] + x; }
    int q; scanf("%d", &q);
    while (q--) { int l, r; scanf("%d %d", &l, &r); printf("%lld\n", pre[r + 1] - pre[l]); }
}
""",
))

# ---------------------------------------------------------------- subarray-sum-count
def _g_subk(rng):
    n = 5000
    return f"{n} 3\n{ints(rand_ints(rng, n, -2, 2))}\n"

def _g_subk_zero(rng):
    n = 5000
    return f"{n} 0\n{ints(rand_ints(rng, n, -1, 1))}\n"

PROBLEMS.append(P(
    id="subarray-sum-count", title="Count Subarrays With Sum K", difficulty="medium",
    categories=["hashing", "prefix-sums", "arrays"],
    statement=r"""
Count the non-empty contiguous subarrays whose elements add up to exactly k.

Input: the first line holds n and k (0 <= n <= 100000, |k| <= 10^9). The second line holds the n integers (|a[i]| <= 10^4).

Output: the number of such subarrays (it may need 64-bit integers).
""",
    tests=[("3 2\n1 1 1\n", "2"), ("3 3\n1 2 3\n", "2"), ("1 0\n0\n", "1"), ("4 0\n0 0 0 0\n", "10"),
           ("5 -1\n-1 -1 1 -1 0\n", "7"), ("0 5\n\n", "0")],
    gen=[_g_subk, _g_subk_zero],
    python=r"""
import sys
d = sys.stdin.read().split()
n, k = int(d[0]), int(d[1])
cnt = {0: 1}
s = total = 0
for i in range(n):
    s += int(d[2 + i])
    total += cnt.get(s - k, 0)
    cnt[s] = cnt.get(s, 0) + 1
print(total)
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
	var k int64
	fmt.Fscan(in, &n, &k)
	cnt := map[int64]int64{0: 1}
	var s, total int64
	for i := 0; i < n; i++ {
		var x int64
		fmt.Fscan(in, &x)
		s += x
		total += cnt[s-k]
		cnt[s]++
	}
	fmt.Println(total)
}
""",
    javascript=JS + r"""
const n = num(), k = num(); const cnt = new Map([[0, 1]]); let s = 0, total = 0;
for (let i = 0; i < n; i++) {
  s += num();
  total += cnt.get(s - k) || 0;
  cnt.set(s, (cnt.get(s) || 0) + 1);
}
console.log(String(total));
""",
    cpp=CPP + r"""
int main() {
    int n; ll k; cin >> n >> k; unordered_map<ll, ll> cnt; cnt[0] = 1; ll s = 0, total = 0;
    for (int i = 0; i < n; i++) {
        ll x; cin >> x; s += x;
        auto it = cnt.find(s - k); if (it != cnt.end()) total += it->second;
        cnt[s]++;
    }
    printf("%lld\n", total);
}
""",
))

# ---------------------------------------------------------------- longest-consecutive-run
def _g_lcr(rng):
    return arr_input(rand_ints(rng, 2500, -3000, 3000))

PROBLEMS.append(P(
    id="longest-consecutive-run", title="Longest Consecutive Run", difficulty="medium",
    categories=["hashing", "arrays"],
    statement=r"""
Given n integers in any order, find the length of the longest run of consecutive integers v, v+1, ..., v+L-1 that all appear in the array (duplicates count once).

Input: the first line holds n (0 <= n <= 100000); the second line holds the n integers (|a[i]| <= 10^9).

Output: the length L of the longest run (0 for an empty array).
""",
    tests=[("6\n100 4 200 1 3 2\n", "4"), ("0\n\n", "0"), ("10\n0 3 7 2 5 8 4 6 0 1\n", "9"),
           ("5\n1 1 1 1 1\n", "1"), ("4\n-2 -1 -3 10\n", "3"),
           ("3\n1000000000 999999999 -1000000000\n", "2")],
    gen=[_g_lcr],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0]); s = set(map(int, d[1:1 + n]))
best = 0
for v in s:
    if v - 1 not in s:
        L = 1
        while v + L in s:
            L += 1
        best = max(best, L)
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
	s := map[int64]bool{}
	for i := 0; i < n; i++ {
		var x int64
		fmt.Fscan(in, &x)
		s[x] = true
	}
	best := int64(0)
	for v := range s {
		if !s[v-1] {
			L := int64(1)
			for s[v+L] {
				L++
			}
			if L > best {
				best = L
			}
		}
	}
	fmt.Println(best)
}
""",
    javascript=JS + r"""
const n = num(); const s = new Set(); for (let i = 0; i < n; i++) s.add(num());
let best = 0;
for (const v of s) {
  if (!s.has(v - 1)) { let L = 1; while (s.has(v + L)) L++; best = Math.max(best, L); }
}
console.log(String(best));
""",
    cpp=CPP + r"""
int main() {
    int n; cin >> n; unordered_set<ll> s; for (int i = 0; i < n; i++) { ll x; cin >> x; s.insert(x); }
    ll best = 0;
    for (ll v : s) if (!s.count(v - 1)) { ll L = 1; while (s.count(v + L)) L++; best = max(best, L); }
    printf("%lld\n", best);
}
""",
))

# ---------------------------------------------------------------- group-anagrams
def _g_anag(rng):
    n = 2000
    ws = ["".join(rng.choice("abcd") for _ in range(rng.randint(1, 5))) for _ in range(n)]
    return f"{n}\n{' '.join(ws)}\n"

PROBLEMS.append(P(
    id="group-anagrams", title="Group Anagrams", difficulty="medium",
    categories=["hashing", "strings", "sorting"],
    statement=r"""
Group words that are anagrams of each other (same letters with the same counts).

Input: the first line holds n (0 <= n <= 20000); the second line holds n words of lowercase letters (1 to 20 letters each), separated by spaces. Words may repeat.

Output: the first line holds the number of groups G. Then G lines, one per group: the group's words sorted lexicographically (repeats kept), separated by single spaces. Groups are ordered by their first (smallest) word.
""",
    tests=[("6\neat tea tan ate nat bat\n", "3\nate eat tea\nbat\nnat tan"), ("1\na\n", "1\na"),
           ("3\nab ba ab\n", "1\nab ab ba"), ("4\nabc def cba fed\n", "2\nabc cba\ndef fed"),
           ("0\n\n", "0"), ("3\nb a c\n", "3\na\nb\nc")],
    gen=[_g_anag],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0])
g = {}
for w in d[1:1 + n]:
    g.setdefault("".join(sorted(w)), []).append(w)
groups = sorted(sorted(v) for v in g.values())
print(len(groups))
for v in groups:
    print(" ".join(v))
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var n int
	fmt.Fscan(in, &n)
	g := map[string][]string{}
	for i := 0; i < n; i++ {
		var w string
		fmt.Fscan(in, &w)
		b := []byte(w)
		sort.Slice(b, func(x, y int) bool { return b[x] < b[y] })
		g[string(b)] = append(g[string(b)], w)
	}
	groups := [][]string{}
	for _, v := range g {
		sort.Strings(v)
		groups = append(groups, v)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i][0] < groups[j][0] })
	fmt.Fprintln(out, len(groups))
	for _, v := range groups {
		fmt.Fprintln(out, strings.Join(v, " "))
	}
}
""",
    javascript=JS + r"""
const n = num(); const g = new Map();
for (let i = 0; i < n; i++) {
  const w = next(); const k = w.split("").sort().join("");
  if (!g.has(k)) g.set(k, []); g.get(k).push(w);
}
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const groups = [...g.values()].map(v => v.sort(cmp)).sort((a, b) => cmp(a[0], b[0]));
const out = [String(groups.length)]; for (const v of groups) out.push(v.join(" "));
console.log(out.join("\n"));
""",
    cpp=CPP + r"""
int main() {
    int n; cin >> n; map<string, vector<string>> g;
    for (int i = 0; i < n; i++) { string w; cin >> w; string k = w; sort(k.begin(), k.end()); g[k].push_back(w); }
    vector<vector<string>> groups;
    for (auto &kv : g) { sort(kv.second.begin(), kv.second.end()); groups.push_back(kv.second); }
    sort(groups.begin(), groups.end(), [](const vector<string> &a, const vector<string> &b) { return a[0] < b[0]; });
    printf("%d\n", (int)groups.size());
    for (auto &v : groups) { for (size_t i = 0; i < v.size(); i++) { if (i) putchar(' '); fputs(v[i].c_str(), stdout); } putchar('\n'); }
}
""",
))

# ---------------------------------------------------------------- product-except-self
def _g_prod(rng):
    a = rand_ints(rng, 1500, 0, 10**9)
    return arr_input(a)

def _g_prod_zero(rng):
    a = rand_ints(rng, 1000, 1, 10**9)
    a[rng.randrange(1000)] = 0
    return arr_input(a)

PROBLEMS.append(P(
    id="product-except-self", title="Product of All Other Elements", difficulty="medium",
    categories=["arrays", "prefix-sums", "math"],
    statement=r"""
For each position i, compute the product of all elements except a[i], modulo 1000000007. Division is not needed (and does not work with zeros); think prefix and suffix products.

Input: the first line holds n (1 <= n <= 100000); the second line holds the n integers (0 <= a[i] <= 10^9).

Output: one line with n values separated by spaces: for each i, the product of all a[j] with j != i, modulo 1000000007 (the empty product is 1).
""",
    tests=[("4\n1 2 3 4\n", "24 12 8 6"), ("1\n5\n", "1"), ("3\n0 2 3\n", "6 0 0"), ("3\n0 0 7\n", "0 0 0"),
           ("2\n1000000000 1000000000\n", "1000000000 1000000000"),
           ("3\n1000000007 2 3\n", "6 0 0")],
    gen=[_g_prod, _g_prod_zero],
    python=r"""
import sys
d = sys.stdin.read().split()
M = 10**9 + 7
n = int(d[0]); a = [int(x) % M for x in d[1:1 + n]]
suf = [1] * (n + 1)
for i in range(n - 1, -1, -1):
    suf[i] = suf[i + 1] * a[i] % M
res, pre = [], 1
for i in range(n):
    res.append(pre * suf[i + 1] % M)
    pre = pre * a[i] % M
print(" ".join(map(str, res)))
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
)

func main() {
	const M = 1000000007
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var n int
	fmt.Fscan(in, &n)
	a := make([]int64, n)
	for i := range a {
		fmt.Fscan(in, &a[i])
		a[i] %= M
	}
	suf := make([]int64, n+1)
	suf[n] = 1
	for i := n - 1; i >= 0; i-- {
		suf[i] = suf[i+1] * a[i] % M
	}
	pre := int64(1)
	for i := 0; i < n; i++ {
		if i > 0 {
			out.WriteByte(' ')
		}
		out.WriteString(strconv.FormatInt(pre*suf[i+1]%M, 10))
		pre = pre * a[i] % M
	}
	out.WriteByte('\n')
}
""",
    javascript=JS + r"""
const M = 1000000007n; const n = num(); const a = [];
for (let i = 0; i < n; i++) a.push(BigInt(next()) % M);
const suf = new Array(n + 1); suf[n] = 1n;
for (let i = n - 1; i >= 0; i--) suf[i] = suf[i + 1] * a[i] % M;
const res = []; let pre = 1n;
for (let i = 0; i < n; i++) { res.push((pre * suf[i + 1] % M).toString()); pre = pre * a[i] % M; }
console.log(res.join(" "));
""",
    cpp=CPP + r"""
int main() {
    const ll M = 1000000007; int n; scanf("%d", &n); vector<ll> a(n);
    for (auto &x : a) { scanf("%lld", &x); x %= M; }
    vector<ll> suf(n + 1, 1);
    for (int i = n - 1; i >= 0; i--) suf[i] = suf[i + 1] * a[i] % M;
    ll pre = 1;
    for (int i = 0; i < n; i++) { printf(i ? " %lld" : "%lld", pre * suf[i + 1] % M); pre = pre * a[i] % M; }
    printf("\n");
}
""",
))

# ---------------------------------------------------------------- rotate-array
def _g_rot(rng):
    n = 1500
    return f"{n} {rng.randint(10**8, 10**9)}\n{ints(rand_ints(rng, n, -10**9, 10**9))}\n"

PROBLEMS.append(P(
    id="rotate-array", title="Rotate Array Right", difficulty="easy",
    categories=["arrays"],
    statement=r"""
Rotate an array to the right by k steps: the last element moves to the front, k times.

Input: the first line holds n and k (0 <= n <= 100000, 0 <= k <= 10^9). The second line holds the n integers.

Output: one line with the rotated array, values separated by single spaces (an empty line for n = 0).
""",
    tests=[("7 3\n1 2 3 4 5 6 7\n", "5 6 7 1 2 3 4"), ("2 5\n-1 2\n", "2 -1"), ("1 1000000000\n9\n", "9"),
           ("0 3\n\n", ""), ("4 4\n1 2 3 4\n", "1 2 3 4"), ("3 0\n1 2 3\n", "1 2 3")],
    gen=[_g_rot],
    python=r"""
import sys
d = sys.stdin.read().split()
n, k = int(d[0]), int(d[1]); a = d[2:2 + n]
if n:
    k %= n
    a = a[n - k:] + a[:n - k]
print(" ".join(a))
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	var n, k int
	fmt.Fscan(in, &n, &k)
	a := make([]string, n)
	for i := range a {
		fmt.Fscan(in, &a[i])
	}
	if n > 0 {
		k %= n
		a = append(append([]string{}, a[n-k:]...), a[:n-k]...)
	}
	fmt.Println(strings.Join(a, " "))
}
""",
    javascript=JS + r"""
const n = num(); let k = num(); let a = T.slice(P, P + n);
if (n > 0) { k %= n; a = a.slice(n - k).concat(a.slice(0, n - k)); }
console.log(a.join(" "));
""",
    cpp=CPP + r"""
int main() {
    int n; ll k; cin >> n >> k; vector<ll> a(n); for (auto &x : a) cin >> x;
    if (n) rotate(a.begin(), a.begin() + (n - k % n) % n, a.end());
    for (int i = 0; i < n; i++) printf(i ? " %lld" : "%lld", a[i]);
    printf("\n");
}
""",
))

# ---------------------------------------------------------------- move-zeros
def _g_mz(rng):
    return arr_input([0 if rng.random() < 0.4 else rng.randint(-10**9, 10**9) for _ in range(2000)])

PROBLEMS.append(P(
    id="move-zeros", title="Move Zeros to the End", difficulty="easy",
    categories=["arrays", "two-pointers"],
    statement=r"""
Move every 0 to the end of the array while keeping the relative order of the non-zero elements.

Input: the first line holds n (0 <= n <= 100000); the second line holds the n integers.

Output: one line with the resulting array, values separated by single spaces.
""",
    tests=[("5\n0 1 0 3 12\n", "1 3 12 0 0"), ("1\n0\n", "0"), ("3\n1 2 3\n", "1 2 3"),
           ("4\n0 0 -1 0\n", "-1 0 0 0"), ("0\n\n", ""), ("5\n-1000000000 0 1000000000 0 0\n",
                                                         "-1000000000 1000000000 0 0 0")],
    gen=[_g_mz],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0]); a = list(map(int, d[1:1 + n]))
nz = [x for x in a if x != 0]
print(" ".join(map(str, nz + [0] * (n - len(nz)))))
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
)

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var n int
	fmt.Fscan(in, &n)
	a := make([]int64, n)
	w := 0
	for i := 0; i < n; i++ {
		var x int64
		fmt.Fscan(in, &x)
		if x != 0 {
			a[w] = x
			w++
		}
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			out.WriteByte(' ')
		}
		out.WriteString(strconv.FormatInt(a[i], 10))
	}
	out.WriteByte('\n')
}
""",
    javascript=JS + r"""
const n = num(); const a = []; for (let i = 0; i < n; i++) a.push(num());
const nz = a.filter(x => x !== 0); while (nz.length < n) nz.push(0);
console.log(nz.join(" "));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<ll> a(n, 0); int w = 0;
    for (int i = 0; i < n; i++) { ll x; scanf("%lld", &x); if (x) a[w++] = x; }
    for (int i = 0; i < n; i++) printf(i ? " %lld" : "%lld", a[i]);
    printf("\n");
}
""",
))

# ---------------------------------------------------------------- merge-sorted-arrays
def _g_merge(rng):
    a = sorted(rand_ints(rng, 1000, -10**9, 10**9))
    b = sorted(rand_ints(rng, 800, -10**9, 10**9))
    return f"{len(a)}\n{ints(a)}\n{len(b)}\n{ints(b)}\n"

PROBLEMS.append(P(
    id="merge-sorted-arrays", title="Merge Two Sorted Arrays", difficulty="easy",
    categories=["arrays", "two-pointers", "sorting"],
    statement=r"""
Merge two arrays that are each sorted in non-decreasing order into one sorted array.

Input: a line with n, a line with the n values of the first array, a line with m, a line with the m values of the second array (0 <= n, m <= 100000; |values| <= 10^9; a line may be empty when its count is 0).

Output: one line with the n + m merged values in non-decreasing order, separated by single spaces.
""",
    tests=[("3\n1 2 3\n3\n2 5 6\n", "1 2 2 3 5 6"), ("0\n\n2\n-1 4\n", "-1 4"), ("1\n5\n0\n\n", "5"),
           ("0\n\n0\n\n", ""),
           ("2\n-1000000000 1000000000\n2\n-1000000000 1000000000\n",
            "-1000000000 -1000000000 1000000000 1000000000")],
    gen=[_g_merge],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0]); a = list(map(int, d[1:1 + n])); m = int(d[1 + n]); b = list(map(int, d[2 + n:2 + n + m]))
i = j = 0; res = []
while i < n and j < m:
    if a[i] <= b[j]:
        res.append(a[i]); i += 1
    else:
        res.append(b[j]); j += 1
res += a[i:] + b[j:]
print(" ".join(map(str, res)))
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
)

func read(in *bufio.Reader) []int64 {
	var n int
	fmt.Fscan(in, &n)
	a := make([]int64, n)
	for i := range a {
		fmt.Fscan(in, &a[i])
	}
	return a
}

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	a := read(in)
	b := read(in)
	res := make([]int64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] <= b[j] {
			res = append(res, a[i])
			i++
		} else {
			res = append(res, b[j])
			j++
		}
	}
	res = append(append(res, a[i:]...), b[j:]...)
	for k, x := range res {
		if k > 0 {
			out.WriteByte(' ')
		}
		out.WriteString(strconv.FormatInt(x, 10))
	}
	out.WriteByte('\n')
}
""",
    javascript=JS + r"""
const rd = () => { const n = num(); const a = []; for (let i = 0; i < n; i++) a.push(num()); return a; };
const a = rd(), b = rd(); const res = []; let i = 0, j = 0;
while (i < a.length && j < b.length) res.push(a[i] <= b[j] ? a[i++] : b[j++]);
while (i < a.length) res.push(a[i++]); while (j < b.length) res.push(b[j++]);
console.log(res.join(" "));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<ll> a(n); for (auto &x : a) scanf("%lld", &x);
    int m; scanf("%d", &m); vector<ll> b(m); for (auto &x : b) scanf("%lld", &x);
    vector<ll> r(n + m); merge(a.begin(), a.end(), b.begin(), b.end(), r.begin());
    for (int i = 0; i < n + m; i++) printf(i ? " %lld" : "%lld", r[i]);
    printf("\n");
}
""",
))
