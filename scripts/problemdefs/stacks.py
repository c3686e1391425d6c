from .common import JS, CPP, P, ints, rand_ints, arr_input, word

PROBLEMS = []

# ---------------------------------------------------------------- balanced-brackets
def _balanced(rng, n):
    out, st = [], []
    pairs = {"(": ")", "[": "]", "{": "}"}
    while len(out) + len(st) < n:
        if st and rng.random() < 0.5:
            out.append(pairs[st.pop()])
        else:
            c = rng.choice("([{"); st.append(c); out.append(c)
    while st:
        out.append(pairs[st.pop()])
    return "".join(out)

def _g_br(rng):
    return _balanced(rng, 20000) + "\n"

def _g_br_bad(rng):
    s = list(_balanced(rng, 20000))
    i = len(s) // 2
    while s[i] not in ")]}":
        i += 1
    s[i] = {")": "]", "]": "}", "}": ")"}[s[i]]
    return "".join(s) + "\n"

PROBLEMS.append(P(
    id="balanced-brackets", title="Balanced Brackets", difficulty="easy",
    categories=["stack", "strings"],
    statement=r"""
Decide whether a string of brackets ()[]{} is balanced: every opening bracket is closed by the matching kind, in the right order.

Input: one line with the string (1 <= length <= 200000, only the characters ()[]{}).

Output: "YES" or "NO".
""",
    tests=[("()\n", "YES"), ("()[]{}\n", "YES"), ("(]\n", "NO"), ("([{}])\n", "YES"), ("((\n", "NO"),
           ("))\n", "NO"), ("{[]}(\n", "NO"), ("([)]\n", "NO")],
    gen=[_g_br, _g_br_bad],
    python=r"""
s = input().strip()
m = {")": "(", "]": "[", "}": "{"}
st = []
ok = True
for c in s:
    if c in m:
        if not st or st.pop() != m[c]:
            ok = False
            break
    else:
        st.append(c)
print("YES" if ok and not st else "NO")
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
	var s string
	fmt.Fscan(in, &s)
	m := map[byte]byte{')': '(', ']': '[', '}': '{'}
	st := []byte{}
	ok := true
	for i := 0; i < len(s) && ok; i++ {
		c := s[i]
		if o, isClose := m[c]; isClose {
			if len(st) == 0 || st[len(st)-1] != o {
				ok = false
			} else {
				st = st[:len(st)-1]
			}
		} else {
			st = append(st, c)
		}
	}
	if ok && len(st) == 0 {
		fmt.Println("YES")
	} else {
		fmt.Println("NO")
	}
}
""",
    javascript=JS + r"""
const s = next(); const m = { ")": "(", "]": "[", "}": "{" }; const st = []; let ok = true;
for (const c of s) {
  if (c in m) { if (!st.length || st.pop() !== m[c]) { ok = false; break; } }
  else st.push(c);
}
console.log(ok && !st.length ? "YES" : "NO");
""",
    cpp=CPP + r"""
int main() {
    string s; cin >> s; string st; bool ok = true;
    for (char c : s) {
        if (c == '(' || c == '[' || c == '{') { st += c; continue; }
        char o = c == ')' ? '(' : c == ']' ? '[' : '{';
        if (st.empty() || st.back() != o) { ok = false; break; }
        st.pop_back();
    }
    puts(ok && st.empty() ? "YES" : "NO");
}
""",
))

# ---------------------------------------------------------------- eval-rpn
def _tdiv(a, b):
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q

def _g_rpn(rng):
    B = 10**12
    toks, st = [], []
    def ap(op, a, b):
        if op == "+": return a + b
        if op == "-": return a - b
        if op == "*": return a * b
        return None if b == 0 else _tdiv(a, b)
    while len(toks) < 5000 or len(st) > 1:
        if len(st) >= 2 and (len(toks) >= 5000 or rng.random() < 0.45):
            b, a = st[-1], st[-2]
            for op in rng.sample("+-*/", 4):
                r = ap(op, a, b)
                if r is not None and abs(r) <= B:
                    break
            st[-2:] = [r]
            toks.append(op)
        else:
            v = rng.randint(-100, 100)
            st.append(v); toks.append(str(v))
    return f"{len(toks)}\n{' '.join(toks)}\n"

