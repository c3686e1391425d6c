from .common import JS, CPP, P, ints, rand_ints, word

PROBLEMS = []

GO_HEAD = """package main

import (
	"bufio"
	"fmt"
	"os"
)
"""

# ---------------------------------------------------------------- run-length-encoding
def _g_rle(rng):
    parts = []
    for _ in range(3000):
        parts.append(rng.choice("abcxyz") * rng.choice([1, 1, 2, 3, 15]))
    return "".join(parts) + "\n"

PROBLEMS.append(P(
    id="run-length-encoding", title="Run-Length Encoding", difficulty="easy",
    categories=["strings"],
    statement=r"""
Encode a string by replacing every maximal run of equal letters with the letter followed by the run length (in decimal, always written, even when it is 1).

Input: one line with a string s of lowercase letters (1 <= |s| <= 200000).

Output: the encoded string on one line.
""",
    tests=[("aaabcc\n", "a3b1c2"), ("a\n", "a1"), ("abc\n", "a1b1c1"), ("zzzzzzzzzzzz\n", "z12"),
           ("aabbaa\n", "a2b2a2")],
    gen=[_g_rle],
    python=r"""
s = input().strip()
out = []
i = 0
while i < len(s):
    j = i
    while j < len(s) and s[j] == s[i]:
        j += 1
    out.append(s[i] + str(j - i))
    i = j
print("".join(out))
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
	var s string
	fmt.Fscan(in, &s)
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		out.WriteByte(s[i])
		out.WriteString(strconv.Itoa(j - i))
		i = j
	}
	out.WriteByte('\n')
}
""",
    javascript=JS + r"""
const s = next(); const out = [];
for (let i = 0; i < s.length;) { let j = i; while (j < s.length && s[j] === s[i]) j++; out.push(s[i] + (j - i)); i = j; }
console.log(out.join(""));
""",
    cpp=CPP + r"""
int main() {
    string s; cin >> s; string out;
    for (size_t i = 0; i < s.size();) { size_t j = i; while (j < s.size() && s[j] == s[i]) j++; out += s[i]; out += to_string(j - i); i = j; }
    puts(out.c_str());
}
""",
))

# ---------------------------------------------------------------- longest-common-prefix
def _g_lcp(rng):
    pre = word(rng, 50, 50)
    ws = [pre + word(rng, 0, 30) for _ in range(300)]
    return f"{len(ws)}\n{' '.join(ws)}\n"

PROBLEMS.append(P(
    id="longest-common-prefix", title="Longest Common Prefix", difficulty="easy",
    categories=["strings"],
    statement=r"""
Find the longest string that is a prefix of every given word.

Input: the first line holds n (1 <= n <= 10000); the second line holds n words of lowercase letters (1 to 200 letters each).

Output: the longest common prefix, or the word EMPTY (in capitals) if it is the empty string.
""",
    tests=[("3\nflower flow flight\n", "fl"), ("3\ndog racecar car\n", "EMPTY"), ("1\nabc\n", "abc"),
           ("2\nab ab\n", "ab"), ("2\nab a\n", "a"), ("3\nabc abd b\n", "EMPTY")],
    gen=[_g_lcp],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0]); ws = d[1:1 + n]
p = ws[0]
for w in ws[1:]:
    k = 0
    while k < len(p) and k < len(w) and p[k] == w[k]:
        k += 1
    p = p[:k]
print(p if p else "EMPTY")
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(in, &n)
	var p string
	fmt.Fscan(in, &p)
	for i := 1; i < n; i++ {
		var w string
		fmt.Fscan(in, &w)
		k := 0
		for k < len(p) && k < len(w) && p[k] == w[k] {
			k++
		}
		p = p[:k]
	}
	if p == "" {
		p = "EMPTY"
	}
	fmt.Println(p)
}
""",
    javascript=JS + r"""
const n = num(); let p = next();
for (let i = 1; i < n; i++) { const w = next(); let k = 0; while (k < p.length && k < w.length && p[k] === w[k]) k++; p = p.slice(0, k); }
console.log(p || "EMPTY");
""",
    cpp=CPP + r"""
