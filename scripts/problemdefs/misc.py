from .common import JS, CPP, P, ints, rand_ints, arr_input

PROBLEMS = []

GO_HEAD = """package main

import (
	"bufio"
	"fmt"
	"os"
)
"""

# ---------------------------------------------------------------- gcd-lcm
def _g_gcd(rng):
    ps = []
    for _ in range(1000):
        g = rng.randint(1, 1000)
        ps.append(f"{g * rng.randint(1, 10**6)} {g * rng.randint(1, 10**6)}")
    return f"{len(ps)}\n" + "\n".join(ps) + "\n"

PROBLEMS.append(P(
    id="gcd-lcm", title="GCD and LCM", difficulty="easy",
    categories=["math"],
    statement=r"""
For each pair of positive integers a and b, print their greatest common divisor and least common multiple.

Input: the first line holds q (1 <= q <= 100000); each of the next q lines holds a and b (1 <= a, b <= 10^9).

Output: q lines "g l" with g = gcd(a, b) and l = lcm(a, b) (l can reach 10^18, beyond 2^53).
""",
    tests=[("2\n12 18\n7 5\n", "6 36\n1 35"), ("1\n1 1\n", "1 1"), ("1\n1000000000 999999999\n", "1 999999999000000000"),
           ("1\n1000000000 1000000000\n", "1000000000 1000000000"), ("1\n999999937 999999929\n", "1 999999866000004473")],
    gen=[_g_gcd],
    python=r"""
import sys
from math import gcd
d = list(map(int, sys.stdin.read().split()))
out = []
for i in range(d[0]):
    a, b = d[1 + 2 * i], d[2 + 2 * i]
    g = gcd(a, b)
    out.append(f"{g} {a // g * b}")
print("\n".join(out))
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var q int
	fmt.Fscan(in, &q)
	for ; q > 0; q-- {
		var a, b int64
		fmt.Fscan(in, &a, &b)
		x, y := a, b
		for y != 0 {
			x, y = y, x%y
		}
		fmt.Fprintln(out, x, a/x*b)
	}
}
""",
    javascript=JS + r"""
const q = num(); const out = [];
for (let i = 0; i < q; i++) {
  const a = num(), b = num(); let x = a, y = b;
  while (y) { [x, y] = [y, x % y]; }
  out.push(x + " " + (BigInt(a / x) * BigInt(b)).toString());
}
console.log(out.join("\n"));
""",
    cpp=CPP + r"""
int main() {
    int q; scanf("%d", &q);
    while (q--) { ll a, b; scanf("%lld %lld", &a, &b); ll g = __gcd(a, b); printf("%lld %lld\n", g, a / g * b); }
}
""",
))

# ---------------------------------------------------------------- modular-power
def _g_pow(rng):
    qs = [f"{rng.randint(0, 10**18)} {rng.randint(0, 10**18)} {rng.randint(1, 10**9)}" for _ in range(500)]
    return f"{len(qs)}\n" + "\n".join(qs) + "\n"

