/**
 * The seeds' HTTP documents, shared by the HTTP service, the bench baselines and the
 * bench's size figures: seed 000's `/data/` body and the HTML escaping of the seeds' pages.
 */

/** GET /data/'s item count when `items` is not given. */
export const DEFAULT_ITEMS = 1000
/** The most items GET /data/ serves. */
export const MAX_ITEMS = 100_000

/** dataDocument is GET /data/'s body for `items` items, in Python's json.dumps spacing. */
export function dataDocument(items: number): string {
  const parts = new Array<string>(items)
  for (let i = 0; i < items; i++) parts[i] = `"${i}": {"name": "tigerrose", "tag": "cool"}`
  return `{"data": {${parts.join(', ')}}}`
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#x27;',
}

/** escapeHtml makes text safe in HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c)
}