int main() {
    int n; cin >> n; string p; cin >> p;
    for (int i = 1; i < n; i++) { string w; cin >> w; size_t k = 0; while (k < p.size() && k < w.size() && p[k] == w[k]) k++; p = p.substr(0, k); }
    puts(p.empty() ? "EMPTY" : p.c_str());
}
""",
))

# ---------------------------------------------------------------- anagram-check
def _g_anagram(rng):
    s = word(rng, 10000, 10000, "abcde")
    t = list(s); rng.shuffle(t)
    return s + " " + "".join(t) + "\n"

def _g_anagram_no(rng):
    s = word(rng, 10000, 10000, "abcde")
    t = list(s); rng.shuffle(t); t[5] = "a" if t[5] != "a" else "b"
    return s + " " + "".join(t) + "\n"

PROBLEMS.append(P(
    id="anagram-check", title="Valid Anagram", difficulty="easy",
    categories=["strings", "hashing"],
    statement=r"""
Decide whether string t is an anagram of string s, that is, whether it uses exactly the same letters the same number of times.

Input: one line with s and t separated by a space (lowercase letters, 1 <= |s|, |t| <= 200000).

Output: "YES" or "NO".
""",
    tests=[("anagram nagaram\n", "YES"), ("rat car\n", "NO"), ("a a\n", "YES"), ("ab a\n", "NO"),
           ("aab abb\n", "NO")],
    gen=[_g_anagram, _g_anagram_no],
    python=r"""
from collections import Counter
s, t = input().split()
print("YES" if Counter(s) == Counter(t) else "NO")
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var s, t string
	fmt.Fscan(in, &s, &t)
	var c [26]int
	for i := 0; i < len(s); i++ {
		c[s[i]-'a']++
	}
	for i := 0; i < len(t); i++ {
		c[t[i]-'a']--
	}
	ok := true
	for _, v := range c {
		if v != 0 {
			ok = false
		}
	}
	if ok {
		fmt.Println("YES")
	} else {
		fmt.Println("NO")
	}
}
""",
    javascript=JS + r"""
const s = next(), t = next(); const c = new Array(26).fill(0);
for (const ch of s) c[ch.charCodeAt(0) - 97]++;
for (const ch of t) c[ch.charCodeAt(0) - 97]--;
console.log(c.every(v => v === 0) ? "YES" : "NO");
""",
    cpp=CPP + r"""
int main() {
    string s, t; cin >> s >> t; int c[26] = {0};
    for (char ch : s) c[ch - 'a']++;
    for (char ch : t) c[ch - 'a']--;
    for (int v : c) if (v) { puts("NO"); return 0; }
    puts("YES");
}
""",
))

# ---------------------------------------------------------------- palindrome-one-deletion
def _g_pal1(rng):
    h = word(rng, 5000, 5000, "ab")
    s = h + h[::-1]
    i = rng.randrange(len(s))
    return s[:i] + "c" + s[i:] + "\n"

def _g_pal1_no(rng):
    h = word(rng, 5000, 5000, "ab")
    s = list(h + h[::-1])
    s[10] = "c"; s[-30] = "d"
    return "".join(s) + "\n"

PROBLEMS.append(P(
    id="palindrome-one-deletion", title="Palindrome After At Most One Deletion", difficulty="easy",
    categories=["strings", "two-pointers"],
    statement=r"""
Decide whether a string can be made into a palindrome by deleting at most one character.

Input: one line with a string s of lowercase letters (1 <= |s| <= 200000).

Output: "YES" or "NO".
""",
    tests=[("aba\n", "YES"), ("abca\n", "YES"), ("abc\n", "NO"), ("a\n", "YES"), ("deeee\n", "YES"),
           ("ebcbbececabbacecbbcbe\n", "YES"), ("abcdeba\n", "NO")],
    gen=[_g_pal1, _g_pal1_no],
    python=r"""
s = input().strip()
def pal(i, j):
    while i < j:
        if s[i] != s[j]:
            return False
        i += 1; j -= 1
    return True
i, j = 0, len(s) - 1
while i < j and s[i] == s[j]:
    i += 1; j -= 1
print("YES" if i >= j or pal(i + 1, j) or pal(i, j - 1) else "NO")
""",
    go=GO_HEAD + r"""
var s string

func pal(i, j int) bool {
	for i < j {
		if s[i] != s[j] {
			return false
		}
		i++
		j--
	}
	return true
}

func main() {
	in := bufio.NewReader(os.Stdin)
	fmt.Fscan(in, &s)
	i, j := 0, len(s)-1
	for i < j && s[i] == s[j] {
		i++
		j--
	}
	if i >= j || pal(i+1, j) || pal(i, j-1) {
		fmt.Println("YES")
	} else {
		fmt.Println("NO")
	}
}
""",
    javascript=JS + r"""
