/**
 * tools/check_readme.ts type-checks a markdown file's TypeScript blocks as
 * a user copying them would compile them, and points at the markdown line
 * of each error.
 */
import assert from "node:assert/strict";

const TOOL = new URL("../tools/check_readme.ts", import.meta.url).pathname;

interface Run {
  code: number;
  output: string;
  /** Whatever the tool left in its temporary directory. */
  leftovers: string[];
}

/** Runs the tool on `markdown`, written to a file of its own. */
async function checkReadme(markdown: string): Promise<Run & { file: string }> {
  const dir = await Deno.makeTempDir({ prefix: "check_readme_test_" });
  const tmp = `${dir}/tmp`;
  await Deno.mkdir(tmp);
  const file = `${dir}/DOC.md`;
  try {
    await Deno.writeTextFile(file, markdown);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", TOOL, file],
      env: { TMPDIR: tmp, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    const leftovers = [...Deno.readDirSync(tmp)].map((entry) => entry.name);
    return { code, output: decoder.decode(stdout) + decoder.decode(stderr), leftovers, file };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const GOOD = `# Title

\`\`\`sh
deno add jsr:@zk/client
\`\`\`

\`\`\`ts
import { connect } from "@zk/client";
await using zk = await connect("127.0.0.1:2181");
await zk.create("/a", "x");
\`\`\`

\`\`\`ts
import type { ZooKeeperClient } from "@zk/client";
import type { ZooKeeperCluster } from "@zk/client/testing";
declare const zk: ZooKeeperClient;
declare const cluster: ZooKeeperCluster;
console.log(cluster.connectionString(), await zk.exists("/a"));
\`\`\`
`;

Deno.test("check_readme: a file whose blocks all compile passes", async () => {
  const run = await checkReadme(GOOD);
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, /2 TypeScript blocks type-check/);
  assert.deepEqual(run.leftovers, []);
});

Deno.test("check_readme: a block using an undeclared zk fails at its markdown line", async () => {
  // Column 7 of the `await zk.get` line: `zk` was never declared in this block.
  const markdown = `${GOOD}
Then:

\`\`\`ts
await zk.get("/a");
\`\`\`
`;
  const line = markdown.split("\n").indexOf(`await zk.get("/a");`) + 1;
  const run = await checkReadme(markdown);
  assert.equal(run.code, 1, run.output);
  assert.match(run.output, /Cannot find name 'zk'/);
  assert.ok(run.output.includes(`${run.file}:${line}:7`), run.output);
  assert.deepEqual(run.leftovers, []);
});

Deno.test("check_readme: a wrong type fails, and blocks do not see each other's names", async () => {
  const markdown = `\`\`\`ts
const port: number = 2181;
\`\`\`

\`\`\`typescript
const host: string = port;
\`\`\`
`;
  const run = await checkReadme(markdown);
  assert.equal(run.code, 1, run.output);
  assert.match(run.output, /Cannot find name 'port'/);
  assert.ok(run.output.includes(`${run.file}:6:22`), run.output);
});

Deno.test("check_readme: a ``` line inside a ```` block is code, and fails", async () => {
  // The README once had this: the prose after the stray fence, and the next
  // section, were swallowed by the four-backtick block.
  const markdown = `\`\`\`\`ts
const a = 1;
\`\`\` Ports come from somewhere.

## Next section
\`\`\`\`
`;
  const run = await checkReadme(markdown);
  assert.equal(run.code, 1, run.output);
  assert.ok(run.output.includes(`${run.file}:3:`), run.output);
});

Deno.test("check_readme: an unclosed fence fails", async () => {
  const run = await checkReadme("text\n\n```ts\nconst a = 1;\n");
  assert.equal(run.code, 1, run.output);
  assert.ok(run.output.includes(`${run.file}:3: this code fence is never closed`), run.output);
});

Deno.test("check_readme: the repository's README.md passes", async () => {
  const readme = new URL("../README.md", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TOOL, readme],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stdout) + decoder.decode(stderr));
});
