/**
 * The chaos run's report: a summary table for the terminal, and a
 * self-contained HTML page with a Jepsen-style timeline (operations per
 * worker and workload, coloured by outcome; faults shaded; anomalies marked)
 * and a latency plot.
 *
 * @module
 */

import { formatAnomaly } from "./linearizability.ts";
import type { ChaosRun } from "./runner.ts";
import { FAULT_KINDS, type FaultKind } from "./nemesis.ts";
import type { WorkerRecord } from "./records.ts";

type Outcome = "ok" | "fail" | "info";

/** An operation drawn on the timeline. */
interface Span {
  row: string;
  start: number;
  end: number;
  outcome: Outcome | "lost";
  label: string;
}

const WORKER_OF_PROCESS = 100_000;

/** Every operation of the run as a span, one row per worker and workload. */
function spans(records: readonly WorkerRecord[]): Span[] {
  const out: Span[] = [];
  const open = new Map<number, { time: number; f: string; key: string; value: unknown }>();
  for (const r of records) {
    const worker = (p: number) => Math.floor(p / WORKER_OF_PROCESS);
    switch (r.t) {
      case "op":
        if (r.type === "invoke") open.set(r.process, r);
        else {
          const invoke = open.get(r.process);
          open.delete(r.process);
          if (invoke === undefined) break;
          out.push({
            row: `w${worker(r.process)} registers`,
            start: invoke.time,
            end: r.time,
            outcome: r.type,
            label: `${r.f} ${r.key} ${JSON.stringify(r.value)} ${r.type}`,
          });
        }
        break;
      case "lock":
        out.push({
          row: `w${worker(r.process)} lock`,
          start: r.acquired,
          end: r.released,
          outcome: r.lostAt === null ? "ok" : "lost",
          label: `hold${r.lostAt === null ? "" : ` (lost: ${r.lostReason})`}`,
        });
        break;
      case "queue":
        out.push({
          row: `w${worker(r.process)} queue`,
          start: r.start,
          end: r.time,
          outcome: r.outcome,
          label: `${r.f} ${r.item ?? ""} ${r.outcome}${r.error ? ` ${r.error}` : ""}`,
        });
        break;
      case "counter":
        out.push({
          row: `w${worker(r.process)} counter`,
          start: r.start,
          end: r.time,
          outcome: r.outcome,
          label: `add ${r.delta} ${r.outcome}${r.error ? ` ${r.error}` : ""}`,
        });
        break;
      case "tree-write":
        out.push({
          row: `w${worker(r.process)} tree`,
          start: r.start,
          end: r.time,
          outcome: r.outcome,
          label: `${r.f} ${r.path} ${r.outcome}`,
        });
        break;
    }
  }
  return out;
}

/** Operations by workload, function and outcome. */
export function operationCounts(
  run: ChaosRun,
): { name: string; ok: number; fail: number; info: number }[] {
  const counts = new Map<string, { ok: number; fail: number; info: number }>();
  const add = (name: string, outcome: Outcome) => {
    let row = counts.get(name);
    if (row === undefined) counts.set(name, row = { ok: 0, fail: 0, info: 0 });
    row[outcome]++;
  };
  for (const r of run.records) {
    if (r.t === "op" && r.type !== "invoke") add(`register ${r.f}`, r.type);
    if (r.t === "lock") add("lock hold", r.lostAt === null ? "ok" : "info");
    if (r.t === "queue") add(`queue ${r.f}`, r.outcome);
    if (r.t === "counter") add("counter add", r.outcome);
    if (r.t === "tree-write") add(`tree ${r.f}`, r.outcome);
  }
  return [...counts].map(([name, c]) => ({ name, ...c })).sort((a, b) =>
    a.name.localeCompare(b.name)
  );
}

/** Faults by kind. */
export function faultCounts(run: ChaosRun): Record<FaultKind, number> {
  const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  for (const f of run.faults) if (f.error === undefined) counts[f.kind]++;
  return counts;
}