const s = next();
const pal = (i, j) => { while (i < j) { if (s[i] !== s[j]) return false; i++; j--; } return true; };
let i = 0, j = s.length - 1; while (i < j && s[i] === s[j]) { i++; j--; }
console.log(i >= j || pal(i + 1, j) || pal(i, j - 1) ? "YES" : "NO");
""",
    cpp=CPP + r"""
string s;
bool pal(int i, int j) { while (i < j) { if (s[i] != s[j]) return false; i++; j--; } return true; }
int main() {
    cin >> s; int i = 0, j = (int)s.size() - 1;
    while (i < j && s[i] == s[j]) { i++; j--; }
    puts(i >= j || pal(i + 1, j) || pal(i, j - 1) ? "YES" : "NO");
}
""",
))

# ---------------------------------------------------------------- longest-unique-substring
def _g_lus(rng):
    return word(rng, 20000, 20000) + "\n"

PROBLEMS.append(P(
    id="longest-unique-substring", title="Longest Substring Without Repeats", difficulty="medium",
    categories=["strings", "sliding-window", "hashing"],
    statement=r"""
Find the length of the longest substring (contiguous) in which no character repeats.

Input: one line with a string s of lowercase letters (1 <= |s| <= 200000).

Output: the length.
""",
    tests=[("abcabcbb\n", "3"), ("bbbbb\n", "1"), ("pwwkew\n", "3"), ("a\n", "1"),
           ("abcdefghijklmnopqrstuvwxyz\n", "26"), ("abba\n", "2")],
    gen=[_g_lus],
    python=r"""
s = input().strip()
last = {}
best = start = 0
for i, c in enumerate(s):
    if c in last and last[c] >= start:
        start = last[c] + 1
    last[c] = i
    best = max(best, i - start + 1)
print(best)
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var s string
	fmt.Fscan(in, &s)
	var last [256]int
	for i := range last {
		last[i] = -1
	}
	best, start := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if last[c] >= start {
			start = last[c] + 1
		}
		last[c] = i
		if i-start+1 > best {
			best = i - start + 1
		}
	}
	fmt.Println(best)
}
""",
    javascript=JS + r"""
const s = next(); const last = new Map(); let best = 0, start = 0;
for (let i = 0; i < s.length; i++) {
  const c = s[i];
  if (last.has(c) && last.get(c) >= start) start = last.get(c) + 1;
  last.set(c, i); best = Math.max(best, i - start + 1);
}
console.log(String(best));
""",
    cpp=CPP + r"""
int main() {
    string s; cin >> s; vector<int> last(256, -1); int best = 0, start = 0;
    for (int i = 0; i < (int)s.size(); i++) {
        unsigned char c = s[i];
        if (last[c] >= start) start = last[c] + 1;
        last[c] = i; best = max(best, i - start + 1);
    }
    printf("%d\n", best);
}
""",
))

# ---------------------------------------------------------------- longest-palindromic-substring
def _g_lps(rng):
    s = word(rng, 3000, 3000, "ab")
    mid = word(rng, 40, 40, "abc")
    s = s[:1000] + mid + mid[::-1] + s[1000:]
    return s + "\n"

PROBLEMS.append(P(
    id="longest-palindromic-substring", title="Longest Palindromic Substring", difficulty="medium",
    categories=["strings", "dp"],
    statement=r"""
Find the longest contiguous substring that reads the same forwards and backwards. If several have the maximum length, output the one that starts first.

Input: one line with a string s of lowercase letters (1 <= |s| <= 5000).

Output: the substring.
""",
    tests=[("babad\n", "bab"), ("cbbd\n", "bb"), ("a\n", "a"), ("ac\n", "a"),
           ("forgeeksskeegfor\n", "geeksskeeg"), ("abacdfgdcaba\n", "aba")],
    gen=[_g_lps],
    python=r"""
s = input().strip()
n = len(s)
bs, bl = 0, 1
for c in range(2 * n - 1):
    i, j = c // 2, c // 2 + c % 2
    while i >= 0 and j < n and s[i] == s[j]:
        i -= 1; j += 1
    L = j - i - 1
    if L > bl or (L == bl and i + 1 < bs):
        bs, bl = i + 1, L
