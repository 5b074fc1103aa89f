/** How the benchmark's report writes numbers: one place for latest.md's sections. */

/** A figure for the report: whole above 100, else `digits` decimals; '–' when not measured. */
export function fmt(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 100) return String(Math.round(v));
  return String(Math.round(v * 10 ** digits) / 10 ** digits);
}

/** A duration in ms ('–' when not measured). */
export function ms(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${fmt(v)} ms`;
}
