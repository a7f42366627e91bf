/**
 * Splitting a shell line into words as a POSIX shell would for simple
 * cases: blanks separate, `'…'` and `"…"` quote, `\` escapes, `#` starts a
 * comment.
 *
 * @module
 */

import { UsageError } from "./errors.ts";

/**
 * The words of `line`. An unclosed quote fails with a {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import { splitWords } from "./words.ts";
 * splitWords(`set /a "hello world"`); // ["set", "/a", "hello world"]
 * ```
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (c === " " || c === "\t") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (c === "#" && !inWord) {
      break;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`unclosed ${quote}`);
  if (inWord) words.push(word);
  return words;
}