print(s[bs:bs + bl])
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var s string
	fmt.Fscan(in, &s)
	n := len(s)
	bs, bl := 0, 1
	for c := 0; c < 2*n-1; c++ {
		i, j := c/2, c/2+c%2
		for i >= 0 && j < n && s[i] == s[j] {
			i--
			j++
		}
		L := j - i - 1
		if L > bl || (L == bl && i+1 < bs) {
			bs, bl = i+1, L
		}
	}
	fmt.Println(s[bs : bs+bl])
}
""",
    javascript=JS + r"""
const s = next(); const n = s.length; let bs = 0, bl = 1;
for (let c = 0; c < 2 * n - 1; c++) {
  let i = c >> 1, j = (c >> 1) + (c & 1);
  while (i >= 0 && j < n && s[i] === s[j]) { i--; j++; }
  const L = j - i - 1;
  if (L > bl || (L === bl && i + 1 < bs)) { bs = i + 1; bl = L; }
}
console.log(s.slice(bs, bs + bl));
""",
    cpp=CPP + r"""
int main() {
    string s; cin >> s; int n = s.size(), bs = 0, bl = 1;
    for (int c = 0; c < 2 * n - 1; c++) {
        int i = c / 2, j = c / 2 + c % 2;
        while (i >= 0 && j < n && s[i] == s[j]) { i--; j++; }
        int L = j - i - 1;
        if (L > bl || (L == bl && i + 1 < bs)) { bs = i + 1; bl = L; }
    }
    puts(s.substr(bs, bl).c_str());
}
""",
))

# ---------------------------------------------------------------- pattern-occurrences
def _g_occ(rng):
    t = word(rng, 20000, 20000, "ab")
    p = t[5000:5012]
    return f"{t} {p}\n"

def _g_occ_many(rng):
    t = "a" * 10000 + "b" + "a" * 9999
    return f"{t} {'a' * 9990}b\n"

PROBLEMS.append(P(
    id="pattern-occurrences", title="Find All Pattern Occurrences", difficulty="medium",
    categories=["strings"],
    statement=r"""
Find every position where pattern p occurs in text t (occurrences may overlap). A quadratic scan is too slow for the largest inputs; use a linear-time matching algorithm such as KMP or Z.

Input: one line with t and p separated by a space (lowercase letters, 1 <= |p|, |t| <= 200000).

Output: the first line holds the number of occurrences. The second line holds their 0-based starting positions in increasing order, separated by spaces (an empty line if there are none).
""",
    tests=[("abababa aba\n", "3\n0 2 4"), ("aaaa b\n", "0\n"), ("a a\n", "1\n0"), ("ab abc\n", "0\n"),
           ("aaaaa aa\n", "4\n0 1 2 3")],
    gen=[_g_occ, _g_occ_many],
    python=r"""
t, p = input().split()
m = len(p)
f = [0] * m
k = 0
for i in range(1, m):
    while k and p[i] != p[k]:
        k = f[k - 1]
    if p[i] == p[k]:
        k += 1
    f[i] = k
res = []
k = 0
for i, c in enumerate(t):
    while k and c != p[k]:
        k = f[k - 1]
    if c == p[k]:
        k += 1
    if k == m:
        res.append(i - m + 1)
        k = f[k - 1]
print(len(res))
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
	var t, p string
	fmt.Fscan(in, &t, &p)
	m := len(p)
	f := make([]int, m)
	k := 0
	for i := 1; i < m; i++ {
		for k > 0 && p[i] != p[k] {
			k = f[k-1]
		}
		if p[i] == p[k] {
			k++
		}
		f[i] = k
	}
	res := []int{}
	k = 0
	for i := 0; i < len(t); i++ {
		for k > 0 && t[i] != p[k] {
			k = f[k-1]
		}
		if t[i] == p[k] {
			k++
		}
		if k == m {
			res = append(res, i-m+1)
			k = f[k-1]
		}
	}
	fmt.Fprintln(out, len(res))
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
const t = next(), p = next(); const m = p.length; const f = new Array(m).fill(0); let k = 0;
for (let i = 1; i < m; i++) { while (k && p[i] !== p[k]) k = f[k - 1]; if (p[i] === p[k]) k++; f[i] = k; }
const res = []; k = 0;
for (let i = 0; i < t.length; i++) {
  while (k && t[i] !== p[k]) k = f[k - 1];
  if (t[i] === p[k]) k++;
  if (k === m) { res.push(i - m + 1); k = f[k - 1]; }
}
console.log(res.length + "\n" + res.join(" "));
""",
    cpp=CPP + r"""
