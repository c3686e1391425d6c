from .common import JS, CPP, P, ints, rand_ints, arr_input, word

PROBLEMS = []

GO_HEAD = """package main

import (
	"bufio"
	"fmt"
	"os"
)
"""

# ---------------------------------------------------------------- climbing-stairs
PROBLEMS.append(P(
    id="climbing-stairs", title="Climbing Stairs", difficulty="easy",
    categories=["dp", "math"],
    statement=r"""
You climb a staircase of n steps, taking 1 or 2 steps at a time. Count the distinct ways to reach the top, modulo 1000000007.

Input: one line with n (1 <= n <= 10^6).

Output: the number of ways modulo 1000000007.
""",
    tests=[("1\n", "1"), ("2\n", "2"), ("3\n", "3"), ("5\n", "8"), ("45\n", "836311896"), ("1000000\n", None),
           ("999999\n", None)],
    python=r"""
n = int(input())
M = 10**9 + 7
a, b = 1, 1
for _ in range(n - 1):
    a, b = b, (a + b) % M
print(b)
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(in, &n)
	const M = 1000000007
	a, b := 1, 1
	for i := 1; i < n; i++ {
		a, b = b, (a+b)%M
	}
	fmt.Println(b)
}
""",
    javascript=JS + r"""
const n = num(); const M = 1000000007; let a = 1, b = 1;
for (let i = 1; i < n; i++) { const c = (a + b) % M; a = b; b = c; }
console.log(String(b));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); const ll M = 1000000007; ll a = 1, b = 1;
    for (int i = 1; i < n; i++) { ll c = (a + b) % M; a = b; b = c; }
    printf("%lld\n", b);
}
""",
))

# ---------------------------------------------------------------- coin-change-min
def _g_ccmin(rng):
    coins = sorted(set(rng.randint(7, 500) for _ in range(20)))
    return f"{len(coins)} 10000\n{ints(coins)}\n"

PROBLEMS.append(P(
    id="coin-change-min", title="Fewest Coins", difficulty="medium",
    categories=["dp"],
    statement=r"""
Given coin denominations (unlimited supply of each) and an amount, find the fewest coins that add up exactly to the amount.

Input: the first line holds n and amount (1 <= n <= 100, 0 <= amount <= 10000). The second line holds the n distinct denominations (1 <= c <= 10000).

Output: the fewest number of coins, or -1 if the amount cannot be made.
""",
    tests=[("3 11\n1 2 5\n", "3"), ("1 3\n2\n", "-1"), ("1 0\n1\n", "0"), ("2 7\n2 4\n", "-1"),
           ("4 6249\n186 419 83 408\n", "20")],
    gen=[_g_ccmin],
    python=r"""
import sys
d = list(map(int, sys.stdin.read().split()))
n, amt = d[0], d[1]; coins = d[2:2 + n]
INF = float("inf")
dp = [0] + [INF] * amt
for a in range(1, amt + 1):
    for c in coins:
        if c <= a and dp[a - c] + 1 < dp[a]:
            dp[a] = dp[a - c] + 1
print(dp[amt] if dp[amt] != INF else -1)
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var n, amt int
	fmt.Fscan(in, &n, &amt)
	coins := make([]int, n)
	for i := range coins {
		fmt.Fscan(in, &coins[i])
	}
	const INF = 1 << 30
	dp := make([]int, amt+1)
	for a := 1; a <= amt; a++ {
		dp[a] = INF
		for _, c := range coins {
			if c <= a && dp[a-c]+1 < dp[a] {
				dp[a] = dp[a-c] + 1
			}
		}
	}
	if dp[amt] >= INF {
		fmt.Println(-1)
	} else {
		fmt.Println(dp[amt])
	}
}
""",
    javascript=JS + r"""
const n = num(), amt = num(); const coins = []; for (let i = 0; i < n; i++) coins.push(num());
const dp = new Array(amt + 1).fill(Infinity); dp[0] = 0;
for (let a = 1; a <= amt; a++) for (const c of coins) if (c <= a && dp[a - c] + 1 < dp[a]) dp[a] = dp[a - c] + 1;
console.log(String(dp[amt] === Infinity ? -1 : dp[amt]));
""",
    cpp=CPP + r"""
int main() {
    int n, amt; scanf("%d %d", &n, &amt); vector<int> coins(n); for (auto &c : coins) scanf("%d", &c);
    const int INF = 1 << 30; vector<int> dp(amt + 1, INF); dp[0] = 0;
    for (int a = 1; a <= amt; a++) for (int c : coins) if (c <= a && dp[a - c] + 1 < dp[a]) dp[a] = dp[a - c] + 1;
    printf("%d\n", dp[amt] >= INF ? -1 : dp[amt]);
}
""",
))