/** Anomalies per checker. */
export function anomalyCounts(run: ChaosRun): { checker: string; anomalies: number }[] {
  return [
    { checker: "registers (linearizability)", anomalies: run.registers.anomalies.length },
    ...run.verdicts.map((v) => ({ checker: v.checker, anomalies: v.anomalies.length })),
  ];
}

function pad(text: string | number, width: number, right = false): string {
  const s = String(text);
  return right ? s.padStart(width) : s.padEnd(width);
}

/** The summary table for the terminal. */
export function summaryText(run: ChaosRun): string {
  const lines: string[] = [];
  const seconds = ((run.workloadEnd - run.start) / 1000).toFixed(0);
  lines.push(
    `chaos run, seed ${run.options.seed}: ${seconds} s of workload, ${
      run.options.hosts ?? `${run.options.members} members`
    }, ${run.options.workers} workers`,
  );
  lines.push(
    "",
    `${pad("operations", 22)}${pad("ok", 8, true)}${pad("fail", 8, true)}${pad("info", 8, true)}`,
  );
  let total = 0;
  for (const row of operationCounts(run)) {
    total += row.ok + row.fail + row.info;
    lines.push(
      `${pad(row.name, 22)}${pad(row.ok, 8, true)}${pad(row.fail, 8, true)}${
        pad(row.info, 8, true)
      }`,
    );
  }
  lines.push(`${pad("total", 22)}${pad(total, 24, true)}`);
  const faults = faultCounts(run);
  lines.push(
    "",
    `faults: ${FAULT_KINDS.map((k) => `${k} ${faults[k]}`).join(", ")} (${
      Object.values(faults).reduce((a, b) => a + b, 0)
    } in all)`,
  );
  lines.push("", `${pad("checker", 30)}${pad("anomalies", 10, true)}`);
  for (const row of anomalyCounts(run)) {
    lines.push(`${pad(row.checker, 30)}${pad(row.anomalies, 10, true)}`);
  }
  lines.push(
    `register check: ${
      run.registers.valid === true
        ? "linearizable"
        : run.registers.valid === false
        ? "NOT linearizable"
        : "unknown (out of time)"
    }, ${run.registers.operations} ops over ${run.registers.keys.length} keys in ${
      run.registers.elapsedMs.toFixed(0)
    } ms`,
  );
  for (const v of run.verdicts) {
    const stats = Object.entries(v.stats).map(([k, n]) => `${k} ${n}`).join(", ");
    lines.push(`  ${v.checker}: ${stats}`);
    for (const note of v.notes ?? []) lines.push(`  ${v.checker}: ${note}`);
  }
  for (const anomaly of run.registers.anomalies) lines.push("", formatAnomaly(anomaly));
  for (const v of run.verdicts) {
    for (const anomaly of v.anomalies.slice(0, 10)) lines.push(`${v.checker}: ${anomaly.summary}`);
    if (v.anomalies.length > 10) lines.push(`${v.checker}: ... ${v.anomalies.length - 10} more`);
  }
  for (const error of run.errors) lines.push("", `run error: ${error}`);
  return lines.join("\n");
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!,
  );
}

const COLORS: Record<string, string> = {
  ok: "#6DB6FE",
  info: "#FFAA26",
  fail: "#FEB5DA",
  lost: "#FFAA26",
};
const FAULT_COLORS: Record<FaultKind, string> = {
  kill: "#e41a1c",
  pause: "#984ea3",
  partition: "#4daf4a",
  isolate: "#377eb8",
  cut: "#ff7f00",
  expire: "#a65628",
};