int main() {
    string t, p; cin >> t >> p; int m = p.size(); vector<int> f(m, 0); int k = 0;
    for (int i = 1; i < m; i++) { while (k && p[i] != p[k]) k = f[k - 1]; if (p[i] == p[k]) k++; f[i] = k; }
    vector<int> res; k = 0;
    for (int i = 0; i < (int)t.size(); i++) {
        while (k && t[i] != p[k]) k = f[k - 1];
        if (t[i] == p[k]) k++;
        if (k == m) { res.push_back(i - m + 1); k = f[k - 1]; }
    }
    printf("%d\n", (int)res.size());
    for (size_t i = 0; i < res.size(); i++) printf(i ? " %d" : "%d", res[i]);
    printf("\n");
}
""",
))

# ---------------------------------------------------------------- minimum-window-substring
def _g_mws(rng):
    s = word(rng, 15000, 15000)
    t = word(rng, 30, 30)
    return f"{s} {t}\n"

def _g_mws_none(rng):
    s = word(rng, 15000, 15000, "abcdefghijklmnopqrstuvwxy")
    return f"{s} abcz\n"

PROBLEMS.append(P(
    id="minimum-window-substring", title="Minimum Window Containing All Letters", difficulty="hard",
    categories=["strings", "sliding-window", "hashing"],
    statement=r"""
Given strings s and t, find the shortest contiguous substring of s that contains every character of t at least as many times as it appears in t. If several shortest windows exist, output the one that starts first.

Input: one line with s and t separated by a space (ASCII letters a-z and A-Z, 1 <= |s|, |t| <= 200000).

Output: the window, or NONE if no window exists.
""",
    tests=[("ADOBECODEBANC ABC\n", "BANC"), ("a a\n", "a"), ("a aa\n", "NONE"), ("ab b\n", "b"),
           ("abcabdebac cda\n", "cabd"), ("aaflslflsldkalskaaa aaa\n", "aaa")],
    gen=[_g_mws, _g_mws_none],
    python=r"""
s, t = input().split()
need = [0] * 128
for c in t:
    need[ord(c)] += 1
missing = len(t)
l = 0
best = (len(s) + 1, 0)
for r, c in enumerate(s):
    o = ord(c)
    if need[o] > 0:
        missing -= 1
    need[o] -= 1
    while missing == 0:
        if r - l + 1 < best[0]:
            best = (r - l + 1, l)
        ol = ord(s[l])
        need[ol] += 1
        if need[ol] > 0:
            missing += 1
        l += 1
print(s[best[1]:best[1] + best[0]] if best[0] <= len(s) else "NONE")
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var s, t string
	fmt.Fscan(in, &s, &t)
	var need [128]int
	for i := 0; i < len(t); i++ {
		need[t[i]]++
	}
	missing := len(t)
	l, bl, bs := 0, len(s)+1, 0
	for r := 0; r < len(s); r++ {
		if need[s[r]] > 0 {
			missing--
		}
		need[s[r]]--
		for missing == 0 {
			if r-l+1 < bl {
				bl, bs = r-l+1, l
			}
			need[s[l]]++
			if need[s[l]] > 0 {
				missing++
			}
			l++
		}
	}
	if bl > len(s) {
		fmt.Println("NONE")
	} else {
		fmt.Println(s[bs : bs+bl])
	}
}
""",
    javascript=JS + r"""
const s = next(), t = next(); const need = new Array(128).fill(0);
for (let i = 0; i < t.length; i++) need[t.charCodeAt(i)]++;
let missing = t.length, l = 0, bl = s.length + 1, bs = 0;
for (let r = 0; r < s.length; r++) {
  const o = s.charCodeAt(r);
  if (need[o] > 0) missing--;
  need[o]--;
  while (missing === 0) {
    if (r - l + 1 < bl) { bl = r - l + 1; bs = l; }
    const ol = s.charCodeAt(l); need[ol]++; if (need[ol] > 0) missing++; l++;
  }
}
console.log(bl > s.length ? "NONE" : s.slice(bs, bs + bl));
""",
    cpp=CPP + r"""
