from .common import JS, CPP, P, ints, rand_ints
from .search import JS_HEAP

PROBLEMS = []

GO_HEAD = """package main

import (
	"bufio"
	"fmt"
	"os"
)
"""

def _grid(rng, r, c, p):
    return ["".join("#" if rng.random() < p else "." for _ in range(c)) for _ in range(r)]

# ---------------------------------------------------------------- number-of-islands
def _g_isl(rng):
    g = _grid(rng, 130, 130, 0.4)
    return "130 130\n" + "\n".join(g) + "\n"

def _g_isl_snake(rng):
    r, c = 100, 100
    g = [["#"] * c if i % 2 == 0 else ["."] * c for i in range(r)]
    for i in range(1, r, 2):
        g[i][c - 1 if (i // 2) % 2 == 0 else 0] = "#"
    return f"{r} {c}\n" + "\n".join("".join(x) for x in g) + "\n"

PROBLEMS.append(P(
    id="number-of-islands", title="Number of Islands", difficulty="medium",
    categories=["graphs", "bfs", "grid"],
    statement=r"""
A map is a grid of land '#' and water '.'. An island is a maximal group of land cells connected horizontally or vertically (not diagonally). Count the islands. Islands can be very large and winding, so avoid deep recursion.

Input: the first line holds r and c (1 <= r, c <= 1000). Each of the next r lines holds c characters '#' or '.'.

Output: the number of islands.
""",
    tests=[("4 5\n##...\n##...\n..#..\n...##\n", "3"), ("1 1\n.\n", "0"), ("1 1\n#\n", "1"),
           ("3 3\n#.#\n.#.\n#.#\n", "5"), ("3 3\n###\n#.#\n###\n", "1")],
    gen=[_g_isl, _g_isl_snake],
    python=r"""
import sys
d = sys.stdin.read().split()
r, c = int(d[0]), int(d[1])
g = [bytearray(row, "ascii") for row in d[2:2 + r]]
count = 0
for i in range(r):
    for j in range(c):
        if g[i][j] == 35:
            count += 1
            g[i][j] = 46
            st = [(i, j)]
            while st:
                y, x = st.pop()
                for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                    if 0 <= ny < r and 0 <= nx < c and g[ny][nx] == 35:
                        g[ny][nx] = 46
                        st.append((ny, nx))
print(count)
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var r, c int
	fmt.Fscan(in, &r, &c)
	g := make([][]byte, r)
	for i := range g {
		var s string
		fmt.Fscan(in, &s)
		g[i] = []byte(s)
	}
	dy := []int{1, -1, 0, 0}
	dx := []int{0, 0, 1, -1}
	count := 0
	st := [][2]int{}
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if g[i][j] != '#' {
				continue
			}
			count++
			g[i][j] = '.'
			st = append(st[:0], [2]int{i, j})
			for len(st) > 0 {
				p := st[len(st)-1]
				st = st[:len(st)-1]
				for k := 0; k < 4; k++ {
					y, x := p[0]+dy[k], p[1]+dx[k]
					if y >= 0 && y < r && x >= 0 && x < c && g[y][x] == '#' {
						g[y][x] = '.'
						st = append(st, [2]int{y, x})
					}
				}
			}
		}
	}
	fmt.Println(count)
}
""",
    javascript=JS + r"""
const r = num(), c = num(); const g = []; for (let i = 0; i < r; i++) g.push(Uint8Array.from(next(), ch => ch === "#" ? 1 : 0));
let count = 0; const st = [];
for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) {
  if (!g[i][j]) continue;
  count++; g[i][j] = 0; st.push(i * c + j);
  while (st.length) {
    const p = st.pop(), y = Math.floor(p / c), x = p % c;
    for (const [ny, nx] of [[y + 1, x], [y - 1, x], [y, x + 1], [y, x - 1]])
      if (ny >= 0 && ny < r && nx >= 0 && nx < c && g[ny][nx]) { g[ny][nx] = 0; st.push(ny * c + nx); }
  }
}
console.log(String(count));
""",
    cpp=CPP + r"""
int main() {
    int r, c; cin >> r >> c; vector<string> g(r); for (auto &s : g) cin >> s;
    int count = 0, dy[] = {1, -1, 0, 0}, dx[] = {0, 0, 1, -1}; vector<pair<int, int>> st;
    for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) {
        if (g[i][j] != '#') continue;
        count++; g[i][j] = '.'; st.push_back({i, j});
        while (!st.empty()) {
            auto [y, x] = st.back(); st.pop_back();
            for (int k = 0; k < 4; k++) { int ny = y + dy[k], nx = x + dx[k]; if (ny >= 0 && ny < r && nx >= 0 && nx < c && g[ny][nx] == '#') { g[ny][nx] = '.'; st.push_back({ny, nx}); } }
        }
    }
    printf("%d\n", count);
}
""",
))

# ---------------------------------------------------------------- grid-shortest-path
def _g_maze(rng):
    g = [list(row) for row in _grid(rng, 130, 130, 0.3)]
    g[0][0] = "S"; g[129][129] = "E"
    return "130 130\n" + "\n".join("".join(row) for row in g) + "\n"

PROBLEMS.append(P(
    id="grid-shortest-path", title="Shortest Path in a Maze", difficulty="medium",
    categories=["graphs", "bfs", "grid"],
    statement=r"""
Find the fewest moves from S to E in a grid maze. Each move goes one cell up, down, left or right; '#' cells are walls, '.' cells are free.

Input: the first line holds r and c (1 <= r, c <= 1000). Each of the next r lines holds c characters from ".#SE"; S and E each appear exactly once.

Output: the minimum number of moves, or -1 if E cannot be reached.
""",
    tests=[("3 3\nS.#\n.#.\n..E\n", "4"), ("1 2\nSE\n", "1"), ("3 3\nS#.\n##.\n..E\n", "-1"),
           ("2 1\nS\nE\n", "1"), ("3 5\nS...#\n###.#\nE....\n", "8")],
    gen=[_g_maze],
    python=r"""
import sys
from collections import deque
d = sys.stdin.read().split()
r, c = int(d[0]), int(d[1]); g = d[2:2 + r]
for i in range(r):
    for j in range(c):
        if g[i][j] == "S": s = (i, j)
        if g[i][j] == "E": e = (i, j)
dist = [[-1] * c for _ in range(r)]
dist[s[0]][s[1]] = 0
q = deque([s])
while q:
    y, x = q.popleft()
    for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
        if 0 <= ny < r and 0 <= nx < c and g[ny][nx] != "#" and dist[ny][nx] < 0:
            dist[ny][nx] = dist[y][x] + 1
            q.append((ny, nx))
print(dist[e[0]][e[1]])
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var r, c int
	fmt.Fscan(in, &r, &c)
	g := make([]string, r)
	s, e := 0, 0
	for i := range g {
		fmt.Fscan(in, &g[i])
		for j := 0; j < c; j++ {
			if g[i][j] == 'S' {
				s = i*c + j
			} else if g[i][j] == 'E' {
				e = i*c + j
			}
		}
	}
	dist := make([]int, r*c)
	for i := range dist {
		dist[i] = -1
	}
	dist[s] = 0
	q := []int{s}
	dy := []int{1, -1, 0, 0}
	dx := []int{0, 0, 1, -1}
	for h := 0; h < len(q); h++ {
		y, x := q[h]/c, q[h]%c
		for k := 0; k < 4; k++ {
			ny, nx := y+dy[k], x+dx[k]
			if ny >= 0 && ny < r && nx >= 0 && nx < c && g[ny][nx] != '#' && dist[ny*c+nx] < 0 {
				dist[ny*c+nx] = dist[q[h]] + 1
				q = append(q, ny*c+nx)
			}
		}
	}
	fmt.Println(dist[e])
}
""",
    javascript=JS + r"""
const r = num(), c = num(); const g = []; let s = 0, e = 0;
for (let i = 0; i < r; i++) { g.push(next()); for (let j = 0; j < c; j++) { if (g[i][j] === "S") s = i * c + j; else if (g[i][j] === "E") e = i * c + j; } }
const dist = new Int32Array(r * c).fill(-1); dist[s] = 0; const q = [s];
for (let h = 0; h < q.length; h++) {
  const y = Math.floor(q[h] / c), x = q[h] % c;
  for (const [ny, nx] of [[y + 1, x], [y - 1, x], [y, x + 1], [y, x - 1]])
    if (ny >= 0 && ny < r && nx >= 0 && nx < c && g[ny][nx] !== "#" && dist[ny * c + nx] < 0) { dist[ny * c + nx] = dist[q[h]] + 1; q.push(ny * c + nx); }
}
console.log(String(dist[e]));
""",
    cpp=CPP + r"""
int main() {
    int r, c; cin >> r >> c; vector<string> g(r); int s = 0, e = 0;
    for (int i = 0; i < r; i++) { cin >> g[i]; for (int j = 0; j < c; j++) { if (g[i][j] == 'S') s = i * c + j; else if (g[i][j] == 'E') e = i * c + j; } }
    vector<int> dist(r * c, -1), q{s}; dist[s] = 0; int dy[] = {1, -1, 0, 0}, dx[] = {0, 0, 1, -1};
    for (size_t h = 0; h < q.size(); h++) {
        int y = q[h] / c, x = q[h] % c;
        for (int k = 0; k < 4; k++) { int ny = y + dy[k], nx = x + dx[k]; if (ny >= 0 && ny < r && nx >= 0 && nx < c && g[ny][nx] != '#' && dist[ny * c + nx] < 0) { dist[ny * c + nx] = dist[q[h]] + 1; q.push_back(ny * c + nx); } }
    }
    printf("%d\n", dist[e]);
}
""",
))

# ---------------------------------------------------------------- dijkstra-distances
def _g_dij(rng):
    n, m = 800, 1500
    es = [f"{rng.randrange(n)} {rng.randrange(n)} {rng.randint(0, 10**9)}" for _ in range(m)]
    return f"{n} {m}\n" + "\n".join(es) + "\n"

PROBLEMS.append(P(
    id="dijkstra-distances", title="Shortest Distances From a Source", difficulty="medium",
    categories=["graphs", "heap", "shortest-path"],
    statement=r"""
A directed graph has n nodes numbered 0..n-1 and m weighted edges with non-negative weights. Compute the shortest distance from node 0 to every node.

Input: the first line holds n and m (1 <= n <= 100000, 0 <= m <= 200000). Each of the next m lines holds u v w: an edge from u to v with weight w (0 <= w <= 10^9). Parallel edges and self-loops may appear.

Output: one line with n values separated by spaces: the distance to each node, or -1 if it is unreachable (distances may need 64-bit integers).
""",
    tests=[("4 4\n0 1 1\n1 2 2\n0 2 5\n2 3 1\n", "0 1 3 4"), ("1 0\n", "0"), ("3 1\n1 2 5\n", "0 -1 -1"),
           ("3 3\n0 1 1000000000\n1 2 1000000000\n0 2 1000000000\n", "0 1000000000 1000000000"),
           ("3 4\n0 0 3\n0 1 0\n1 2 0\n2 1 7\n", "0 0 0"),
           ("4 3\n0 1 1000000000\n1 2 1000000000\n2 3 1000000000\n", "0 1000000000 2000000000 3000000000")],
    gen=[_g_dij],
    python=r"""
import sys, heapq
d = list(map(int, sys.stdin.read().split()))
n, m = d[0], d[1]
adj = [[] for _ in range(n)]
for i in range(m):
    u, v, w = d[2 + 3 * i], d[3 + 3 * i], d[4 + 3 * i]
    adj[u].append((v, w))
dist = [-1] * n
dist[0] = 0
pq = [(0, 0)]
while pq:
    du, u = heapq.heappop(pq)
    if du != dist[u]:
        continue
    for v, w in adj[u]:
        nd = du + w
        if dist[v] < 0 or nd < dist[v]:
            dist[v] = nd
            heapq.heappush(pq, (nd, v))
print(" ".join(map(str, dist)))
""",
    go=r"""
package main

import (
	"bufio"
	"container/heap"
	"fmt"
	"os"
	"strconv"
)

type item struct {
	d int64
	u int
}
type pq []item

func (h pq) Len() int            { return len(h) }
func (h pq) Less(i, j int) bool  { return h[i].d < h[j].d }
func (h pq) Swap(i, j int)       { h[i], h[j] = h[j], h[i] }
func (h *pq) Push(x interface{}) { *h = append(*h, x.(item)) }
func (h *pq) Pop() interface{} {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type edge struct {
	v int
	w int64
}

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var n, m int
	fmt.Fscan(in, &n, &m)
	adj := make([][]edge, n)
	for i := 0; i < m; i++ {
		var u, v int
		var w int64
		fmt.Fscan(in, &u, &v, &w)
		adj[u] = append(adj[u], edge{v, w})
	}
	dist := make([]int64, n)
	for i := range dist {
		dist[i] = -1
	}
	dist[0] = 0
	h := &pq{{0, 0}}
	for h.Len() > 0 {
		it := heap.Pop(h).(item)
		if it.d != dist[it.u] {
			continue
		}
		for _, e := range adj[it.u] {
			nd := it.d + e.w
			if dist[e.v] < 0 || nd < dist[e.v] {
				dist[e.v] = nd
				heap.Push(h, item{nd, e.v})
			}
		}
	}
	for i, x := range dist {
		if i > 0 {
			out.WriteByte(' ')
		}
		out.WriteString(strconv.FormatInt(x, 10))
	}
	out.WriteByte('\n')
}
""",
    javascript=JS + JS_HEAP + r"""
const n = num(), m = num(); const adj = Array.from({ length: n }, () => []);
for (let i = 0; i < m; i++) { const u = num(), v = num(), w = num(); adj[u].push([v, w]); }
const dist = new Array(n).fill(-1); dist[0] = 0; const h = new Heap((a, b) => a[0] < b[0]); h.push([0, 0]);
while (h.size()) {
  const [du, u] = h.pop(); if (du !== dist[u]) continue;
  for (const [v, w] of adj[u]) { const nd = du + w; if (dist[v] < 0 || nd < dist[v]) { dist[v] = nd; h.push([nd, v]); } }
}
console.log(dist.join(" "));
""",
    cpp=CPP + r"""
int main() {
    int n, m; scanf("%d %d", &n, &m); vector<vector<pair<int, ll>>> adj(n);
    for (int i = 0; i < m; i++) { int u, v; ll w; scanf("%d %d %lld", &u, &v, &w); adj[u].push_back({v, w}); }
    vector<ll> dist(n, -1); dist[0] = 0; priority_queue<pair<ll, int>, vector<pair<ll, int>>, greater<>> pq; pq.push({0, 0});
    while (!pq.empty()) {
        auto [du, u] = pq.top(); pq.pop(); if (du != dist[u]) continue;
        for (auto [v, w] : adj[u]) { ll nd = du + w; if (dist[v] < 0 || nd < dist[v]) { dist[v] = nd; pq.push({nd, v}); } }
    }
    for (int i = 0; i < n; i++) printf(i ? " %lld" : "%lld", dist[i]);
    printf("\n");
}
""",
))

# ---------------------------------------------------------------- topological-order
def _g_topo(rng):
    n = 1000
    perm = list(range(n)); rng.shuffle(perm)
    es = set()
    while len(es) < 2500:
        a, b = sorted(rng.sample(range(n), 2))
        es.add((perm[a], perm[b]))
    es = sorted(es)
    return f"{n} {len(es)}\n" + "\n".join(f"{u} {v}" for u, v in es) + "\n"

def _g_topo_cycle(rng):
    n = 2000
    es = [(i, i + 1) for i in range(n - 1)] + [(n - 1, 500)]
    return f"{n} {len(es)}\n" + "\n".join(f"{u} {v}" for u, v in es) + "\n"

PROBLEMS.append(P(
    id="topological-order", title="Smallest Topological Order", difficulty="medium",
    categories=["graphs", "heap", "sorting"],
    statement=r"""
n tasks numbered 0..n-1 must be done one at a time; each constraint "u v" means task u must come before task v. Output the lexicographically smallest order that satisfies all constraints (at every step, do the smallest-numbered task that is available), or report that none exists.

Input: the first line holds n and m (1 <= n <= 100000, 0 <= m <= 200000). Each of the next m lines holds u and v (u != v).

Output: one line with the n tasks in order, separated by spaces, or IMPOSSIBLE if the constraints contain a cycle.
""",
    tests=[("4 3\n1 0\n2 0\n3 1\n", "2 3 1 0"), ("1 0\n", "0"), ("2 2\n0 1\n1 0\n", "IMPOSSIBLE"),
           ("5 0\n", "0 1 2 3 4"), ("3 3\n2 1\n1 0\n2 0\n", "2 1 0"), ("4 2\n3 1\n3 1\n", "0 2 3 1")],
    gen=[_g_topo, _g_topo_cycle],
    python=r"""
import sys, heapq
d = list(map(int, sys.stdin.read().split()))
n, m = d[0], d[1]
adj = [[] for _ in range(n)]
indeg = [0] * n
for i in range(m):
    u, v = d[2 + 2 * i], d[3 + 2 * i]
    adj[u].append(v); indeg[v] += 1
h = [i for i in range(n) if indeg[i] == 0]
heapq.heapify(h)
order = []
while h:
    u = heapq.heappop(h)
    order.append(u)
    for v in adj[u]:
        indeg[v] -= 1
        if indeg[v] == 0:
            heapq.heappush(h, v)
print(" ".join(map(str, order)) if len(order) == n else "IMPOSSIBLE")
""",
    go=r"""
package main

import (
	"bufio"
	"container/heap"
	"fmt"
	"os"
	"strconv"
)

type MinHeap []int

func (h MinHeap) Len() int            { return len(h) }
func (h MinHeap) Less(i, j int) bool  { return h[i] < h[j] }
func (h MinHeap) Swap(i, j int)       { h[i], h[j] = h[j], h[i] }
func (h *MinHeap) Push(x interface{}) { *h = append(*h, x.(int)) }
func (h *MinHeap) Pop() interface{} {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var n, m int
	fmt.Fscan(in, &n, &m)
	adj := make([][]int, n)
	indeg := make([]int, n)
	for i := 0; i < m; i++ {
		var u, v int
		fmt.Fscan(in, &u, &v)
		adj[u] = append(adj[u], v)
		indeg[v]++
	}
	h := &MinHeap{}
	for i := 0; i < n; i++ {
		if indeg[i] == 0 {
			*h = append(*h, i)
		}
	}
	heap.Init(h)
	order := []int{}
	for h.Len() > 0 {
		u := heap.Pop(h).(int)
		order = append(order, u)
		for _, v := range adj[u] {
			indeg[v]--
			if indeg[v] == 0 {
				heap.Push(h, v)
			}
		}
	}
	if len(order) < n {
		fmt.Fprintln(out, "IMPOSSIBLE")
		return
	}
	for i, x := range order {
		if i > 0 {
			out.WriteByte(' ')
		}
		out.WriteString(strconv.Itoa(x))
	}
	out.WriteByte('\n')
}
""",
    javascript=JS + JS_HEAP + r"""
const n = num(), m = num(); const adj = Array.from({ length: n }, () => []); const indeg = new Array(n).fill(0);
for (let i = 0; i < m; i++) { const u = num(), v = num(); adj[u].push(v); indeg[v]++; }
const h = new Heap((a, b) => a < b); for (let i = 0; i < n; i++) if (!indeg[i]) h.push(i);
const order = [];
while (h.size()) { const u = h.pop(); order.push(u); for (const v of adj[u]) if (--indeg[v] === 0) h.push(v); }
console.log(order.length === n ? order.join(" ") : "IMPOSSIBLE");
""",
    cpp=CPP + r"""
int main() {
    int n, m; scanf("%d %d", &n, &m); vector<vector<int>> adj(n); vector<int> indeg(n, 0);
    for (int i = 0; i < m; i++) { int u, v; scanf("%d %d", &u, &v); adj[u].push_back(v); indeg[v]++; }
    priority_queue<int, vector<int>, greater<int>> h; for (int i = 0; i < n; i++) if (!indeg[i]) h.push(i);
    vector<int> order;
    while (!h.empty()) { int u = h.top(); h.pop(); order.push_back(u); for (int v : adj[u]) if (--indeg[v] == 0) h.push(v); }
    if ((int)order.size() < n) { puts("IMPOSSIBLE"); return 0; }
    for (int i = 0; i < n; i++) printf(i ? " %d" : "%d", order[i]);
    printf("\n");
}
""",
))

# ---------------------------------------------------------------- connected-components
def _g_cc(rng):
    n, m = 3000, 2000
    es = [f"{rng.randrange(n)} {rng.randrange(n)}" for _ in range(m)]
    return f"{n} {m}\n" + "\n".join(es) + "\n"

PROBLEMS.append(P(
    id="connected-components", title="Count Connected Components", difficulty="medium",
    categories=["graphs", "union-find"],
    statement=r"""
Count the connected components of an undirected graph with n nodes (0..n-1) and m edges. A node without edges is a component of its own.

Input: the first line holds n and m (1 <= n <= 200000, 0 <= m <= 200000). Each of the next m lines holds u and v, an edge (self-loops and repeated edges may appear).

Output: the number of connected components.
""",
    tests=[("5 3\n0 1\n1 2\n3 4\n", "2"), ("1 0\n", "1"), ("4 0\n", "4"), ("3 3\n0 0\n1 2\n2 1\n", "2"),
           ("5 4\n0 1\n1 2\n2 3\n3 4\n", "1")],
    gen=[_g_cc],
    python=r"""
import sys
d = list(map(int, sys.stdin.read().split()))
n, m = d[0], d[1]
p = list(range(n))
def find(x):
    while p[x] != x:
        p[x] = p[p[x]]
        x = p[x]
    return x
comp = n
for i in range(m):
    a, b = find(d[2 + 2 * i]), find(d[3 + 2 * i])
    if a != b:
        p[a] = b
        comp -= 1
print(comp)
""",
    go=GO_HEAD + r"""
var p []int

func find(x int) int {
	for p[x] != x {
		p[x] = p[p[x]]
		x = p[x]
	}
	return x
}

func main() {
	in := bufio.NewReader(os.Stdin)
	var n, m int
	fmt.Fscan(in, &n, &m)
	p = make([]int, n)
	for i := range p {
		p[i] = i
	}
	comp := n
	for i := 0; i < m; i++ {
		var u, v int
		fmt.Fscan(in, &u, &v)
		a, b := find(u), find(v)
		if a != b {
			p[a] = b
			comp--
		}
	}
	fmt.Println(comp)
}
""",
    javascript=JS + r"""
const n = num(), m = num(); const p = new Int32Array(n); for (let i = 0; i < n; i++) p[i] = i;
const find = x => { while (p[x] !== x) { p[x] = p[p[x]]; x = p[x]; } return x; };
let comp = n;
for (let i = 0; i < m; i++) { const a = find(num()), b = find(num()); if (a !== b) { p[a] = b; comp--; } }
console.log(String(comp));
""",
    cpp=CPP + r"""
vector<int> p;
int find(int x) { while (p[x] != x) { p[x] = p[p[x]]; x = p[x]; } return x; }
int main() {
    int n, m; scanf("%d %d", &n, &m); p.resize(n); iota(p.begin(), p.end(), 0); int comp = n;
    for (int i = 0; i < m; i++) { int u, v; scanf("%d %d", &u, &v); int a = find(u), b = find(v); if (a != b) { p[a] = b; comp--; } }
    printf("%d\n", comp);
}
""",
))

# ---------------------------------------------------------------- bipartite-check
def _g_bip(rng):
    n = 2000
    es = []
    for _ in range(2500):
        u = rng.randrange(0, n, 2); v = rng.randrange(1, n, 2)
        es.append(f"{u} {v}")
    return f"{n} {len(es)}\n" + "\n".join(es) + "\n"

def _g_bip_no(rng):
    n = 2000
    es = [f"{i} {i + 1}" for i in range(n - 1)] + ["0 48"]
    return f"{n} {len(es)}\n" + "\n".join(es) + "\n"

PROBLEMS.append(P(
    id="bipartite-check", title="Is the Graph Bipartite?", difficulty="medium",
    categories=["graphs", "bfs"],
    statement=r"""
Decide whether the nodes of an undirected graph can be colored with two colors so that every edge joins nodes of different colors. The graph may be disconnected.

Input: the first line holds n and m (1 <= n <= 100000, 0 <= m <= 200000). Each of the next m lines holds u and v (0 <= u, v < n), an edge.

Output: "YES" if the graph is bipartite, otherwise "NO" (a self-loop makes it not bipartite).
""",
    tests=[("4 4\n0 1\n1 2\n2 3\n3 0\n", "YES"), ("3 3\n0 1\n1 2\n2 0\n", "NO"), ("1 0\n", "YES"),
           ("2 1\n1 1\n", "NO"), ("6 4\n0 1\n2 3\n3 4\n4 5\n", "YES")],
    gen=[_g_bip, _g_bip_no],
    python=r"""
import sys
d = list(map(int, sys.stdin.read().split()))
n, m = d[0], d[1]
adj = [[] for _ in range(n)]
for i in range(m):
    u, v = d[2 + 2 * i], d[3 + 2 * i]
    adj[u].append(v); adj[v].append(u)
color = [-1] * n
ok = True
for s in range(n):
    if color[s] >= 0 or not ok:
        continue
    color[s] = 0
    q = [s]
    for u in q:
        for v in adj[u]:
            if color[v] < 0:
                color[v] = 1 - color[u]
                q.append(v)
            elif color[v] == color[u]:
                ok = False
print("YES" if ok else "NO")
""",
    go=GO_HEAD + r"""
func main() {
	in := bufio.NewReader(os.Stdin)
	var n, m int
	fmt.Fscan(in, &n, &m)
	adj := make([][]int, n)
	for i := 0; i < m; i++ {
		var u, v int
		fmt.Fscan(in, &u, &v)
		adj[u] = append(adj[u], v)
		adj[v] = append(adj[v], u)
	}
	color := make([]int, n)
	for i := range color {
		color[i] = -1
	}
	ok := true
	for s := 0; s < n && ok; s++ {
		if color[s] >= 0 {
			continue
		}
		color[s] = 0
		q := []int{s}
		for h := 0; h < len(q); h++ {
			u := q[h]
			for _, v := range adj[u] {
				if color[v] < 0 {
					color[v] = 1 - color[u]
					q = append(q, v)
				} else if color[v] == color[u] {
					ok = false
				}
			}
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
const n = num(), m = num(); const adj = Array.from({ length: n }, () => []);
for (let i = 0; i < m; i++) { const u = num(), v = num(); adj[u].push(v); adj[v].push(u); }
const color = new Int8Array(n).fill(-1); let ok = true;
for (let s = 0; s < n && ok; s++) {
  if (color[s] >= 0) continue;
  color[s] = 0; const q = [s];
  for (let h = 0; h < q.length; h++) { const u = q[h]; for (const v of adj[u]) { if (color[v] < 0) { color[v] = 1 - color[u]; q.push(v); } else if (color[v] === color[u]) ok = false; } }
}
console.log(ok ? "YES" : "NO");
""",
    cpp=CPP + r"""
int main() {
    int n, m; scanf("%d %d", &n, &m); vector<vector<int>> adj(n);
    for (int i = 0; i < m; i++) { int u, v; scanf("%d %d", &u, &v); adj[u].push_back(v); adj[v].push_back(u); }
    vector<int> color(n, -1); bool ok = true;
    for (int s = 0; s < n && ok; s++) {
        if (color[s] >= 0) continue;
        color[s] = 0; vector<int> q{s};
        for (size_t h = 0; h < q.size(); h++) { int u = q[h]; for (int v : adj[u]) { if (color[v] < 0) { color[v] = 1 - color[u]; q.push_back(v); } else if (color[v] == color[u]) ok = false; } }
    }
    puts(ok ? "YES" : "NO");
}
""",
))