# ---------------------------------------------------------------- coin-change-ways
def _g_ccways(rng):
    coins = sorted(set(rng.randint(1, 300) for _ in range(50)))
    return f"{len(coins)} 20000\n{ints(coins)}\n"

PROBLEMS.append(P(
    id="coin-change-ways", title="Ways to Make Change", difficulty="medium",
    categories=["dp"],
    statement=r"""
Count the ways to make an amount from coin denominations with unlimited supply, where the order of coins does not matter (2+1 and 1+2 are the same way). Print the count modulo 1000000007.

Input: the first line holds n and amount (1 <= n <= 100, 0 <= amount <= 20000). The second line holds the n distinct denominations (1 <= c <= 10000).

Output: the number of ways modulo 1000000007 (the amount 0 has exactly one way).
""",
    tests=[("3 5\n1 2 5\n", "4"), ("1 3\n2\n", "0"), ("1 0\n7\n", "1"), ("1 10\n10\n", "1"),
           ("3 100\n1 5 10\n", "121")],
    gen=[_g_ccways],
    python=r"""
import sys
d = list(map(int, sys.stdin.read().split()))
n, amt = d[0], d[1]; coins = d[2:2 + n]
M = 10**9 + 7
dp = [1] + [0] * amt
for c in coins:
    for a in range(c, amt + 1):
        dp[a] = (dp[a] + dp[a - c]) % M
print(dp[amt])
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var n, amt int
	fmt.Fscan(in, &n, &amt)
	const M = 1000000007
	dp := make([]int, amt+1)
	dp[0] = 1
	for i := 0; i < n; i++ {
		var c int
		fmt.Fscan(in, &c)
		for a := c; a <= amt; a++ {
			dp[a] = (dp[a] + dp[a-c]) % M
		}
	}
	fmt.Println(dp[amt])
}
""",
    javascript=JS + r"""
const n = num(), amt = num(); const M = 1000000007; const dp = new Array(amt + 1).fill(0); dp[0] = 1;
for (let i = 0; i < n; i++) { const c = num(); for (let a = c; a <= amt; a++) dp[a] = (dp[a] + dp[a - c]) % M; }
console.log(String(dp[amt]));
""",
    cpp=CPP + r"""
int main() {
    int n, amt; scanf("%d %d", &n, &amt); const ll M = 1000000007; vector<ll> dp(amt + 1, 0); dp[0] = 1;
    for (int i = 0; i < n; i++) { int c; scanf("%d", &c); for (int a = c; a <= amt; a++) dp[a] = (dp[a] + dp[a - c]) % M; }
    printf("%lld\n", dp[amt]);
}
""",
))

# ---------------------------------------------------------------- lis-length
def _g_lis(rng):
    return arr_input(rand_ints(rng, 2000, -10**9, 10**9))