int main() {
    string s, t; cin >> s >> t; vector<int> need(128, 0);
    for (char c : t) need[c]++;
    int missing = t.size(), l = 0, bl = s.size() + 1, bs = 0;
    for (int r = 0; r < (int)s.size(); r++) {
        if (need[s[r]] > 0) missing--;
        need[s[r]]--;
        while (missing == 0) {
            if (r - l + 1 < bl) { bl = r - l + 1; bs = l; }
            need[s[l]]++; if (need[s[l]] > 0) missing++; l++;
        }
    }
    if (bl > (int)s.size()) puts("NONE"); else puts(s.substr(bs, bl).c_str());
}
""",
))

# ---------------------------------------------------------------- add-big-integers
def _g_add(rng):
    a = str(rng.randint(1, 9)) + word(rng, 9999, 9999, "0123456789")
    b = str(rng.randint(1, 9)) + word(rng, 8000, 8000, "0123456789")
    return f"{a} {b}\n"

PROBLEMS.append(P(
    id="add-big-integers", title="Add Big Integers", difficulty="easy",
    categories=["strings", "math"],
    statement=r"""
Add two non-negative integers given in decimal. They can be far larger than 64 bits.

Input: one line with a and b separated by a space: decimal digit strings without leading zeros (except the number 0 itself), each 1 to 100000 digits long.

Output: a + b in decimal, without leading zeros.
""",
    tests=[("11 123\n", "134"), ("0 0\n", "0"), ("999 1\n", "1000"), ("456 77\n", "533"),
           ("99999999999999999999 1\n", "100000000000000000000"),
           ("18446744073709551615 18446744073709551615\n", "36893488147419103230")],
    gen=[_g_add],
    python=r"""
a, b = input().split()
a, b = a[::-1], b[::-1]
res = []
carry = 0
for i in range(max(len(a), len(b))):
    s = carry + (int(a[i]) if i < len(a) else 0) + (int(b[i]) if i < len(b) else 0)
    res.append(str(s % 10))
    carry = s // 10
if carry:
    res.append(str(carry))
print("".join(reversed(res)))
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var a, b string
	fmt.Fscan(in, &a, &b)
	n := len(a)
	if len(b) > n {
		n = len(b)
	}
	res := make([]byte, n+1)
	carry := 0
	for i := 0; i < n; i++ {
		s := carry
		if i < len(a) {
			s += int(a[len(a)-1-i] - '0')
		}
		if i < len(b) {
			s += int(b[len(b)-1-i] - '0')
		}
		res[n-i] = byte('0' + s%10)
		carry = s / 10
	}
	if carry > 0 {
		res[0] = '1'
		fmt.Println(string(res))
	} else {
		fmt.Println(string(res[1:]))
	}
}
""",
    javascript=JS + r"""
const a = next(), b = next(); const n = Math.max(a.length, b.length); const res = []; let carry = 0;
for (let i = 0; i < n; i++) {
  let s = carry;
  if (i < a.length) s += a.charCodeAt(a.length - 1 - i) - 48;
  if (i < b.length) s += b.charCodeAt(b.length - 1 - i) - 48;
  res.push(s % 10); carry = Math.floor(s / 10);
}
if (carry) res.push(carry);
console.log(res.reverse().join(""));
""",
    cpp=CPP + r"""
int main() {
    string a, b; cin >> a >> b; reverse(a.begin(), a.end()); reverse(b.begin(), b.end());
    string r; int carry = 0;
    for (size_t i = 0; i < max(a.size(), b.size()); i++) {
        int s = carry + (i < a.size() ? a[i] - '0' : 0) + (i < b.size() ? b[i] - '0' : 0);
        r += char('0' + s % 10); carry = s / 10;
    }
    if (carry) r += '1';
    reverse(r.begin(), r.end()); puts(r.c_str());
}
""",
))

# ---------------------------------------------------------------- multiply-big-integers
def _g_mul(rng):
    a = str(rng.randint(1, 9)) + word(rng, 999, 999, "0123456789")
    b = str(rng.randint(1, 9)) + word(rng, 799, 799, "0123456789")
    return f"{a} {b}\n"

PROBLEMS.append(P(
    id="multiply-big-integers", title="Multiply Big Integers", difficulty="medium",
    categories=["strings", "math"],
    statement=r"""
Multiply two non-negative integers given in decimal. They can be far larger than 64 bits.

Input: one line with a and b separated by a space: decimal digit strings without leading zeros (except the number 0 itself), each 1 to 2000 digits long.

