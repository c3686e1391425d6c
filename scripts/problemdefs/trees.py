from .common import JS, CPP, P

PROBLEMS = []

# ---------------------------------------------------------------- tree-max-depth
def _g_depth_chain(rng):
    toks = ["1"]
    for i in range(2, 3001):
        toks += ["null", str(i)] if rng.random() < 0.5 else [str(i), "null"]
    return f"{len(toks)}\n{' '.join(toks)}\n"

def _g_depth_rand(rng):
    toks = ["0"]
    pending, v = 1, 1
    while pending and len(toks) < 8000:
        pending -= 1
        for _ in range(2):
            if len(toks) < 40 or rng.random() < 0.6:
                toks.append(str(v % 1000)); v += 1; pending += 1
            else:
                toks.append("null")
    return f"{len(toks)}\n{' '.join(toks)}\n"

PROBLEMS.append(P(
    id="tree-max-depth", title="Maximum Depth of a Binary Tree", difficulty="easy",
    categories=["trees", "bfs"],
    statement=r"""
A binary tree is given in level order, the common serialization: the first token is the root; then, for each non-null node in the order they appear, two tokens give its left and right child, where "null" means no child. Trailing nulls may be omitted. Find the depth of the tree: the number of nodes on the longest path from the root down to a leaf (0 for an empty tree). Trees can be very deep, so avoid deep recursion.

Input: the first line holds n (0 <= n <= 200000), the number of tokens; the second line holds the n tokens (integers or null). n = 0 or a first token of null means an empty tree.

Output: the depth.
""",
    tests=[("7\n3 9 20 null null 15 7\n", "3"), ("0\n\n", "0"), ("1\nnull\n", "0"), ("3\n1 null 2\n", "2"),
           ("1\n5\n", "1"), ("9\n1 2 3 4 null null 5 6 null\n", "4")],
    gen=[_g_depth_chain, _g_depth_rand],
    python=r"""
import sys
d = sys.stdin.read().split()
n = int(d[0]); t = d[1:1 + n]
if n == 0 or t[0] == "null":
    print(0)
else:
    depth = [1]  # depth of each non-null node, in level order
    i, k, best = 1, 0, 1
    while i < n:
        for _ in range(2):
            if i < n:
                if t[i] != "null":
                    depth.append(depth[k] + 1)
                    best = max(best, depth[k] + 1)
                i += 1
        k += 1
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
	t := make([]string, n)
	for i := range t {
		fmt.Fscan(in, &t[i])
	}
	if n == 0 || t[0] == "null" {
		fmt.Println(0)
		return
	}
	depth := []int{1}
	best := 1
	for i, k := 1, 0; i < n; k++ {
		for c := 0; c < 2 && i < n; c++ {
			if t[i] != "null" {
				depth = append(depth, depth[k]+1)
				if depth[k]+1 > best {
					best = depth[k] + 1
				}
			}
			i++
		}
	}
	fmt.Println(best)
}
""",
    javascript=JS + r"""
const n = num(); const t = T.slice(P, P + n);
if (n === 0 || t[0] === "null") console.log("0");
else {
  const depth = [1]; let best = 1;
  for (let i = 1, k = 0; i < n; k++) for (let c = 0; c < 2 && i < n; c++, i++) if (t[i] !== "null") { depth.push(depth[k] + 1); best = Math.max(best, depth[k] + 1); }
  console.log(String(best));
}
""",
    cpp=CPP + r"""
int main() {
    int n; cin >> n; vector<string> t(n); for (auto &s : t) cin >> s;
    if (n == 0 || t[0] == "null") { puts("0"); return 0; }
    vector<int> depth{1}; int best = 1;
    for (int i = 1, k = 0; i < n; k++) for (int c = 0; c < 2 && i < n; c++, i++) if (t[i] != "null") { depth.push_back(depth[k] + 1); best = max(best, depth[k] + 1); }
    printf("%d\n", best);
}
""",
))

# ---------------------------------------------------------------- tree-diameter
def _g_diam(rng):
    n = 1500
    es = [f"{rng.randrange(max(0, v - 50), v)} {v} {rng.randint(0, 10**9)}" for v in range(1, n)]
    rng.shuffle(es)
    return f"{n}\n" + "\n".join(es) + "\n"

