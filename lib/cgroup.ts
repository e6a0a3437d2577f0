/**
 * What the kernel says this process may use: the memory limit of its cgroup (v2 or v1), so
 * that budgets and heap sizes follow the container's `mem_limit` instead of the host's RAM.
 */
import { readFileSync } from 'node:fs'

const LIMIT_FILES = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']

/** v1 reports "no limit" as a huge page-aligned number; anything above 1 PiB is no limit. */
const NO_LIMIT_ABOVE = 2 ** 50

/** cgroupMemoryLimitBytes is this process's cgroup memory limit, or undefined when there is none. */
export function cgroupMemoryLimitBytes(files: readonly string[] = LIMIT_FILES): number | undefined {
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(file, 'utf8').trim()
    } catch {
      continue
    }
    if (text === 'max') return undefined
    const bytes = Number(text)
    return Number.isSafeInteger(bytes) && bytes > 0 && bytes < NO_LIMIT_ABOVE ? bytes : undefined
  }
  return undefined
}
