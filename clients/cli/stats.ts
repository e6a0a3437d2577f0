/** Summary statistics the CLI's reports share. */

/** median of a (copied, sorted) list; undefined when empty. */
export function median(values: ArrayLike<number>): number | undefined {
  const sorted = Float64Array.from(values).sort()
  const n = sorted.length
  if (n === 0) return undefined
  const mid = n >> 1
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}