PROBLEMS.append(P(
    id="modular-power", title="Fast Modular Exponentiation", difficulty="easy",
    categories=["math", "bit-manipulation"],
    statement=r"""
For each query compute a^b mod m. Exponents are huge, so use exponentiation by squaring. By convention a^0 = 1 (also for a = 0), and any value mod 1 is 0.

Input: the first line holds q (1 <= q <= 100000); each of the next q lines holds a, b and m (0 <= a, b <= 10^18, 1 <= m <= 10^9).

Output: q lines, a^b mod m for each query.
""",
    tests=[("3\n2 10 1000\n3 0 7\n0 0 5\n", "24\n1\n1"), ("1\n2 100 1\n", "0"), ("1\n5 3 13\n", "8"),
           ("1\n0 5 7\n", "0"), ("1\n1000000000000000000 1000000000000000000 999999937\n", None),
           ("1\n2 1000000000000000000 1000000000\n", None)],
    gen=[_g_pow],
    python=r"""
import sys
d = list(map(int, sys.stdin.read().split()))
print("\n".join(str(pow(d[1 + 3 * i], d[2 + 3 * i], d[3 + 3 * i])) for i in range(d[0])))
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var q int
	fmt.Fscan(in, &q)
	for ; q > 0; q-- {
		var a, b, m uint64
		fmt.Fscan(in, &a, &b, &m)
		r := 1 % m
		a %= m
		for b > 0 {
			if b&1 == 1 {
				r = r * a % m
			}
			a = a * a % m
			b >>= 1
		}
		fmt.Fprintln(out, r)
	}
}
""",
    javascript=JS + r"""
const q = num(); const out = [];
for (let i = 0; i < q; i++) {
  let a = BigInt(next()), b = BigInt(next()); const m = BigInt(next());
  let r = 1n % m; a %= m;
  while (b > 0n) { if (b & 1n) r = r * a % m; a = a * a % m; b >>= 1n; }
  out.push(r.toString());
}
console.log(out.join("\n"));
""",
    cpp=CPP + r"""
int main() {
    int q; scanf("%d", &q);
    while (q--) {
        unsigned long long a, b, m; scanf("%llu %llu %llu", &a, &b, &m);
        unsigned long long r = 1 % m; a %= m;
        while (b) { if (b & 1) r = r * a % m; a = a * a % m; b >>= 1; }
        printf("%llu\n", r);
    }
}
""",
))

# ---------------------------------------------------------------- single-number
def _g_single(rng):
    vals = list(set(rand_ints(rng, 1000, -10**9, 10**9)))
    a = vals[1:] * 2 + [vals[0]]
    rng.shuffle(a)
    return arr_input(a)

PROBLEMS.append(P(
    id="single-number", title="The Unpaired Number", difficulty="easy",
    categories=["bit-manipulation"],
    statement=r"""
Every value in the array appears exactly twice, except one value that appears once. Find it, ideally in O(n) time and O(1) extra memory (hint: XOR).

Input: the first line holds n (1 <= n <= 200001, n odd); the second line holds the n integers (|a[i]| <= 10^9).

Output: the value that appears once.
""",
    tests=[("3\n2 2 1\n", "1"), ("5\n4 1 2 1 2\n", "4"), ("1\n-1\n", "-1"), ("3\n-5 7 -5\n", "7"),
           ("5\n1000000000 -1000000000 0 -1000000000 1000000000\n", "0")],
    gen=[_g_single],
    python=r"""
import sys
d = sys.stdin.read().split()
x = 0
for v in d[1:1 + int(d[0])]:
    x ^= int(v)
print(x)
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(in, &n)
	var x int64
	for i := 0; i < n; i++ {
		var v int64
		fmt.Fscan(in, &v)
		x ^= v
	}
	fmt.Println(x)
}
""",
    javascript=JS + r"""
const n = num(); let x = 0; for (let i = 0; i < n; i++) x ^= num();
console.log(String(x));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); ll x = 0;
    for (int i = 0; i < n; i++) { ll v; scanf("%lld", &v); x ^= v; }
    printf("%lld\n", x);
}
""",
))

# ---------------------------------------------------------------- count-primes
PROBLEMS.append(P(
    id="count-primes", title="Count Primes Below N", difficulty="easy",
    categories=["math"],
    statement=r"""
Count the prime numbers strictly less than n (a sieve of Eratosthenes is fast enough).

Input: one line with n (0 <= n <= 5000000).

Output: the number of primes p with p < n.
""",
    tests=[("10\n", "4"), ("0\n", "0"), ("1\n", "0"), ("2\n", "0"), ("3\n", "1"), ("100\n", "25"),
           ("5000000\n", "348513")],
    python=r"""
n = int(input())
if n < 3:
    print(0)
else:
    s = bytearray([1]) * n
    s[0] = s[1] = 0
    i = 2
    while i * i < n:
        if s[i]:
            s[i * i::i] = bytes(len(range(i * i, n, i)))
        i += 1
    print(sum(s))
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(in, &n)
	if n < 3 {
		fmt.Println(0)
		return
	}
	comp := make([]bool, n)
	cnt := 0
	for i := 2; i < n; i++ {
		if comp[i] {
			continue
		}
		cnt++
		for j := i * i; j < n; j += i {
			comp[j] = true
		}
	}
	fmt.Println(cnt)
}
""",
    javascript=JS + r"""
const n = num();
if (n < 3) console.log("0");
else {
  const comp = new Uint8Array(n); let cnt = 0;
  for (let i = 2; i < n; i++) { if (comp[i]) continue; cnt++; for (let j = i * i; j < n; j += i) comp[j] = 1; }
  console.log(String(cnt));
}
""",
    cpp=CPP + r"""
int main() {
    ll n; scanf("%lld", &n);
    if (n < 3) { puts("0"); return 0; }
    vector<bool> comp(n, false); int cnt = 0;
    for (ll i = 2; i < n; i++) { if (comp[i]) continue; cnt++; for (ll j = i * i; j < n; j += i) comp[j] = true; }
    printf("%d\n", cnt);
}
""",
))