PROBLEMS.append(P(
    id="eval-rpn", title="Evaluate Reverse Polish Notation", difficulty="medium",
    categories=["stack", "math"],
    statement=r"""
Evaluate an arithmetic expression written in reverse Polish (postfix) notation. The operators are + - * /; division truncates toward zero (7 / -2 = -3). The expression is valid, never divides by zero, and every intermediate value fits in |v| <= 10^15.

Input: the first line holds n (1 <= n <= 100000), the number of tokens. The second line holds the n tokens separated by spaces: integers (possibly negative) or one of + - * /.

Output: the value of the expression.
""",
    tests=[("5\n2 1 + 3 *\n", "9"), ("5\n4 13 5 / +\n", "6"),
           ("13\n10 6 9 3 + -11 * / * 17 + 5 +\n", "22"), ("1\n-7\n", "-7"), ("3\n7 -2 /\n", "-3"),
           ("3\n-7 2 /\n", "-3"), ("3\n1000000 1000000 *\n", "1000000000000")],
    gen=[_g_rpn],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0])
st = []
for tok in d[1:1 + n]:
    if tok in ("+", "-", "*", "/"):
        b = st.pop(); a = st.pop()
        if tok == "+": st.append(a + b)
        elif tok == "-": st.append(a - b)
        elif tok == "*": st.append(a * b)
        else:
            q = abs(a) // abs(b)
            st.append(-q if (a < 0) != (b < 0) else q)
    else:
        st.append(int(tok))
print(st[-1])
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
	var n int
	fmt.Fscan(in, &n)
	st := []int64{}
	for i := 0; i < n; i++ {
		var tok string
		fmt.Fscan(in, &tok)
		switch tok {
		case "+", "-", "*", "/":
			b, a := st[len(st)-1], st[len(st)-2]
			st = st[:len(st)-2]
			var r int64
			switch tok {
			case "+":
				r = a + b
			case "-":
				r = a - b
			case "*":
				r = a * b
			default:
				r = a / b
			}
			st = append(st, r)
		default:
			v, _ := strconv.ParseInt(tok, 10, 64)
			st = append(st, v)
		}
	}
	fmt.Println(st[len(st)-1])
}
""",
    javascript=JS + r"""
const n = num(); const st = [];
for (let i = 0; i < n; i++) {
  const tok = next();
  if (tok === "+" || tok === "-" || tok === "*" || tok === "/") {
    const b = st.pop(), a = st.pop();
    st.push(tok === "+" ? a + b : tok === "-" ? a - b : tok === "*" ? a * b : Math.trunc(a / b));
  } else st.push(Number(tok));
}
console.log(String(st[st.length - 1]));
""",
    cpp=CPP + r"""
int main() {
    int n; cin >> n; vector<ll> st;
    for (int i = 0; i < n; i++) {
        string t; cin >> t;
        if (t == "+" || t == "-" || t == "*" || t == "/") {
            ll b = st.back(); st.pop_back(); ll a = st.back(); st.pop_back();
            st.push_back(t == "+" ? a + b : t == "-" ? a - b : t == "*" ? a * b : a / b);
        } else st.push_back(stoll(t));
    }
    printf("%lld\n", st.back());
}
""",
))

# ---------------------------------------------------------------- daily-temperatures
def _g_temps(rng):
    return arr_input(rand_ints(rng, 4000, 30, 100))

PROBLEMS.append(P(
    id="daily-temperatures", title="Days Until Warmer", difficulty="medium",
    categories=["stack", "arrays"],
    statement=r"""
For each day i, find how many days you have to wait after day i for a strictly warmer temperature. If no later day is warmer, the answer is 0.

Input: the first line holds n (0 <= n <= 100000); the second line holds the n temperatures (integers, -100 <= t <= 100).

