/**
 * Prints the figures of a `make fuzz` run from its report file (JSON lines written by
 * tests/support/fuzz-budget.ts and tests/integration/net-fuzz.test.ts): inputs tried per
 * parser, inputs sent per port, and each container's memory before and after.
 * Run with Node >= 22.18 (type stripping): node scripts/fuzz-report.ts .build/fuzz-report.jsonl
 */
import { readFileSync } from 'node:fs'

interface ParserLine {
  readonly parser: string
  readonly property: string
  readonly runs: number
}
interface NetLine {
  readonly kind: 'net'
  readonly seed: number
  readonly seconds: number
  readonly target: string
  readonly inputs: number
  readonly bytes: number
  readonly answered: number
  readonly resets: number
}
interface ContainerLine {
  readonly kind: 'container'
  readonly service: string
  readonly memoryBeforeBytes: number
  readonly memoryAfterBytes: number
  readonly restarts: number
  readonly health: string
}
type Line = ParserLine | NetLine | ContainerLine

const file = process.argv[2]
if (!file) {
  console.error('usage: node scripts/fuzz-report.ts REPORT.jsonl')
  process.exit(2)
}
const lines = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l) as Line)

const n = (x: number) => x.toLocaleString('en-US')
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`

const parsers = new Map<string, { properties: number; runs: number }>()
for (const l of lines)
  if (!('kind' in l)) {
    const p = parsers.get(l.parser) ?? { properties: 0, runs: 0 }
    parsers.set(l.parser, { properties: p.properties + 1, runs: p.runs + l.runs })
  }
console.log('Unit fuzz: inputs tried per parser (fast-check)')
console.log(`  ${'parser'.padEnd(20)} ${'properties'.padStart(10)} ${'inputs'.padStart(10)}`)
for (const [name, p] of [...parsers].sort())
  console.log(`  ${name.padEnd(20)} ${String(p.properties).padStart(10)} ${n(p.runs).padStart(10)}`)
const allRuns = [...parsers.values()].reduce((s, p) => s + p.runs, 0)
console.log(`  ${'total'.padEnd(20)} ${''.padStart(10)} ${n(allRuns).padStart(10)}`)

const net = lines.filter((l): l is NetLine => 'kind' in l && l.kind === 'net')
if (net.length > 0) {
  const first = net[0] as NetLine
  console.log(`\nNetwork fuzz: ${first.seconds} s, seed ${first.seed} (replay with FUZZ_SEED=${first.seed})`)
  console.log(
    `  ${'port'.padEnd(36)} ${'inputs'.padStart(8)} ${'bytes'.padStart(11)} ${'answered'.padStart(9)} ${'resets'.padStart(7)}`,
  )
  for (const t of net)
    console.log(
      `  ${t.target.padEnd(36)} ${n(t.inputs).padStart(8)} ${n(t.bytes).padStart(11)} ${n(t.answered).padStart(9)} ${n(t.resets).padStart(7)}`,
    )
  console.log(`  ${'total'.padEnd(36)} ${n(net.reduce((s, t) => s + t.inputs, 0)).padStart(8)}`)
}
const containers = lines.filter((l): l is ContainerLine => 'kind' in l && l.kind === 'container')
if (containers.length > 0) {
  console.log('\nAfter the network fuzz (every port answered a real request; no error or fatal log line)')
  for (const c of containers)
    console.log(
      `  ${c.service.padEnd(5)} ${c.health}, ${c.restarts} restarts, memory ${mib(c.memoryBeforeBytes)} -> ${mib(c.memoryAfterBytes)}`,
    )
}