PROBLEMS.append(P(
    id="lis-length", title="Longest Increasing Subsequence", difficulty="medium",
    categories=["dp", "binary-search"],
    statement=r"""
Find the length of the longest strictly increasing subsequence (not necessarily contiguous). The largest inputs need an O(n log n) algorithm.

Input: the first line holds n (0 <= n <= 200000); the second line holds the n integers (|a[i]| <= 10^9).

Output: the length.
""",
    tests=[("8\n10 9 2 5 3 7 101 18\n", "4"), ("6\n0 1 0 3 2 3\n", "4"), ("7\n7 7 7 7 7 7 7\n", "1"),
           ("1\n5\n", "1"), ("0\n\n", "0"), ("5\n-5 -4 -3 -2 -1\n", "5")],
    gen=[_g_lis],
    python=r"""
import sys
from bisect import bisect_left
d = sys.stdin.read().split()
n = int(d[0])
tails = []
for x in map(int, d[1:1 + n]):
    i = bisect_left(tails, x)
    if i == len(tails):
        tails.append(x)
    else:
        tails[i] = x
print(len(tails))
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
	tails := []int64{}
	for i := 0; i < n; i++ {
		var x int64
		fmt.Fscan(in, &x)
		j := sort.Search(len(tails), func(k int) bool { return tails[k] >= x })
		if j == len(tails) {
			tails = append(tails, x)
		} else {
			tails[j] = x
		}
	}
	fmt.Println(len(tails))
}
""",
    javascript=JS + r"""
const n = num(); const tails = [];
for (let i = 0; i < n; i++) {
  const x = num(); let lo = 0, hi = tails.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (tails[m] < x) lo = m + 1; else hi = m; }
  tails[lo] = x;
}
console.log(String(tails.length));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<ll> t;
    for (int i = 0; i < n; i++) { ll x; scanf("%lld", &x); auto it = lower_bound(t.begin(), t.end(), x); if (it == t.end()) t.push_back(x); else *it = x; }
    printf("%d\n", (int)t.size());
}
""",
))

# ---------------------------------------------------------------- edit-distance
def _g_edit(rng):
    a = word(rng, 1000, 1000, "abcd")
    b = list(a[100:] + word(rng, 150, 150, "abcd"))
    for _ in range(200):
        b[rng.randrange(len(b))] = rng.choice("abcd")
    return f"{a} {''.join(b)}\n"

PROBLEMS.append(P(
    id="edit-distance", title="Edit Distance", difficulty="medium",
    categories=["dp", "strings"],
    statement=r"""
Compute the minimum number of single-character insertions, deletions and substitutions that turn word a into word b (the Levenshtein distance).

Input: one line with a and b separated by a space (lowercase letters, 1 <= |a|, |b| <= 2000).

Output: the distance.
""",
    tests=[("horse ros\n", "3"), ("intention execution\n", "5"), ("a a\n", "0"), ("abc def\n", "3"),
           ("kitten sitting\n", "3"), ("a bbbb\n", "4")],
    gen=[_g_edit],
    python=r"""
a, b = input().split()
m = len(b)
prev = list(range(m + 1))
for i, ca in enumerate(a, 1):
    cur = [i] + [0] * m
    for j in range(1, m + 1):
        cur[j] = prev[j - 1] if ca == b[j - 1] else 1 + min(prev[j - 1], prev[j], cur[j - 1])
    prev = cur
print(prev[m])
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var a, b string
	fmt.Fscan(in, &a, &b)
	m := len(b)
	prev := make([]int, m+1)
	cur := make([]int, m+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= m; j++ {
			if a[i-1] == b[j-1] {
				cur[j] = prev[j-1]
			} else {
				v := prev[j-1]
				if prev[j] < v {
					v = prev[j]
				}
				if cur[j-1] < v {
					v = cur[j-1]
				}
				cur[j] = v + 1
			}
		}
		prev, cur = cur, prev
	}
	fmt.Println(prev[m])
}
""",
    javascript=JS + r"""
const a = next(), b = next(); const m = b.length;
let prev = Array.from({ length: m + 1 }, (_, j) => j), cur = new Array(m + 1).fill(0);
for (let i = 1; i <= a.length; i++) {
  cur[0] = i;
  for (let j = 1; j <= m; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] : 1 + Math.min(prev[j - 1], prev[j], cur[j - 1]);
  [prev, cur] = [cur, prev];
}
console.log(String(prev[m]));
""",
    cpp=CPP + r"""
int main() {
    string a, b; cin >> a >> b; int m = b.size(); vector<int> prev(m + 1), cur(m + 1);
    for (int j = 0; j <= m; j++) prev[j] = j;
    for (size_t i = 1; i <= a.size(); i++) {
        cur[0] = i;
        for (int j = 1; j <= m; j++) cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] : 1 + min({prev[j - 1], prev[j], cur[j - 1]});
        swap(prev, cur);
    }
    printf("%d\n", prev[m]);
}
""",
))