Output: one line with n values separated by single spaces.
""",
    tests=[("8\n73 74 75 71 69 72 76 73\n", "1 1 4 2 1 1 0 0"), ("4\n30 40 50 60\n", "1 1 1 0"),
           ("3\n30 60 90\n", "1 1 0"), ("1\n50\n", "0"), ("5\n5 5 5 5 5\n", "0 0 0 0 0"), ("0\n\n", ""),
           ("4\n-5 -10 -3 -100\n", "2 1 0 0")],
    gen=[_g_temps],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0]); t = list(map(int, d[1:1 + n]))
res = [0] * n
st = []
for i, x in enumerate(t):
    while st and t[st[-1]] < x:
        j = st.pop()
        res[j] = i - j
    st.append(i)
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
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var n int
	fmt.Fscan(in, &n)
	t := make([]int, n)
	res := make([]int, n)
	st := []int{}
	for i := 0; i < n; i++ {
		fmt.Fscan(in, &t[i])
		for len(st) > 0 && t[st[len(st)-1]] < t[i] {
			j := st[len(st)-1]
			st = st[:len(st)-1]
			res[j] = i - j
		}
		st = append(st, i)
	}
	for i, x := range res {
		if i > 0 {
			out.WriteByte(' ')
		}
		out.WriteString(strconv.Itoa(x))
	}
	out.WriteByte('\n')
}
""",
    javascript=JS + r"""
const n = num(); const t = []; for (let i = 0; i < n; i++) t.push(num());
const res = new Array(n).fill(0); const st = [];
for (let i = 0; i < n; i++) { while (st.length && t[st[st.length - 1]] < t[i]) { const j = st.pop(); res[j] = i - j; } st.push(i); }
console.log(res.join(" "));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<int> t(n), res(n, 0), st;
    for (int i = 0; i < n; i++) {
        scanf("%d", &t[i]);
        while (!st.empty() && t[st.back()] < t[i]) { res[st.back()] = i - st.back(); st.pop_back(); }
        st.push_back(i);
    }
    for (int i = 0; i < n; i++) printf(i ? " %d" : "%d", res[i]);
    printf("\n");
}
""",
))

# ---------------------------------------------------------------- largest-rectangle-histogram
def _g_hist(rng):
    return arr_input(rand_ints(rng, 1800, 0, 10**9))

def _g_hist_stairs(rng):
    return arr_input(list(range(1, 1501)) + list(range(1500, 0, -1)))

PROBLEMS.append(P(
    id="largest-rectangle-histogram", title="Largest Rectangle in a Histogram", difficulty="hard",
    categories=["stack", "arrays"],
    statement=r"""
A histogram has n bars of width 1 and the given heights, side by side. Find the area of the largest axis-aligned rectangle that fits inside the histogram.

Input: the first line holds n (1 <= n <= 200000); the second line holds the n heights (0 <= h <= 10^9).

Output: the largest area (it may need 64-bit integers).
""",
    tests=[("6\n2 1 5 6 2 3\n", "10"), ("2\n2 4\n", "4"), ("1\n0\n", "0"), ("1\n1000000000\n", "1000000000"),
           ("5\n1 1 1 1 1\n", "5"), ("3\n1000000000 1000000000 1000000000\n", "3000000000")],
    gen=[_g_hist, _g_hist_stairs],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0]); h = list(map(int, d[1:1 + n])) + [0]
st = []
best = 0
for i, x in enumerate(h):
    start = i
    while st and st[-1][1] >= x:
        s, y = st.pop()
        best = max(best, y * (i - s))
        start = s
    st.append((start, x))
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
	h := make([]int64, n+1)
	for i := 0; i < n; i++ {
		fmt.Fscan(in, &h[i])
	}
	type bar struct {
		start int
		h     int64
	}
	st := []bar{}
	var best int64
	for i, x := range h {
		start := i
		for len(st) > 0 && st[len(st)-1].h >= x {
			b := st[len(st)-1]
			st = st[:len(st)-1]
			if a := b.h * int64(i-b.start); a > best {
				best = a
			}
			start = b.start
		}
		st = append(st, bar{start, x})
	}
	fmt.Println(best)
}
""",
    javascript=JS + r"""