PROBLEMS.append(P(
    id="tree-diameter", title="Weighted Tree Diameter", difficulty="medium",
    categories=["trees", "graphs", "dfs"],
    statement=r"""
A tree has n nodes (0..n-1) and n-1 weighted edges. Find the largest total weight of a simple path between any two nodes. Trees can be very deep, so avoid deep recursion.

Input: the first line holds n (1 <= n <= 200000). Each of the next n-1 lines holds u v w, an edge of weight w (0 <= w <= 10^9).

Output: the largest path weight (it may need 64-bit integers).
""",
    tests=[("1\n", "0"), ("2\n0 1 5\n", "5"), ("4\n0 1 3\n1 2 4\n1 3 10\n", "14"),
           ("5\n0 1 1\n1 2 1\n2 3 1\n3 4 1\n", "4"), ("3\n0 1 1000000000\n0 2 1000000000\n", "2000000000")],
    gen=[_g_diam],
    python=r"""
import sys
d = list(map(int, sys.stdin.read().split()))
n = d[0]
adj = [[] for _ in range(n)]
for i in range(n - 1):
    u, v, w = d[1 + 3 * i], d[2 + 3 * i], d[3 + 3 * i]
    adj[u].append((v, w)); adj[v].append((u, w))
def far(s):
    dist = [-1] * n
    dist[s] = 0
    st = [s]
    while st:
        u = st.pop()
        for v, w in adj[u]:
            if dist[v] < 0:
                dist[v] = dist[u] + w
                st.append(v)
    b = max(range(n), key=lambda i: dist[i])
    return b, dist[b]
a, _ = far(0)
print(far(a)[1])
""",
    go=r"""
package main

import (
	"bufio"
	"fmt"
	"os"
)

type edge struct {
	v int
	w int64
}

var adj [][]edge

func far(s int) (int, int64) {
	n := len(adj)
	dist := make([]int64, n)
	for i := range dist {
		dist[i] = -1
	}
	dist[s] = 0
	st := []int{s}
	for len(st) > 0 {
		u := st[len(st)-1]
		st = st[:len(st)-1]
		for _, e := range adj[u] {
			if dist[e.v] < 0 {
				dist[e.v] = dist[u] + e.w
				st = append(st, e.v)
			}
		}
	}
	b := 0
	for i := range dist {
		if dist[i] > dist[b] {
			b = i
		}
	}
	return b, dist[b]
}

func main() {
	in := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(in, &n)
	adj = make([][]edge, n)
	for i := 0; i < n-1; i++ {
		var u, v int
		var w int64
		fmt.Fscan(in, &u, &v, &w)
		adj[u] = append(adj[u], edge{v, w})
		adj[v] = append(adj[v], edge{u, w})
	}
	a, _ := far(0)
	_, d := far(a)
	fmt.Println(d)
}
""",
    javascript=JS + r"""
const n = num(); const adj = Array.from({ length: n }, () => []);
for (let i = 0; i < n - 1; i++) { const u = num(), v = num(), w = num(); adj[u].push([v, w]); adj[v].push([u, w]); }
const far = s => {
  const dist = new Array(n).fill(-1); dist[s] = 0; const st = [s];
  while (st.length) { const u = st.pop(); for (const [v, w] of adj[u]) if (dist[v] < 0) { dist[v] = dist[u] + w; st.push(v); } }
  let b = 0; for (let i = 0; i < n; i++) if (dist[i] > dist[b]) b = i; return [b, dist[b]];
};
console.log(String(far(far(0)[0])[1]));
""",
    cpp=CPP + r"""
vector<vector<pair<int, ll>>> adj;
pair<int, ll> far_(int s) {
    int n = adj.size(); vector<ll> dist(n, -1); dist[s] = 0; vector<int> st{s};
    while (!st.empty()) { int u = st.back(); st.pop_back(); for (auto [v, w] : adj[u]) if (dist[v] < 0) { dist[v] = dist[u] + w; st.push_back(v); } }
    int b = max_element(dist.begin(), dist.end()) - dist.begin(); return {b, dist[b]};
}
int main() {
    int n; scanf("%d", &n); adj.resize(n);
    for (int i = 0; i < n - 1; i++) { int u, v; ll w; scanf("%d %d %lld", &u, &v, &w); adj[u].push_back({v, w}); adj[v].push_back({u, w}); }
    printf("%lld\n", far_(far_(0).first).second);
}
""",
))
