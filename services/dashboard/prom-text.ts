/**
 * A parser for the Prometheus text format (version 0.0.4) the services' /metrics serve:
 * `name{label="value",...} value` lines; `#` lines (HELP, TYPE) and blank lines are skipped.
 * Label values may hold escaped `\\`, `\"` and `\n`.
 */

/** Sample is one line: a metric name, its labels, its value. */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/

/** parsePromText returns every sample of `text`; a line it cannot read is skipped. */
export function parsePromText(text: string): Sample[] {
  const out: Sample[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const sample = parseLine(line)
    if (sample) out.push(sample)
  }
  return out
}

function parseLine(line: string): Sample | undefined {
  const m = NAME.exec(line)
  if (!m) return undefined
  const name = m[0]
  let i = name.length
  const labels: Record<string, string> = {}
  if (line[i] === '{') {
    i++
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++
      if (line[i] === '}') {
        i++
        break
      }
      const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))
      if (!key || line[i + key[0].length] !== '=' || line[i + key[0].length + 1] !== '"') return undefined
      i += key[0].length + 2
      let value = ''
      for (;;) {
        const c = line[i]
        if (c === undefined) return undefined
        i++
        if (c === '"') break
        if (c === '\\') {
          const e = line[i++]
          value += e === 'n' ? '\n' : (e ?? '')
        } else value += c
      }
      labels[key[0]] = value
    }
  }
  const rest = line.slice(i).trim().split(/\s+/)[0] ?? ''
  const value =
    rest === '+Inf' ? Number.POSITIVE_INFINITY : rest === '-Inf' ? Number.NEGATIVE_INFINITY : Number(rest)
  if (rest === '' || (Number.isNaN(value) && rest !== 'NaN')) return undefined
  return { name, labels, value }
}

/** sum adds the values of every sample named `name` whose labels include `where`. */
export function sum(
  samples: readonly Sample[],
  name: string,
  where: Readonly<Record<string, string>> = {},
): number {
  let total = 0
  for (const s of samples) {
    if (s.name !== name) continue
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value
  }
  return total
}

/** byLabel sums `name` per value of `label`. */
export function byLabel(samples: readonly Sample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const s of samples) {
    if (s.name !== name) continue
    const k = s.labels[label] ?? ''
    out[k] = (out[k] ?? 0) + s.value
  }
  return out
}