const n = num(); const h = []; for (let i = 0; i < n; i++) h.push(num()); h.push(0);
const ss = [], sh = []; let best = 0;
for (let i = 0; i <= n; i++) {
  let start = i;
  while (sh.length && sh[sh.length - 1] >= h[i]) { const s = ss.pop(), y = sh.pop(); best = Math.max(best, y * (i - s)); start = s; }
  ss.push(start); sh.push(h[i]);
}
console.log(String(best));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<ll> h(n + 1, 0); for (int i = 0; i < n; i++) scanf("%lld", &h[i]);
    vector<pair<int, ll>> st; ll best = 0;
    for (int i = 0; i <= n; i++) {
        int start = i;
        while (!st.empty() && st.back().second >= h[i]) { best = max(best, st.back().second * (i - st.back().first)); start = st.back().first; st.pop_back(); }
        st.push_back({start, h[i]});
    }
    printf("%lld\n", best);
}
""",
))

# ---------------------------------------------------------------- min-stack
def _g_minstack(rng):
    ops = []
    for _ in range(1500):
        r = rng.random()
        if r < 0.4:
            ops.append(f"push {rng.randint(-10**9, 10**9)}")
        elif r < 0.65:
            ops.append("pop")
        elif r < 0.8:
            ops.append("top")
        else:
            ops.append("min")
    return f"{len(ops)}\n" + "\n".join(ops) + "\n"

PROBLEMS.append(P(
    id="min-stack", title="Stack With Minimum", difficulty="medium",
    categories=["stack", "simulation"],
    statement=r"""
Simulate a stack of integers that can also report its minimum. Every operation must take constant time.

Operations: "push x" pushes x (|x| <= 10^9); "pop" removes the top element (does nothing on an empty stack); "top" prints the top element; "min" prints the smallest element in the stack. "top" and "min" print EMPTY when the stack is empty.

Input: the first line holds q (1 <= q <= 200000); each of the next q lines holds one operation.

Output: one line for each "top" or "min" operation, in order.
""",
    tests=[("6\npush 3\npush 1\nmin\npop\nmin\ntop\n", "1\n3\n3"), ("3\nmin\ntop\npop\n", "EMPTY\nEMPTY"),
           ("7\npush 2\npush 2\npush 5\npop\npop\nmin\ntop\n", "2\n2"),
           ("5\npush -1000000000\npush 1000000000\nmin\ntop\npop\n", "-1000000000\n1000000000"),
           ("4\npush 7\npop\npop\nmin\n", "EMPTY")],
    gen=[_g_minstack],
    python=r"""
import sys
d = sys.stdin.read().split()
q = int(d[0]); p = 1
st, mn, out = [], [], []
for _ in range(q):
    op = d[p]; p += 1
    if op == "push":
        x = int(d[p]); p += 1
        st.append(x); mn.append(x if not mn or x < mn[-1] else mn[-1])
    elif op == "pop":
        if st:
            st.pop(); mn.pop()
    elif op == "top":
        out.append(str(st[-1]) if st else "EMPTY")
    else:
        out.append(str(mn[-1]) if mn else "EMPTY")
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
	var q int
	fmt.Fscan(in, &q)
	st, mn := []int64{}, []int64{}
	for ; q > 0; q-- {
		var op string
		fmt.Fscan(in, &op)
		switch op {
		case "push":
			var x int64
			fmt.Fscan(in, &x)
			m := x
			if len(mn) > 0 && mn[len(mn)-1] < x {
				m = mn[len(mn)-1]
			}
			st = append(st, x)
			mn = append(mn, m)
		case "pop":
			if len(st) > 0 {
				st = st[:len(st)-1]
				mn = mn[:len(mn)-1]
			}
		case "top", "min":
			if len(st) == 0 {
				fmt.Fprintln(out, "EMPTY")
			} else if op == "top" {
				fmt.Fprintln(out, st[len(st)-1])
			} else {
				fmt.Fprintln(out, mn[len(mn)-1])
			}
		}
	}
}
""",
    javascript=JS + r"""
const q = num(); const st = [], mn = [], out = [];
for (let i = 0; i < q; i++) {
  const op = next();
  if (op === "push") { const x = num(); st.push(x); mn.push(mn.length && mn[mn.length - 1] < x ? mn[mn.length - 1] : x); }
  else if (op === "pop") { if (st.length) { st.pop(); mn.pop(); } }
  else if (!st.length) out.push("EMPTY");
  else out.push(String(op === "top" ? st[st.length - 1] : mn[mn.length - 1]));
}
console.log(out.join("\n"));
""",
    cpp=CPP + r"""