# ---------------------------------------------------------------- house-robber
def _g_rob(rng):
    return arr_input(rand_ints(rng, 2000, 0, 10**9))

PROBLEMS.append(P(
    id="house-robber", title="Non-Adjacent Maximum Sum", difficulty="easy",
    categories=["dp"],
    statement=r"""
Houses stand in a row, each holding some money. You may take money from any set of houses as long as no two chosen houses are adjacent. Find the maximum total.

Input: the first line holds n (0 <= n <= 200000); the second line holds the n amounts (0 <= a[i] <= 10^9).

Output: the maximum total (it may need 64-bit integers).
""",
    tests=[("4\n1 2 3 1\n", "4"), ("5\n2 7 9 3 1\n", "12"), ("0\n\n", "0"), ("1\n5\n", "5"),
           ("3\n1000000000 1 1000000000\n", "2000000000"), ("4\n2 1 1 2\n", "4")],
    gen=[_g_rob],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0])
take = skip = 0
for x in map(int, d[1:1 + n]):
    take, skip = skip + x, max(take, skip)
print(max(take, skip))
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(in, &n)
	var take, skip int64
	for i := 0; i < n; i++ {
		var x int64
		fmt.Fscan(in, &x)
		nt := skip + x
		if take > skip {
			skip = take
		}
		take = nt
	}
	if take > skip {
		skip = take
	}
	fmt.Println(skip)
}
""",
    javascript=JS + r"""
const n = num(); let take = 0, skip = 0;
for (let i = 0; i < n; i++) { const x = num(); const nt = skip + x; skip = Math.max(take, skip); take = nt; }
console.log(String(Math.max(take, skip)));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); ll take = 0, skip = 0;
    for (int i = 0; i < n; i++) { ll x; scanf("%lld", &x); ll nt = skip + x; skip = max(take, skip); take = nt; }
    printf("%lld\n", max(take, skip));
}
""",
))

# ---------------------------------------------------------------- grid-paths-obstacles
def _g_grid(rng):
    r, c = 120, 120
    rows = ["".join("#" if rng.random() < 0.08 else "." for _ in range(c)) for _ in range(r)]
    rows[0] = "." + rows[0][1:]
    rows[-1] = rows[-1][:-1] + "."
    return f"{r} {c}\n" + "\n".join(rows) + "\n"

PROBLEMS.append(P(
    id="grid-paths-obstacles", title="Grid Paths Around Obstacles", difficulty="medium",
    categories=["dp", "grid"],
    statement=r"""
A robot starts in the top-left cell of a grid and moves only right or down to the bottom-right cell. Cells marked '#' are blocked. Count the paths modulo 1000000007.

Input: the first line holds r and c (1 <= r, c <= 1000). Each of the next r lines holds c characters, '.' (free) or '#' (blocked).

Output: the number of paths modulo 1000000007 (0 if the start or the end is blocked).
""",
    tests=[("3 3\n...\n.#.\n...\n", "2"), ("1 1\n.\n", "1"), ("1 1\n#\n", "0"), ("2 2\n.#\n#.\n", "0"),
           ("3 7\n.......\n.......\n.......\n", "28")],
    gen=[_g_grid],
    python=r"""
import sys
d = sys.stdin.read().split()
r, c = int(d[0]), int(d[1]); g = d[2:2 + r]
M = 10**9 + 7
dp = [0] * c
dp[0] = 1
for i in range(r):
    row = g[i]
    for j in range(c):
        if row[j] == "#":
            dp[j] = 0
        elif j:
            dp[j] = (dp[j] + dp[j - 1]) % M
