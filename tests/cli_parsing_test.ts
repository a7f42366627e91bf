/**
 * The CLI's pure parts: flags, shell words, relative paths, error lines.
 */
import assert from "node:assert/strict";
import { parseArgs } from "../cli/args.ts";
import { describeError, exitCodeOf, UsageError } from "../cli/errors.ts";
import { resolvePath } from "../cli/paths.ts";
import { splitWords } from "../cli/words.ts";
import { InvalidPathError, NoNodeError, NotEmptyError } from "../lib/errors.ts";

const SPECS = [
  { name: "recursive", short: "r", type: "boolean", description: "" },
  { name: "stat", short: "s", type: "boolean", description: "" },
  { name: "version", short: "v", type: "number", description: "" },
  { name: "auth", type: "string", multiple: true, description: "" },
] as const;

Deno.test("flags: grouped letters, attached values, --name=value, repeats, negative numbers", () => {
  const parsed = parseArgs(
    ["-rs", "-v3", "--auth=a:b", "--auth", "c:d", "/p", "-5", "--", "x", "-y"],
    SPECS,
  );
  assert.deepEqual(parsed.flags, { recursive: true, stat: true, version: 3, auth: ["a:b", "c:d"] });
  assert.deepEqual(parsed.positionals, ["/p", "-5"]);
  assert.deepEqual(parsed.rest, ["x", "-y"]);
  assert.throws(() => parseArgs(["-x"], SPECS), new UsageError("unknown option -x"));
  assert.throws(() => parseArgs(["-v", "three"], SPECS), /-v takes a number, not "three"/);
  assert.throws(() => parseArgs(["--version"], SPECS), /--version needs a value/);
  assert.throws(() => parseArgs(["--stat=yes"], SPECS), /--stat takes no value/);
});

Deno.test("shell words: quotes, escapes and comments", () => {
  assert.deepEqual(splitWords(`set /a "hello world" 'it''s' a\\ b # note`), [
    "set",
    "/a",
    "hello world",
    "its",
    "a b",
  ]);
  assert.deepEqual(splitWords(`create /e ""`), ["create", "/e", ""]);
  assert.throws(() => splitWords(`get 'open`), /unclosed '/);
});

Deno.test("relative paths resolve against the current directory", () => {
  assert.equal(resolvePath("/app", "config"), "/app/config");
  assert.equal(resolvePath("/app", "../db/./url"), "/db/url");
  assert.equal(resolvePath("/app", "/abs/"), "/abs");
  assert.equal(resolvePath("/", ".."), "/");
  assert.throws(() => resolvePath("/", "a//b"), InvalidPathError);
});

Deno.test("errors are one line naming ZooKeeper's error, with the exit code to match", () => {
  assert.equal(describeError(new NoNodeError(undefined, { path: "/a/b" })), "NoNode: /a/b");
  assert.equal(describeError(new NotEmptyError(undefined, { path: "/a" })), "NotEmpty: /a");
  assert.equal(
    describeError(new InvalidPathError("empty segment", { path: "/a//b" })),
    "InvalidPath: /a//b (empty segment)",
  );
  assert.equal(describeError(new UsageError("no")), "usage: no");
  assert.equal(describeError(new Error("first\nsecond")), "Error: first");
  assert.equal(exitCodeOf(new UsageError("no")), 2);
  assert.equal(exitCodeOf(new InvalidPathError("x", { path: "x" })), 2);
  assert.equal(exitCodeOf(new NoNodeError()), 1);
});