int main() {
    int q; cin >> q; vector<ll> st, mn; string op;
    while (q--) {
        cin >> op;
        if (op == "push") { ll x; cin >> x; st.push_back(x); mn.push_back(mn.empty() ? x : min(x, mn.back())); }
        else if (op == "pop") { if (!st.empty()) { st.pop_back(); mn.pop_back(); } }
        else if (st.empty()) puts("EMPTY");
        else printf("%lld\n", op == "top" ? st.back() : mn.back());
    }
}
""",
))

# ---------------------------------------------------------------- basic-calculator
def _calc_expr(rng, depth):
    B = 10**12
    def factor():
        if depth > 0 and rng.random() < 0.25:
            s, v = _calc_expr(rng, depth - 1)
            return "(" + s + ")", v
        v = rng.randint(0, 999)
        return str(v), v
    def term():
        s, v = factor()
        for _ in range(rng.randint(0, 2)):
            fs, fv = factor()
            op = rng.choice("*/")
            if op == "/" and fv == 0:
                op = "*"
            if op == "*" and abs(v * fv) > B:
                op = "/"
            v = v * fv if op == "*" else _tdiv(v, fv)
            s += op + fs
        return s, v
    s, v = term()
    for _ in range(rng.randint(0, 4)):
        ts, tv = term()
        op = rng.choice("+-")
        if abs(v + tv if op == "+" else v - tv) > B:
            op = "-" if op == "+" else "+"
        v = v + tv if op == "+" else v - tv
        s += op + ts
    return s, v

def _g_calc(rng):
    s, v = _calc_expr(rng, 6)
    while len(s) < 15000:
        ts, tv = _calc_expr(rng, 6)
        op = "+" if abs(v + tv) <= 10**12 else "-"
        v = v + tv if op == "+" else v - tv
        s += op + "(" + ts + ")"
    return s + "\n"

PROBLEMS.append(P(
    id="basic-calculator", title="Expression Calculator", difficulty="hard",
    categories=["stack", "strings", "math"],
    statement=r"""
Evaluate an arithmetic expression made of non-negative integer literals, the binary operators + - * / and parentheses. * and / bind tighter than + and -; operators of equal precedence are applied left to right. Division truncates toward zero. There is no unary minus. The expression is valid, never divides by zero, and every intermediate value fits in |v| <= 10^12.

Input: one line with the expression, without spaces (1 <= length <= 100000). Parentheses nest at most 1000 deep.

Output: the value.
""",
    tests=[("1+2*3\n", "7"), ("(1+2)*3\n", "9"), ("7/2\n", "3"), ("2-3*4\n", "-10"), ("(2-3*4)/3\n", "-3"),
           ("42\n", "42"), ("((((5))))\n", "5"), ("10-2-3\n", "5"), ("100/10/5\n", "2"),
           ("0-1000000*1000000\n", "-1000000000000")],
    gen=[_g_calc],
    python=r"""
s = input().strip()
prec = {"+": 1, "-": 1, "*": 2, "/": 2}
nums, ops = [], []
def reduce():
    op = ops.pop(); b = nums.pop(); a = nums.pop()
    if op == "+": nums.append(a + b)
    elif op == "-": nums.append(a - b)
    elif op == "*": nums.append(a * b)
    else:
        q = abs(a) // abs(b)
        nums.append(-q if (a < 0) != (b < 0) else q)
i = 0
while i < len(s):
    c = s[i]
    if c.isdigit():
        j = i
        while j < len(s) and s[j].isdigit():
            j += 1
        nums.append(int(s[i:j])); i = j
        continue
    if c == "(":
        ops.append(c)
    elif c == ")":
        while ops[-1] != "(":
            reduce()
        ops.pop()
    else:
        while ops and ops[-1] != "(" and prec[ops[-1]] >= prec[c]:
            reduce()
        ops.append(c)
    i += 1
while ops:
    reduce()
print(nums[-1])
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
)

var nums []int64
var ops []byte

func prec(c byte) int {
	if c == '+' || c == '-' {
		return 1
	}
	return 2
}