print(dp[c - 1])
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var r, c int
	fmt.Fscan(in, &r, &c)
	const M = 1000000007
	dp := make([]int, c)
	dp[0] = 1
	for i := 0; i < r; i++ {
		var row string
		fmt.Fscan(in, &row)
		for j := 0; j < c; j++ {
			if row[j] == '#' {
				dp[j] = 0
			} else if j > 0 {
				dp[j] = (dp[j] + dp[j-1]) % M
			}
		}
	}
	fmt.Println(dp[c-1])
}
""",
    javascript=JS + r"""
const r = num(), c = num(); const M = 1000000007; const dp = new Array(c).fill(0); dp[0] = 1;
for (let i = 0; i < r; i++) { const row = next(); for (let j = 0; j < c; j++) { if (row[j] === "#") dp[j] = 0; else if (j) dp[j] = (dp[j] + dp[j - 1]) % M; } }
console.log(String(dp[c - 1]));
""",
    cpp=CPP + r"""
int main() {
    int r, c; cin >> r >> c; const ll M = 1000000007; vector<ll> dp(c, 0); dp[0] = 1;
    for (int i = 0; i < r; i++) { string row; cin >> row; for (int j = 0; j < c; j++) { if (row[j] == '#') dp[j] = 0; else if (j) dp[j] = (dp[j] + dp[j - 1]) % M; } }
    printf("%lld\n", dp[c - 1]);
}
""",
))

# ---------------------------------------------------------------- word-break
def _g_wb(rng):
    words = sorted(set(word(rng, 1, 8, "abc") for _ in range(40)))
    s = "".join(rng.choice(words) for _ in range(2000))
    return f"{s}\n{len(words)}\n{' '.join(words)}\n"

def _g_wb_no(rng):
    s = "a" * 3000 + "b"
    words = ["a" * k for k in range(1, 30)]
    return f"{s}\n{len(words)}\n{' '.join(words)}\n"

PROBLEMS.append(P(
    id="word-break", title="Word Break", difficulty="medium",
    categories=["dp", "strings", "hashing"],
    statement=r"""
Decide whether a string can be split into a sequence of one or more dictionary words (words may be reused).

Input: the first line holds s (lowercase letters, 1 <= |s| <= 10000). The second line holds n (1 <= n <= 1000). The third line holds the n dictionary words (lowercase letters, 1 to 30 letters each).

Output: "YES" or "NO".
""",
    tests=[("leetcode\n2\nleet code\n", "YES"), ("applepenapple\n2\napple pen\n", "YES"),
           ("catsandog\n5\ncats dog sand and cat\n", "NO"), ("a\n1\nb\n", "NO"),
           ("aaaaaaa\n2\naaaa aaa\n", "YES")],
    gen=[_g_wb, _g_wb_no],
    python=r"""
import sys
d = sys.stdin.read().split()
s = d[0]; n = int(d[1]); words = set(d[2:2 + n])
L = max(map(len, words))
ok = [True] + [False] * len(s)
for i in range(1, len(s) + 1):
    for k in range(1, min(L, i) + 1):
        if ok[i - k] and s[i - k:i] in words:
            ok[i] = True
            break
print("YES" if ok[len(s)] else "NO")
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var s string
	var n int
	fmt.Fscan(in, &s, &n)
	words := map[string]bool{}
	L := 0
	for i := 0; i < n; i++ {
		var w string
		fmt.Fscan(in, &w)
		words[w] = true
		if len(w) > L {
			L = len(w)
		}
	}
	ok := make([]bool, len(s)+1)
	ok[0] = true
	for i := 1; i <= len(s); i++ {
		for k := 1; k <= L && k <= i; k++ {
			if ok[i-k] && words[s[i-k:i]] {
				ok[i] = true
				break
			}
		}
	}
	if ok[len(s)] {
		fmt.Println("YES")
	} else {
		fmt.Println("NO")
	}
}
""",
    javascript=JS + r"""
const s = next(); const n = num(); const words = new Set(); let L = 0;
for (let i = 0; i < n; i++) { const w = next(); words.add(w); L = Math.max(L, w.length); }
const ok = new Array(s.length + 1).fill(false); ok[0] = true;
for (let i = 1; i <= s.length; i++) for (let k = 1; k <= L && k <= i; k++) if (ok[i - k] && words.has(s.slice(i - k, i))) { ok[i] = true; break; }
console.log(ok[s.length] ? "YES" : "NO");
""",
    cpp=CPP + r"""
