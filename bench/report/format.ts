/**
 * Text helpers shared by the HTML report and the comparison table: HTML escaping and the
 * fixed number formats (en-US grouping, units spelled the same everywhere).
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** esc escapes text for HTML element content and quoted attribute values. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)
}

/** fmtNum formats a figure with grouping and at most `digits` decimals (3 significant below 10). */
export function fmtNum(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n)
  const d = Math.abs(n) < 10 && digits === 0 ? 2 : digits
  return n.toLocaleString('en-US', { maximumFractionDigits: d })
}

/** fmtUs formats a latency in µs, switching to ms and s where that reads better. */
export function fmtUs(us: number): string {
  if (us >= 1_000_000) return `${fmtNum(us / 1_000_000, 2)} s`
  if (us >= 1000) return `${fmtNum(us / 1000, 2)} ms`
  return `${fmtNum(us, 1)} µs`
}

/** fmtRatio formats a ratio as `1.23x` (null: not measured). */
export function fmtRatio(r: number | null): string {
  return r === null ? 'n/a' : `${r.toFixed(2)}x`
}

/** fmtPct formats a relative change as a signed percentage: `+12.3%`, `-4.0%`. */
export function fmtPct(change: number): string {
  if (!Number.isFinite(change)) return change > 0 ? '+inf%' : 'n/a'
  const p = change * 100
  return `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`
}