Output: a * b in decimal, without leading zeros.
""",
    tests=[("2 3\n", "6"), ("123 456\n", "56088"), ("0 987654321\n", "0"), ("99 99\n", "9801"),
           ("18446744073709551616 18446744073709551616\n", "340282366920938463463374607431768211456")],
    gen=[_g_mul],
    python=r"""
a, b = input().split()
x = [int(c) for c in reversed(a)]
y = [int(c) for c in reversed(b)]
r = [0] * (len(x) + len(y))
for i, u in enumerate(x):
    if u:
        for j, v in enumerate(y):
            r[i + j] += u * v
carry = 0
for k in range(len(r)):
    carry += r[k]
    r[k] = carry % 10
    carry //= 10
while len(r) > 1 and r[-1] == 0:
    r.pop()
print("".join(map(str, reversed(r))))
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var a, b string
	fmt.Fscan(in, &a, &b)
	r := make([]int, len(a)+len(b))
	for i := 0; i < len(a); i++ {
		u := int(a[len(a)-1-i] - '0')
		for j := 0; j < len(b); j++ {
			r[i+j] += u * int(b[len(b)-1-j]-'0')
		}
	}
	carry := 0
	for k := range r {
		carry += r[k]
		r[k] = carry % 10
		carry /= 10
	}
	k := len(r) - 1
	for k > 0 && r[k] == 0 {
		k--
	}
	out := make([]byte, 0, k+1)
	for ; k >= 0; k-- {
		out = append(out, byte('0'+r[k]))
	}
	fmt.Println(string(out))
}
""",
    javascript=JS + r"""
const a = next(), b = next(); const r = new Array(a.length + b.length).fill(0);
for (let i = 0; i < a.length; i++) {
  const u = a.charCodeAt(a.length - 1 - i) - 48;
  for (let j = 0; j < b.length; j++) r[i + j] += u * (b.charCodeAt(b.length - 1 - j) - 48);
}
let carry = 0;
for (let k = 0; k < r.length; k++) { carry += r[k]; r[k] = carry % 10; carry = Math.floor(carry / 10); }
while (r.length > 1 && r[r.length - 1] === 0) r.pop();
console.log(r.reverse().join(""));
""",
    cpp=CPP + r"""
int main() {
    string a, b; cin >> a >> b; vector<ll> r(a.size() + b.size(), 0);
    for (size_t i = 0; i < a.size(); i++) for (size_t j = 0; j < b.size(); j++)
        r[i + j] += (ll)(a[a.size() - 1 - i] - '0') * (b[b.size() - 1 - j] - '0');
    ll carry = 0;
    for (auto &v : r) { carry += v; v = carry % 10; carry /= 10; }
    while (r.size() > 1 && r.back() == 0) r.pop_back();
    string s; for (int k = r.size() - 1; k >= 0; k--) s += char('0' + r[k]);
    puts(s.c_str());
}
""",
))

# ---------------------------------------------------------------- integer-to-roman
def _g_roman(rng):
    xs = [rng.randint(1, 3999) for _ in range(5000)] + [3999, 3888, 1]
    return f"{len(xs)}\n" + "\n".join(map(str, xs)) + "\n"

PROBLEMS.append(P(
    id="integer-to-roman", title="Integer to Roman Numeral", difficulty="easy",
    categories=["strings", "math", "greedy"],
    statement=r"""
Write integers as Roman numerals, using the symbols I=1, V=5, X=10, L=50, C=100, D=500, M=1000 and the subtractive forms IV=4, IX=9, XL=40, XC=90, CD=400, CM=900 (the standard shortest form, e.g. 1994 = MCMXCIV).

Input: the first line holds q (1 <= q <= 100000); each of the next q lines holds an integer x (1 <= x <= 3999).

Output: q lines, the Roman numeral for each x.
""",
    tests=[("3\n3\n58\n1994\n", "III\nLVIII\nMCMXCIV"), ("1\n1\n", "I"), ("1\n3999\n", "MMMCMXCIX"),
           ("4\n4\n9\n40\n400\n", "IV\nIX\nXL\nCD"), ("2\n3888\n2024\n", "MMMDCCCLXXXVIII\nMMXXIV")],
    gen=[_g_roman],
    python=r"""