int main() {
    string s; int n; cin >> s >> n; unordered_set<string> words; size_t L = 0;
    for (int i = 0; i < n; i++) { string w; cin >> w; words.insert(w); L = max(L, w.size()); }
    vector<bool> ok(s.size() + 1, false); ok[0] = true;
    for (size_t i = 1; i <= s.size(); i++) for (size_t k = 1; k <= L && k <= i; k++) if (ok[i - k] && words.count(s.substr(i - k, k))) { ok[i] = true; break; }
    puts(ok[s.size()] ? "YES" : "NO");
}
""",
))

# ---------------------------------------------------------------- partition-equal-subset
def _g_part(rng):
    a = rand_ints(rng, 200, 1, 100)
    if sum(a) % 2:
        a[0] += 1 if a[0] < 100 else -1
    return arr_input(a)

def _g_part_no(rng):
    a = [2 * x for x in rand_ints(rng, 199, 1, 50)] + [1]
    a[5] = 3
    return arr_input(a)

PROBLEMS.append(P(
    id="partition-equal-subset", title="Partition Into Equal Sums", difficulty="medium",
    categories=["dp", "bit-manipulation"],
    statement=r"""
Decide whether an array of positive integers can be split into two groups (every element in exactly one group) with equal sums.

Input: the first line holds n (1 <= n <= 200); the second line holds the n integers (1 <= a[i] <= 100).

Output: "YES" or "NO".
""",
    tests=[("4\n1 5 11 5\n", "YES"), ("4\n1 2 3 5\n", "NO"), ("1\n2\n", "NO"), ("2\n100 100\n", "YES"),
           ("3\n3 3 4\n", "NO"), ("5\n1 1 1 1 2\n", "YES")],
    gen=[_g_part, _g_part_no],
    python=r"""
import sys
d = list(map(int, sys.stdin.read().split()))
a = d[1:1 + d[0]]
s = sum(a)
bits = 1
for x in a:
    bits |= bits << x
print("YES" if s % 2 == 0 and (bits >> (s // 2)) & 1 else "NO")
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(in, &n)
	a := make([]int, n)
	s := 0
	for i := range a {
		fmt.Fscan(in, &a[i])
		s += a[i]
	}
	can := make([]bool, s+1)
	can[0] = true
	for _, x := range a {
		for v := s; v >= x; v-- {
			if can[v-x] {
				can[v] = true
			}
		}
	}
	if s%2 == 0 && can[s/2] {
		fmt.Println("YES")
	} else {
		fmt.Println("NO")
	}
}
""",
    javascript=JS + r"""
const n = num(); const a = []; let s = 0; for (let i = 0; i < n; i++) { a.push(num()); s += a[i]; }
const can = new Uint8Array(s + 1); can[0] = 1;
for (const x of a) for (let v = s; v >= x; v--) if (can[v - x]) can[v] = 1;
console.log(s % 2 === 0 && can[s / 2] ? "YES" : "NO");
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); bitset<20001> b; b[0] = 1; int s = 0;
    for (int i = 0; i < n; i++) { int x; scanf("%d", &x); s += x; b |= b << x; }
    puts(s % 2 == 0 && b[s / 2] ? "YES" : "NO");
}
""",
))

# ---------------------------------------------------------------- knapsack-01
def _g_knap(rng):
    n, W = 100, 10000
    items = [f"{rng.randint(1, 1000)} {rng.randint(1, 10**9)}" for _ in range(n)]
    return f"{n} {W}\n" + "\n".join(items) + "\n"

PROBLEMS.append(P(
    id="knapsack-01", title="0/1 Knapsack", difficulty="medium",
    categories=["dp"],
    statement=r"""
Choose a subset of items, each usable at most once, with total weight at most W and the largest total value.

Input: the first line holds n and W (1 <= n <= 200, 0 <= W <= 20000). Each of the next n lines holds an item's weight and value (1 <= w <= 20000, 1 <= v <= 10^9).