# ---------------------------------------------------------------- jump-game-min
def _g_jump(rng):
    return arr_input(rand_ints(rng, 6000, 0, 20))

def _g_jump_no(rng):
    a = rand_ints(rng, 6000, 1, 5)
    for i in range(4000, 4005):
        a[i] = 0
    return arr_input(a)

PROBLEMS.append(P(
    id="jump-game-min", title="Fewest Jumps to the End", difficulty="medium",
    categories=["greedy", "arrays"],
    statement=r"""
You start at index 0 of an array. From index i you may jump forward to any index i+1 .. i+a[i]. Find the fewest jumps needed to reach the last index.

Input: the first line holds n (1 <= n <= 200000); the second line holds the n non-negative integers (0 <= a[i] <= 10^5).

Output: the fewest number of jumps, or -1 if the last index cannot be reached.
""",
    tests=[("5\n2 3 1 1 4\n", "2"), ("5\n2 3 0 1 4\n", "2"), ("1\n0\n", "0"), ("5\n3 2 1 0 4\n", "-1"),
           ("2\n1 0\n", "1"), ("3\n100000 0 0\n", "1")],
    gen=[_g_jump, _g_jump_no],
    python=r"""
import sys
d = list(map(int, sys.stdin.read().split()))
n = d[0]; a = d[1:1 + n]
jumps, end, far = 0, 0, 0
for i in range(n - 1):
    if i > far:
        break
    far = max(far, i + a[i])
    if i == end:
        jumps += 1
        end = far
print(jumps if far >= n - 1 or n == 1 else -1)
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(in, &n)
	a := make([]int, n)
	for i := range a {
		fmt.Fscan(in, &a[i])
	}
	jumps, end, far := 0, 0, 0
	for i := 0; i < n-1 && i <= far; i++ {
		if i+a[i] > far {
			far = i + a[i]
		}
		if i == end {
			jumps++
			end = far
		}
	}
	if far >= n-1 || n == 1 {
		fmt.Println(jumps)
	} else {
		fmt.Println(-1)
	}
}
""",
    javascript=JS + r"""
const n = num(); const a = []; for (let i = 0; i < n; i++) a.push(num());
let jumps = 0, end = 0, far = 0;
for (let i = 0; i < n - 1 && i <= far; i++) { far = Math.max(far, i + a[i]); if (i === end) { jumps++; end = far; } }
console.log(String(far >= n - 1 || n === 1 ? jumps : -1));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<int> a(n); for (auto &x : a) scanf("%d", &x);
    int jumps = 0, end = 0, far = 0;
    for (int i = 0; i < n - 1 && i <= far; i++) { far = max(far, i + a[i]); if (i == end) { jumps++; end = far; } }
    printf("%d\n", far >= n - 1 || n == 1 ? jumps : -1);
}
""",
))

# ---------------------------------------------------------------- spiral-matrix
def _g_spiral(rng):
    r, c = 30, 40
    rows = [ints(rand_ints(rng, c, -10**9, 10**9)) for _ in range(r)]
    return f"{r} {c}\n" + "\n".join(rows) + "\n"