import sys
d = sys.stdin.read().split()
V = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
     (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
out = []
for x in map(int, d[1:1 + int(d[0])]):
    s = []
    for v, sym in V:
        while x >= v:
            s.append(sym); x -= v
    out.append("".join(s))
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
	vals := []int{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
	var q int
	fmt.Fscan(in, &q)
	for ; q > 0; q-- {
		var x int
		fmt.Fscan(in, &x)
		for i, v := range vals {
			for x >= v {
				out.WriteString(syms[i])
				x -= v
			}
		}
		out.WriteByte('\n')
	}
}
""",
    javascript=JS + r"""
const V = [[1000, "M"], [900, "CM"], [500, "D"], [400, "CD"], [100, "C"], [90, "XC"], [50, "L"], [40, "XL"], [10, "X"], [9, "IX"], [5, "V"], [4, "IV"], [1, "I"]];
const q = num(); const out = [];
for (let k = 0; k < q; k++) { let x = num(); let s = ""; for (const [v, sym] of V) while (x >= v) { s += sym; x -= v; } out.push(s); }
console.log(out.join("\n"));
""",
    cpp=CPP + r"""
int main() {
    int vals[] = {1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1};
    const char *syms[] = {"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"};
    int q; scanf("%d", &q);
    while (q--) { int x; scanf("%d", &x); string s; for (int i = 0; i < 13; i++) while (x >= vals[i]) { s += syms[i]; x -= vals[i]; } puts(s.c_str()); }
}
""",
))

# ---------------------------------------------------------------- isomorphic-strings
def _g_iso(rng):
    s = word(rng, 10000, 10000)
    perm = list("abcdefghijklmnopqrstuvwxyz"); rng.shuffle(perm)
    t = "".join(perm[ord(c) - 97] for c in s)
    return f"{s} {t}\n"

def _g_iso_no(rng):
    s = word(rng, 10000, 10000, "abcdefghij")
    perm = list("abcdefghijklmnopqrstuvwxyz"); rng.shuffle(perm)
    t = list(perm[ord(c) - 97] for c in s)
    t[9990] = perm[25]
    return f"{s} {''.join(t)}\n"

PROBLEMS.append(P(
    id="isomorphic-strings", title="Isomorphic Strings", difficulty="easy",
    categories=["strings", "hashing"],
    statement=r"""
Two strings of equal length are isomorphic if the letters of s can be replaced to get t, where every occurrence of a letter is replaced by the same letter and no two different letters are replaced by the same letter (a letter may map to itself).

Input: one line with s and t separated by a space (lowercase letters, 1 <= |s|, |t| <= 200000).

Output: "YES" if they are isomorphic, otherwise "NO" (strings of different lengths are not isomorphic).
""",
    tests=[("egg add\n", "YES"), ("foo bar\n", "NO"), ("paper title\n", "YES"), ("badc baba\n", "NO"),
           ("a b\n", "YES"), ("ab aa\n", "NO"), ("abc ab\n", "NO")],
    gen=[_g_iso, _g_iso_no],
    python=r"""
s, t = input().split()
ok = len(s) == len(t) and len(set(zip(s, t))) == len(set(s)) == len(set(t))
print("YES" if ok else "NO")
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var s, t string
	fmt.Fscan(in, &s, &t)
	ok := len(s) == len(t)
	var f, g [128]int
	for i := 0; ok && i < len(s); i++ {
		a, b := s[i], t[i]
		if f[a] == 0 && g[b] == 0 {
			f[a], g[b] = int(b), int(a)
		} else if f[a] != int(b) || g[b] != int(a) {
			ok = false
		}
	}
	if ok {
		fmt.Println("YES")
	} else {
		fmt.Println("NO")
	}
}
""",
    javascript=JS + r"""
const s = next(), t = next(); let ok = s.length === t.length; const f = new Map(), g = new Map();
for (let i = 0; ok && i < s.length; i++) {
  const a = s[i], b = t[i];
  if (!f.has(a) && !g.has(b)) { f.set(a, b); g.set(b, a); }
  else if (f.get(a) !== b || g.get(b) !== a) ok = false;
}
console.log(ok ? "YES" : "NO");
""",
    cpp=CPP + r"""
int main() {
    string s, t; cin >> s >> t; bool ok = s.size() == t.size(); int f[128] = {0}, g[128] = {0};
    for (size_t i = 0; ok && i < s.size(); i++) {
        int a = s[i], b = t[i];
        if (!f[a] && !g[b]) { f[a] = b; g[b] = a; }
        else if (f[a] != b || g[b] != a) ok = false;
    }
    puts(ok ? "YES" : "NO");
}
""",
))