Output: the largest total value (it may need 64-bit integers).
""",
    tests=[("3 4\n1 15\n3 20\n4 30\n", "35"), ("1 0\n1 10\n", "0"), ("2 10\n5 10\n5 10\n", "20"),
           ("3 50\n10 60\n20 100\n30 120\n", "220"), ("1 1000\n1000 1000000000\n", "1000000000")],
    gen=[_g_knap],
    python=r"""
import sys
d = list(map(int, sys.stdin.read().split()))
n, W = d[0], d[1]
dp = [0] * (W + 1)
for i in range(n):
    w, v = d[2 + 2 * i], d[3 + 2 * i]
    for c in range(W, w - 1, -1):
        if dp[c - w] + v > dp[c]:
            dp[c] = dp[c - w] + v
print(dp[W])
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var n, W int
	fmt.Fscan(in, &n, &W)
	dp := make([]int64, W+1)
	for i := 0; i < n; i++ {
		var w int
		var v int64
		fmt.Fscan(in, &w, &v)
		for c := W; c >= w; c-- {
			if dp[c-w]+v > dp[c] {
				dp[c] = dp[c-w] + v
			}
		}
	}
	fmt.Println(dp[W])
}
""",
    javascript=JS + r"""
const n = num(), W = num(); const dp = new Array(W + 1).fill(0);
for (let i = 0; i < n; i++) { const w = num(), v = num(); for (let c = W; c >= w; c--) if (dp[c - w] + v > dp[c]) dp[c] = dp[c - w] + v; }
console.log(String(dp[W]));
""",
    cpp=CPP + r"""
int main() {
    int n, W; scanf("%d %d", &n, &W); vector<ll> dp(W + 1, 0);
    for (int i = 0; i < n; i++) { int w; ll v; scanf("%d %lld", &w, &v); for (int c = W; c >= w; c--) dp[c] = max(dp[c], dp[c - w] + v); }
    printf("%lld\n", dp[W]);
}
""",
))

# ---------------------------------------------------------------- decode-ways
def _g_decode(rng):
    return "".join(rng.choice("1111222345678910") for _ in range(20000)).replace("00", "01")[:20000] + "\n"

PROBLEMS.append(P(
    id="decode-ways", title="Decode Ways", difficulty="medium",
    categories=["dp", "strings"],
    statement=r"""
Letters are encoded as numbers: A=1, B=2, ..., Z=26. Given a string of digits, count the ways to decode it back into letters (each letter's code is used without leading zeros, so "06" cannot be "F"). Print the count modulo 1000000007.

Input: one line with the digit string (1 <= length <= 200000).

Output: the number of decodings modulo 1000000007 (0 if there is none).
""",
    tests=[("12\n", "2"), ("226\n", "3"), ("06\n", "0"), ("0\n", "0"), ("10\n", "1"), ("11106\n", "2"),
           ("2611055971756562\n", "4")],
    gen=[_g_decode],
    python=r"""
s = input().strip()
M = 10**9 + 7
prev2, prev = 1, (1 if s[0] != "0" else 0)
for i in range(1, len(s)):
    cur = prev if s[i] != "0" else 0
    if s[i - 1] == "1" or (s[i - 1] == "2" and s[i] <= "6"):
        cur += prev2
    prev2, prev = prev, cur % M
print(prev)
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var s string
	fmt.Fscan(in, &s)
	const M = 1000000007
	prev2, prev := 1, 0
	if s[0] != '0' {
		prev = 1
	}
	for i := 1; i < len(s); i++ {
		cur := 0
		if s[i] != '0' {
			cur = prev
		}
		if s[i-1] == '1' || (s[i-1] == '2' && s[i] <= '6') {
			cur += prev2
		}
		prev2, prev = prev, cur%M
	}
	fmt.Println(prev)
}
""",
    javascript=JS + r"""
const s = next(); const M = 1000000007; let prev2 = 1, prev = s[0] !== "0" ? 1 : 0;
for (let i = 1; i < s.length; i++) {
  let cur = s[i] !== "0" ? prev : 0;
  if (s[i - 1] === "1" || (s[i - 1] === "2" && s[i] <= "6")) cur += prev2;
  prev2 = prev; prev = cur % M;
}
console.log(String(prev));
""",
    cpp=CPP + r"""