func reduce() {
	op := ops[len(ops)-1]
	ops = ops[:len(ops)-1]
	b, a := nums[len(nums)-1], nums[len(nums)-2]
	nums = nums[:len(nums)-2]
	var r int64
	switch op {
	case '+':
		r = a + b
	case '-':
		r = a - b
	case '*':
		r = a * b
	default:
		r = a / b
	}
	nums = append(nums, r)
}

func main() {
	in := bufio.NewReader(os.Stdin)
	var s string
	fmt.Fscan(in, &s)
	for i := 0; i < len(s); {
		c := s[i]
		if c >= '0' && c <= '9' {
			var v int64
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				v = v*10 + int64(s[i]-'0')
				i++
			}
			nums = append(nums, v)
			continue
		}
		if c == '(' {
			ops = append(ops, c)
		} else if c == ')' {
			for ops[len(ops)-1] != '(' {
				reduce()
			}
			ops = ops[:len(ops)-1]
		} else {
			for len(ops) > 0 && ops[len(ops)-1] != '(' && prec(ops[len(ops)-1]) >= prec(c) {
				reduce()
			}
			ops = append(ops, c)
		}
		i++
	}
	for len(ops) > 0 {
		reduce()
	}
	fmt.Println(nums[len(nums)-1])
}
""",
    javascript=JS + r"""
const s = next(); const nums = [], ops = [];
const prec = c => (c === "+" || c === "-" ? 1 : 2);
const reduce = () => {
  const op = ops.pop(), b = nums.pop(), a = nums.pop();
  nums.push(op === "+" ? a + b : op === "-" ? a - b : op === "*" ? a * b : Math.trunc(a / b));
};
for (let i = 0; i < s.length;) {
  const c = s[i];
  if (c >= "0" && c <= "9") { let v = 0; while (i < s.length && s[i] >= "0" && s[i] <= "9") { v = v * 10 + (s.charCodeAt(i) - 48); i++; } nums.push(v); continue; }
  if (c === "(") ops.push(c);
  else if (c === ")") { while (ops[ops.length - 1] !== "(") reduce(); ops.pop(); }
  else { while (ops.length && ops[ops.length - 1] !== "(" && prec(ops[ops.length - 1]) >= prec(c)) reduce(); ops.push(c); }
  i++;
}
while (ops.length) reduce();
console.log(String(nums[nums.length - 1]));
""",
    cpp=CPP + r"""
vector<ll> nums; string ops;
int prec(char c) { return c == '+' || c == '-' ? 1 : 2; }
void reduce_() {
    char op = ops.back(); ops.pop_back(); ll b = nums.back(); nums.pop_back(); ll a = nums.back(); nums.pop_back();
    nums.push_back(op == '+' ? a + b : op == '-' ? a - b : op == '*' ? a * b : a / b);
}
int main() {
    string s; cin >> s;
    for (size_t i = 0; i < s.size();) {
        char c = s[i];
        if (isdigit((unsigned char)c)) { ll v = 0; while (i < s.size() && isdigit((unsigned char)s[i])) v = v * 10 + (s[i++] - '0'); nums.push_back(v); continue; }
        if (c == '(') ops += c;
        else if (c == ')') { while (ops.back() != '(') reduce_(); ops.pop_back(); }
        else { while (!ops.empty() && ops.back() != '(' && prec(ops.back()) >= prec(c)) reduce_(); ops += c; }
        i++;
    }
    while (!ops.empty()) reduce_();
    printf("%lld\n", nums.back());
}
""",
))

# ---------------------------------------------------------------- longest-valid-parentheses
def _g_lvp(rng):
    return "".join(rng.choice("((()") if rng.random() < 0.5 else rng.choice("())") for _ in range(20000)) + "\n"

PROBLEMS.append(P(
    id="longest-valid-parentheses", title="Longest Valid Parentheses", difficulty="hard",
    categories=["stack", "dp", "strings"],
    statement=r"""
Given a string of '(' and ')', find the length of the longest contiguous substring that is a well-formed parentheses sequence.

Input: one line with the string (1 <= length <= 200000).

Output: the length (0 if there is none).
""",
    tests=[("(()\n", "2"), (")()())\n", "4"), (")\n", "0"), ("()(())\n", "6"), ("(()()\n", "4"),
           ("()(()\n", "2"), ("((((\n", "0")],
    gen=[_g_lvp],
    python=r"""