PROBLEMS.append(P(
    id="spiral-matrix", title="Spiral Order", difficulty="medium",
    categories=["simulation", "arrays"],
    statement=r"""
Print the elements of a matrix in clockwise spiral order, starting at the top-left corner and moving right first.

Input: the first line holds r and c (1 <= r, c <= 500). Each of the next r lines holds c integers.

Output: one line with the r*c values in spiral order, separated by single spaces.
""",
    tests=[("3 3\n1 2 3\n4 5 6\n7 8 9\n", "1 2 3 6 9 8 7 4 5"),
           ("3 4\n1 2 3 4\n5 6 7 8\n9 10 11 12\n", "1 2 3 4 8 12 11 10 9 5 6 7"), ("1 1\n-5\n", "-5"),
           ("1 4\n1 2 3 4\n", "1 2 3 4"), ("4 1\n1\n2\n3\n4\n", "1 2 3 4"), ("2 2\n1 2\n3 4\n", "1 2 4 3")],
    gen=[_g_spiral],
    python=r"""
import sys
d = sys.stdin.read().split()
r, c = int(d[0]), int(d[1])
m = [d[2 + i * c:2 + (i + 1) * c] for i in range(r)]
top, bot, left, right = 0, r - 1, 0, c - 1
out = []
while top <= bot and left <= right:
    out += m[top][left:right + 1]
    out += [m[i][right] for i in range(top + 1, bot + 1)]
    if top < bot:
        out += m[bot][left:right][::-1]
    if left < right:
        out += [m[i][left] for i in range(bot - 1, top, -1)]
    top += 1; bot -= 1; left += 1; right -= 1
print(" ".join(out))
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
	var r, c int
	fmt.Fscan(in, &r, &c)
	m := make([][]string, r)
	for i := range m {
		m[i] = make([]string, c)
		for j := range m[i] {
			fmt.Fscan(in, &m[i][j])
		}
	}
	top, bot, left, right := 0, r-1, 0, c-1
	out := []string{}
	for top <= bot && left <= right {
		for j := left; j <= right; j++ {
			out = append(out, m[top][j])
		}
		for i := top + 1; i <= bot; i++ {
			out = append(out, m[i][right])
		}
		if top < bot {
			for j := right - 1; j >= left; j-- {
				out = append(out, m[bot][j])
			}
		}
		if left < right {
			for i := bot - 1; i > top; i-- {
				out = append(out, m[i][left])
			}
		}
		top, bot, left, right = top+1, bot-1, left+1, right-1
	}
	fmt.Println(strings.Join(out, " "))
}
""",
    javascript=JS + r"""
const r = num(), c = num(); const m = []; for (let i = 0; i < r; i++) { m.push(T.slice(P, P + c)); P += c; }
let top = 0, bot = r - 1, left = 0, right = c - 1; const out = [];
while (top <= bot && left <= right) {
  for (let j = left; j <= right; j++) out.push(m[top][j]);
  for (let i = top + 1; i <= bot; i++) out.push(m[i][right]);
  if (top < bot) for (let j = right - 1; j >= left; j--) out.push(m[bot][j]);
  if (left < right) for (let i = bot - 1; i > top; i--) out.push(m[i][left]);
  top++; bot--; left++; right--;
}
console.log(out.join(" "));
""",
    cpp=CPP + r"""
int main() {
    int r, c; scanf("%d %d", &r, &c); vector<vector<ll>> m(r, vector<ll>(c));
    for (auto &row : m) for (auto &x : row) scanf("%lld", &x);
    int top = 0, bot = r - 1, left = 0, right = c - 1; vector<ll> out;
    while (top <= bot && left <= right) {
        for (int j = left; j <= right; j++) out.push_back(m[top][j]);
        for (int i = top + 1; i <= bot; i++) out.push_back(m[i][right]);
        if (top < bot) for (int j = right - 1; j >= left; j--) out.push_back(m[bot][j]);
        if (left < right) for (int i = bot - 1; i > top; i--) out.push_back(m[i][left]);
        top++; bot--; left++; right--;
    }
    for (size_t i = 0; i < out.size(); i++) printf(i ? " %lld" : "%lld", out[i]);
    printf("\n");
}
""",
))