int main() {
    string s; cin >> s; const ll M = 1000000007; ll prev2 = 1, prev = s[0] != '0';
    for (size_t i = 1; i < s.size(); i++) {
        ll cur = s[i] != '0' ? prev : 0;
        if (s[i - 1] == '1' || (s[i - 1] == '2' && s[i] <= '6')) cur += prev2;
        prev2 = prev; prev = cur % M;
    }
    printf("%lld\n", prev);
}
""",
))

# ---------------------------------------------------------------- burst-balloons
def _g_burst(rng):
    return arr_input(rand_ints(rng, 200, 0, 100))

PROBLEMS.append(P(
    id="burst-balloons", title="Burst Balloons", difficulty="hard",
    categories=["dp", "divide-and-conquer"],
    statement=r"""
n balloons in a row carry numbers. Bursting balloon i earns left * a[i] * right coins, where left and right are the numbers on the nearest balloons still unburst on each side (use 1 past either end). After a burst, its neighbours become adjacent. Burst all balloons in the order that earns the most coins.

Input: the first line holds n (0 <= n <= 300); the second line holds the n numbers (0 <= a[i] <= 100).

Output: the maximum total number of coins.
""",
    tests=[("4\n3 1 5 8\n", "167"), ("2\n1 5\n", "10"), ("1\n7\n", "7"), ("0\n\n", "0"), ("3\n0 0 0\n", "0"),
           ("3\n100 100 100\n", "1010100")],
    gen=[_g_burst],
    python=r"""
import sys
d = list(map(int, sys.stdin.read().split()))
n = d[0]
a = [1] + d[1:1 + n] + [1]
m = n + 2
dp = [[0] * m for _ in range(m)]
for length in range(2, m):
    for l in range(0, m - length):
        r = l + length
        al, ar = a[l], a[r]
        best = 0
        row_l = dp[l]
        for k in range(l + 1, r):
            v = row_l[k] + dp[k][r] + al * a[k] * ar
            if v > best:
                best = v
        dp[l][r] = best
print(dp[0][m - 1])
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(in, &n)
	a := make([]int64, n+2)
	a[0], a[n+1] = 1, 1
	for i := 1; i <= n; i++ {
		fmt.Fscan(in, &a[i])
	}
	m := n + 2
	dp := make([][]int64, m)
	for i := range dp {
		dp[i] = make([]int64, m)
	}
	for length := 2; length < m; length++ {
		for l := 0; l+length < m; l++ {
			r := l + length
			for k := l + 1; k < r; k++ {
				if v := dp[l][k] + dp[k][r] + a[l]*a[k]*a[r]; v > dp[l][r] {
					dp[l][r] = v
				}
			}
		}
	}
	fmt.Println(dp[0][m-1])
}
""",
    javascript=JS + r"""
const n = num(); const a = [1]; for (let i = 0; i < n; i++) a.push(num()); a.push(1);
const m = n + 2; const dp = Array.from({ length: m }, () => new Array(m).fill(0));
for (let len = 2; len < m; len++) for (let l = 0; l + len < m; l++) {
  const r = l + len; let best = 0;
  for (let k = l + 1; k < r; k++) best = Math.max(best, dp[l][k] + dp[k][r] + a[l] * a[k] * a[r]);
  dp[l][r] = best;
}
console.log(String(dp[0][m - 1]));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<ll> a(n + 2, 1); for (int i = 1; i <= n; i++) scanf("%lld", &a[i]);
    int m = n + 2; vector<vector<ll>> dp(m, vector<ll>(m, 0));
    for (int len = 2; len < m; len++) for (int l = 0; l + len < m; l++) {
        int r = l + len;
        for (int k = l + 1; k < r; k++) dp[l][r] = max(dp[l][r], dp[l][k] + dp[k][r] + a[l] * a[k] * a[r]);
    }
    printf("%lld\n", dp[0][m - 1]);
}
""",
))