s = input().strip()
st = [-1]
best = 0
for i, c in enumerate(s):
    if c == "(":
        st.append(i)
    else:
        st.pop()
        if not st:
            st.append(i)
        else:
            best = max(best, i - st[-1])
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
	var s string
	fmt.Fscan(in, &s)
	st := []int{-1}
	best := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '(' {
			st = append(st, i)
			continue
		}
		st = st[:len(st)-1]
		if len(st) == 0 {
			st = append(st, i)
		} else if i-st[len(st)-1] > best {
			best = i - st[len(st)-1]
		}
	}
	fmt.Println(best)
}
""",
    javascript=JS + r"""
const s = next(); const st = [-1]; let best = 0;
for (let i = 0; i < s.length; i++) {
  if (s[i] === "(") { st.push(i); continue; }
  st.pop();
  if (!st.length) st.push(i); else best = Math.max(best, i - st[st.length - 1]);
}
console.log(String(best));
""",
    cpp=CPP + r"""
int main() {
    string s; cin >> s; vector<int> st{-1}; int best = 0;
    for (int i = 0; i < (int)s.size(); i++) {
        if (s[i] == '(') { st.push_back(i); continue; }
        st.pop_back();
        if (st.empty()) st.push_back(i); else best = max(best, i - st.back());
    }
    printf("%d\n", best);
}
""",
))

# ---------------------------------------------------------------- trapping-rain-water
def _g_trap(rng):
    return arr_input(rand_ints(rng, 1800, 0, 10**9))

PROBLEMS.append(P(
    id="trapping-rain-water", title="Trapping Rain Water", difficulty="hard",
    categories=["two-pointers", "arrays", "stack"],
    statement=r"""
n bars of width 1 stand side by side with the given heights. After rain, water collects between the bars. Compute the total amount of water trapped (in unit squares).

Input: the first line holds n (0 <= n <= 200000); the second line holds the n heights (0 <= h <= 10^9).

Output: the total trapped water (it may need 64-bit integers).
""",
    tests=[("12\n0 1 0 2 1 0 1 3 2 1 2 1\n", "6"), ("6\n4 2 0 3 2 5\n", "9"), ("1\n5\n", "0"), ("0\n\n", "0"),
           ("3\n1000000000 0 1000000000\n", "1000000000"), ("4\n1 2 3 4\n", "0"),
           ("5\n5 0 0 0 5\n", "15")],
    gen=[_g_trap],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0]); h = list(map(int, d[1:1 + n]))
l, r = 0, n - 1
lm = rm = total = 0
while l < r:
    if h[l] < h[r]:
        lm = max(lm, h[l]); total += lm - h[l]; l += 1
    else:
        rm = max(rm, h[r]); total += rm - h[r]; r -= 1
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
	fmt.Fscan(in, &n)
	h := make([]int64, n)
	for i := range h {
		fmt.Fscan(in, &h[i])
	}
	l, r := 0, n-1
	var lm, rm, total int64
	for l < r {
		if h[l] < h[r] {
			if h[l] > lm {
				lm = h[l]
			}
			total += lm - h[l]
			l++
		} else {
			if h[r] > rm {
				rm = h[r]
			}
			total += rm - h[r]
			r--
		}
	}
	fmt.Println(total)
}
""",
    javascript=JS + r"""
const n = num(); const h = []; for (let i = 0; i < n; i++) h.push(num());
let l = 0, r = n - 1, lm = 0, rm = 0, total = 0;
while (l < r) {
  if (h[l] < h[r]) { lm = Math.max(lm, h[l]); total += lm - h[l]; l++; }
  else { rm = Math.max(rm, h[r]); total += rm - h[r]; r--; }
}
console.log(String(total));
""",
    cpp=CPP + r"""
int main() {
    int n; scanf("%d", &n); vector<ll> h(n); for (auto &x : h) scanf("%lld", &x);
    int l = 0, r = n - 1; ll lm = 0, rm = 0, total = 0;
    while (l < r) {
        if (h[l] < h[r]) { lm = max(lm, h[l]); total += lm - h[l]; l++; }
        else { rm = max(rm, h[r]); total += rm - h[r]; r--; }
    }
    printf("%lld\n", total);
}
""",
))
