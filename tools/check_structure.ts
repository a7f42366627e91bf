/**
 * Checks the shape of the module graph, from `deno info --json`:
 *
 * - the client core (`lib/core.ts`) reaches no recipe module and no
 *   runtime API: no `node:` import, no `Deno.` or `Bun.` in its code;
 * - no import cycle exists among the modules of `lib/` and `recipes/`
 *   (type-only imports do not count: they vanish at run time).
 *
 * Run with `deno run -A tools/check_structure.ts`; exits 1 with the
 * offending modules listed. Part of `deno task check`.
 *
 * @module
 */

interface Dependency {
  specifier: string;
  code?: { specifier: string };
}

interface Module {
  specifier: string;
  dependencies?: Dependency[];
}

interface Graph {
  modules: Module[];
}

const root = new URL("../", import.meta.url);
const CORE = new URL("lib/core.ts", root).href;
const ENTRIES = ["mod.ts", "lib/testing/mod.ts", "lib/jute/mod.ts"];

/** The module graph of `entry`, as `deno info --json` reports it. */
async function graphOf(entry: string): Promise<Graph> {
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, root).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`deno info ${entry} failed: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(new TextDecoder().decode(stdout));
}

/** Run-time (code) edges between modules, by specifier. */
function codeEdges(graph: Graph): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const module of graph.modules) {
    const out = (module.dependencies ?? []).flatMap((d) => d.code ? [d.code.specifier] : []);
    edges.set(module.specifier, out);
  }
  return edges;
}

/** Every module reachable from `start` through code edges. */
function reachable(edges: Map<string, string[]>, start: string): Set<string> {
  const seen = new Set<string>([start]);
  const stack = [start];
  while (stack.length > 0) {
    for (const next of edges.get(stack.pop()!) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}

/** The strongly connected components with more than one module (Tarjan). */
function cycles(edges: Map<string, string[]>, keep: (s: string) => boolean): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of (edges.get(v) ?? []).filter(keep)) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) found.push(component);
    }
  };
  for (const v of edges.keys()) if (keep(v) && !indices.has(v)) visit(v);
  return found;
}

/** Source text without comments, so a doc example that says `Deno.` does not count. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

const relative = (s: string) => s.startsWith(root.href) ? s.slice(root.href.length) : s;
const inTree = (s: string) =>
  s.startsWith(new URL("lib/", root).href) || s.startsWith(new URL("recipes/", root).href);

const problems: string[] = [];
const edges = new Map<string, string[]>();
for (const entry of [...ENTRIES, "lib/core.ts"]) {
  for (const [k, v] of codeEdges(await graphOf(entry))) edges.set(k, v);
}

const core = reachable(edges, CORE);
for (const specifier of core) {
  if (specifier.startsWith("node:") || specifier.startsWith("npm:")) {
    problems.push(`the core reaches ${specifier}`);
  } else if (specifier.startsWith(new URL("recipes/", root).href)) {
    problems.push(`the core reaches the recipe module ${relative(specifier)}`);
  } else if (specifier.startsWith("file:")) {
    const code = withoutComments(await Deno.readTextFile(new URL(specifier)));
    const use = code.match(/\b(Deno|Bun)\.[A-Za-z]+/);
    if (use) problems.push(`the core module ${relative(specifier)} uses ${use[0]}`);
  }
}
for (const component of cycles(edges, inTree)) {
  problems.push(`import cycle: ${component.map(relative).sort().join(" <-> ")}`);
}

if (problems.length > 0) {
  console.error(`structure check failed:\n${problems.map((p) => `- ${p}`).join("\n")}`);
  Deno.exit(1);
}
console.log(`structure ok: the core is ${core.size} modules, no cycle in lib/ and recipes/`);