/** The timeline and latency plot as SVG. */
function timelineSvg(run: ChaosRun): string {
  const all = spans(run.records);
  const rows = [...new Set(all.map((s) => s.row))].sort();
  const t0 = run.start;
  const t1 = all.reduce((latest, s) => Math.max(latest, s.end), run.workloadEnd);
  const width = 1400, left = 130, rowHeight = 16, top = 20;
  const x = (t: number) => left + ((t - t0) / Math.max(1, t1 - t0)) * (width - left - 10);
  const timelineHeight = top + rows.length * rowHeight + 20;
  const parts: string[] = [];
  // Faults, shaded behind everything.
  let lastLabel = -Infinity;
  run.faults.forEach((f) => {
    const end = f.end ?? t1;
    const w = Math.max(2, x(end) - x(f.start));
    parts.push(
      `<rect x="${x(f.start).toFixed(1)}" y="${top}" width="${w.toFixed(1)}" height="${
        rows.length * rowHeight
      }" fill="${FAULT_COLORS[f.kind]}" opacity="0.15"><title>${
        escapeHtml(`${f.kind}: ${f.target} (${((end - f.start) / 1000).toFixed(1)} s)`)
      }</title></rect>`,
    );
    // Labels only where there is room; every band has its tooltip anyway.
    if (x(f.start) - lastLabel < 45) return;
    lastLabel = x(f.start);
    parts.push(
      `<text x="${x(f.start).toFixed(1)}" y="${top - 4}" font-size="9" fill="${
        FAULT_COLORS[f.kind]
      }">${f.kind}</text>`,
    );
  });
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    parts.push(`<text x="4" y="${y + 11}" font-size="11">${escapeHtml(row)}</text>`);
    parts.push(
      `<line x1="${left}" x2="${width - 10}" y1="${y + rowHeight}" y2="${
        y + rowHeight
      }" stroke="#eee"/>`,
    );
  });
  const rowIndex = new Map(rows.map((r, i) => [r, i]));
  // Ok operations closer than a pixel merge into one bar, so a long run
  // stays a page a browser opens; the others keep their own bar and tooltip.
  const pixelMs = (t1 - t0) / (width - left - 10);
  const merged = new Map<string, { start: number; end: number }>();
  const flush = (row: string) => {
    const bar = merged.get(row);
    if (bar === undefined) return;
    const y = top + rowIndex.get(row)! * rowHeight + 2;
    parts.push(
      `<rect x="${x(bar.start).toFixed(1)}" y="${y}" width="${
        Math.max(0.8, x(bar.end) - x(bar.start)).toFixed(1)
      }" height="${rowHeight - 4}" fill="${COLORS.ok}"/>`,
    );
    merged.delete(row);
  };
  for (const s of [...all].sort((a, b) => a.start - b.start)) {
    if (s.outcome === "ok") {
      const bar = merged.get(s.row);
      if (bar !== undefined && s.start <= bar.end + pixelMs) bar.end = Math.max(bar.end, s.end);
      else {
        flush(s.row);
        merged.set(s.row, { start: s.start, end: s.end });
      }
      continue;
    }
    const y = top + rowIndex.get(s.row)! * rowHeight + 2;
    parts.push(
      `<rect x="${x(s.start).toFixed(1)}" y="${y}" width="${
        Math.max(0.8, x(s.end) - x(s.start)).toFixed(1)
      }" height="${rowHeight - 4}" fill="${COLORS[s.outcome]}"><title>${
        escapeHtml(s.label)
      }</title></rect>`,
    );
  }
  for (const row of rows) flush(row);
  // Anomalies: red lines across the timeline.
  const marks: { time: number; text: string }[] = [];
  for (const a of run.registers.anomalies) {
    const time = a.failing.completeTime ?? a.failing.invokeTime ?? t0;
    marks.push({ time, text: `register ${a.key}: ${a.explanation}` });
  }
  for (const v of run.verdicts) {
    for (const a of v.anomalies) {
      marks.push({ time: a.time || t1, text: `${v.checker}: ${a.summary}` });
    }
  }
  for (const m of marks) {
    parts.push(
      `<line x1="${x(m.time).toFixed(1)}" x2="${x(m.time).toFixed(1)}" y1="${top - 10}" y2="${
        top + rows.length * rowHeight
      }" stroke="red" stroke-width="2"><title>${escapeHtml(m.text)}</title></line>`,
    );
  }
  // Time axis.
  const seconds = (t1 - t0) / 1000;
  const step = seconds > 300 ? 60 : seconds > 60 ? 10 : 5;
  for (let s = 0; s <= seconds; s += step) {
    const xs = x(t0 + s * 1000).toFixed(1);
    parts.push(`<text x="${xs}" y="${timelineHeight - 4}" font-size="9" fill="#666">${s}s</text>`);
  }

  // Latency plot: log scale, 1 ms .. 100 s.
  const plotTop = timelineHeight + 30, plotHeight = 220;
  const y = (ms: number) => plotTop + plotHeight - (Math.log10(Math.max(1, ms)) / 5) * plotHeight;
  parts.push(`<text x="4" y="${plotTop - 8}" font-size="12">latency (ms, log scale)</text>`);
  for (const ms of [1, 10, 100, 1000, 10000, 100000]) {
    parts.push(
      `<line x1="${left}" x2="${width - 10}" y1="${y(ms)}" y2="${y(ms)}" stroke="#eee"/>` +
        `<text x="${left - 40}" y="${y(ms) + 3}" font-size="9" fill="#666">${ms}</text>`,
    );
  }
  // One dot per pixel and outcome is all the eye can tell apart.
  const dots = new Set<string>();
  for (const s of all) {
    if (s.row.endsWith("lock")) continue;
    const dot = `${x(s.end).toFixed(0)},${y(s.end - s.start).toFixed(0)},${s.outcome}`;
    if (dots.has(dot)) continue;
    dots.add(dot);
    const [cx, cy] = dot.split(",");
    parts.push(`<circle cx="${cx}" cy="${cy}" r="1.5" fill="${COLORS[s.outcome]}"/>`);
  }
  run.faults.forEach((f) => {
    const end = f.end ?? t1;
    parts.push(
      `<rect x="${x(f.start).toFixed(1)}" y="${plotTop}" width="${
        Math.max(2, x(end) - x(f.start)).toFixed(1)
      }" height="${plotHeight}" fill="${FAULT_COLORS[f.kind]}" opacity="0.12"/>`,
    );
  });
  const height = plotTop + plotHeight + 20;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">${
    parts.join("")
  }</svg>`;
}

/** Writes `report.html` (and `summary.txt`) to the run's folder; returns the HTML's path. */
export async function writeReport(run: ChaosRun): Promise<string> {
  await Deno.mkdir(run.options.outDir, { recursive: true });
  const summary = summaryText(run);
  const legend = [
    ...Object.entries({ ok: COLORS.ok, "info / lost ownership": COLORS.info, fail: COLORS.fail }),
    ...Object.entries(FAULT_COLORS).map(([k, c]) => [`fault: ${k}`, c]),
  ].map(([name, color]) =>
    `<span style="display:inline-block;margin-right:12px"><span style="display:inline-block;width:12px;height:12px;background:${color};vertical-align:middle"></span> ${name}</span>`
  ).join("") + `<span style="color:red">| anomaly</span>`;
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>chaos run seed ${run.options.seed}</title>
<style>body{font-family:sans-serif;margin:20px} pre{background:#f6f6f6;padding:10px;overflow:auto}</style>
</head><body>
<h1>@zk/client chaos run, seed ${run.options.seed}</h1>
<p>${legend}</p>
${timelineSvg(run)}
<h2>Summary</h2>
<pre>${escapeHtml(summary)}</pre>
<h2>Faults</h2>
<pre>${
    escapeHtml(
      run.faults.map((f) =>
        `${((f.start - run.start) / 1000).toFixed(1).padStart(7)} s  ${
          f.kind.padEnd(9)
        } ${f.target}${f.end === null ? "" : ` (${((f.end - f.start) / 1000).toFixed(1)} s)`}${
          f.error ? ` ${f.error}` : ""
        }`
      ).join("\n"),
    )
  }</pre>
</body></html>
`;
  const file = `${run.options.outDir}/report.html`;
  await Deno.writeTextFile(file, html);
  await Deno.writeTextFile(`${run.options.outDir}/summary.txt`, summary + "\n");
  return file;
}
