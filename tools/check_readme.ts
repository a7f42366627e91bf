/**
 * Type-checks the TypeScript code blocks of a markdown file, README.md by
 * default, as a user who copies them would compile them.
 *
 * Each ` ```ts ` (or ` ```typescript `) block becomes a module of its own in
 * a temporary directory, unchanged: a block must declare what it uses (for
 * instance `declare const zk: ZooKeeperClient;`), so that it compiles on its
 * own when copied. All of them are then checked with one `deno check` against
 * this repository's deno.json, so `@zk/client`, `@zk/client/testing`,
 * `@zk/client/jute` and `@zk/client/curator` resolve to the local sources.
 * Errors are reported at the markdown file's line and column; an unclosed
 * fence is an error too.
 *
 * Run with `deno run -A tools/check_readme.ts [FILE.md]`; exits 1 when a block
 * fails. Part of `deno task check`.
 *
 * @module
 */

/** One fenced TypeScript block of a markdown file. */
export interface CodeBlock {
  /** 1-based line of the opening fence; the code starts on the next line. */
  fenceLine: number;
  /** The block's text, without its fences. */
  code: string;
}

/** A fence that never closes: CommonMark runs it to the end of the file. */
export interface UnclosedFence {
  /** 1-based line of the opening fence. */
  fenceLine: number;
}

/** What {@linkcode extractTsBlocks} finds in a markdown text. */
export interface Extraction {
  /** The TypeScript blocks, in order. */
  blocks: CodeBlock[];
  /** A fence left open at the end of the text, if any. */
  unclosed?: UnclosedFence;
}

const TS_INFO = new Set(["ts", "typescript"]);
const OPENING = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/;

/**
 * Finds the fenced code blocks of `markdown` as CommonMark delimits them: a
 * block closes only at a fence of the same character at least as long as
 * its opening one, with nothing after it, so a stray ` ``` ` line inside a
 * ` ```` ` block stays code (and fails the check, as it should).
 *
 * @example
 * ```ts
 * import { extractTsBlocks } from "./check_readme.ts";
 * const { blocks } = extractTsBlocks("text\n```ts\nconst a = 1;\n```\n");
 * console.log(blocks[0].fenceLine, blocks[0].code); // 2 "const a = 1;"
 * ```
 */
export function extractTsBlocks(markdown: string): Extraction {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  let open: { fence: string; info: string; line: number; body: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (open === undefined) {
      const match = OPENING.exec(line);
      if (match) open = { fence: match[1], info: match[2].toLowerCase(), line: i + 1, body: [] };
      continue;
    }
    const closing = new RegExp(`^ {0,3}${open.fence[0]}{${open.fence.length},}\\s*$`);
    if (closing.test(line)) {
      if (TS_INFO.has(open.info)) blocks.push({ fenceLine: open.line, code: open.body.join("\n") });
      open = undefined;
    } else {
      open.body.push(line);
    }
  }
  return open === undefined ? { blocks } : { blocks, unclosed: { fenceLine: open.line } };
}

/** Where `deno check` reports a temporary module's position. */
function relocate(output: string, dir: string, markdownName: string): string {
  const dirUrl = new URL(`file://${dir}/`).href;
  const escaped = dirUrl.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const location = new RegExp(`${escaped}line_(\\d+)\\.ts(?::(\\d+)(?::(\\d+))?)?`, "g");
  return output.replace(location, (_all, fence: string, line?: string, column?: string) => {
    const fenceLine = Number(fence);
    if (line === undefined) return `${markdownName}: the block opened at line ${fenceLine}`;
    const at = `${markdownName}:${fenceLine + Number(line)}`;
    return column === undefined ? at : `${at}:${column}`;
  });
}

/**
 * Type-checks every TypeScript block of the markdown file at `path`. Returns
 * true when all of them compile; prints the errors, at the markdown file's
 * lines, otherwise.
 */
export async function checkMarkdown(path: string): Promise<boolean> {
  const { blocks, unclosed } = extractTsBlocks(await Deno.readTextFile(path));
  let ok = true;
  if (unclosed !== undefined) {
    console.error(`${path}:${unclosed.fenceLine}: this code fence is never closed`);
    ok = false;
  }
  if (blocks.length === 0) return ok;
  const config = new URL("../deno.json", import.meta.url).pathname;
  const dir = await Deno.makeTempDir({ prefix: "check_readme_" });
  try {
    const files: string[] = [];
    for (const block of blocks) {
      const file = `${dir}/line_${block.fenceLine}.ts`;
      await Deno.writeTextFile(file, `${block.code}\n`);
      files.push(file);
    }
    const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--config", config, ...files],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!success) {
      const decoder = new TextDecoder();
      const output = decoder.decode(stdout) + decoder.decode(stderr);
      console.error(relocate(output, dir, path).trimEnd());
      ok = false;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log(
    `${path}: ${blocks.length} TypeScript blocks ${ok ? "type-check" : "checked, with errors"}`,
  );
  return ok;
}

if (import.meta.main) {
  const path = Deno.args[0] ?? "README.md";
  if (!(await checkMarkdown(path))) Deno.exit(1);
}
