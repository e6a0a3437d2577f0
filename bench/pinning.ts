/**
 * CPU pinning: the load generator on one half of the machine's CPUs, every server it measures
 * (netlab's containers and the baselines) on the other half, for the length of a run.
 *
 * Unpinned on a small machine, the scheduler places the generator's and the server's threads
 * anew in every step, and the same server measured twice differs by more than the gaps the
 * bench is after: two identical baseline containers, measured in alternating 2 s rounds on
 * the 2-core machine, differed by 1.16-1.26x in server CPU per request; pinned, by under 4 %
 * (docs/bench.md, "Pinning").
 *
 * Servers are pinned with `docker update --cpuset-cpus` once they run (the lab's own
 * containers are put back as they were when the run ends); the generators (bench-load,
 * netperf-client) by their compose definitions' `cpuset: ${BENCH_LOAD_CPUS:-}`.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const execFileP = promisify(execFile)

/** Pinning is the CPU lists (cpuset syntax: `0`, `2-3`) of the generator and the servers. */
export interface Pinning {
  readonly load: string
  readonly servers: string
}

/** cpuRange is the cpuset list of CPUs `from`..`to` inclusive. */
export function cpuRange(from: number, to: number): string {
  return from === to ? String(from) : `${from}-${to}`
}

/**
 * planPinning splits `cores` CPUs: the generator gets the lower half (rounded down), the
 * servers the rest; undefined below 2 CPUs, where there is nothing to split.
 */
export function planPinning(cores: number): Pinning | undefined {
  if (!Number.isInteger(cores) || cores < 2) return undefined
  const load = Math.floor(cores / 2)
  return { load: cpuRange(0, load - 1), servers: cpuRange(load, cores - 1) }
}

/** Docker runs `docker` with `args` and gives its trimmed stdout (tests pass a fake). */
export type Docker = (args: readonly string[]) => Promise<string>

export const docker: Docker = async (args) =>
  (await execFileP('docker', [...args], { timeout: 30_000 })).stdout.trim()

/**
 * pinContainers moves each container to `cpus` and returns how to put them back: each one's
 * cpuset as it was (Docker's "" means every CPU, and `docker update` cannot set "" again, so
 * those get `all`, the machine's whole list). Containers already moved are put back if a
 * later one fails, and the error is thrown.
 */
export async function pinContainers(
  ids: readonly string[],
  cpus: string,
  all: string,
  run: Docker = docker,
): Promise<() => Promise<void>> {
  const moved: Array<{ id: string; was: string }> = []
  const restore = async () => {
    for (const { id, was } of moved.splice(0).reverse())
      await run(['update', '--cpuset-cpus', was, id]).catch(() => undefined)
  }
  try {
    for (const id of ids) {
      const was = await run(['inspect', '--format', '{{.HostConfig.CpusetCpus}}', id])
      await run(['update', '--cpuset-cpus', cpus, id])
      moved.push({ id, was: was === '' ? all : was })
    }
  } catch (err) {
    await restore()
    throw err
  }
  return restore
}

/**
 * pinServers pins a run's server containers to `pinning.servers`; when Docker cannot, it
 * says why through `warn` and the run goes on unpinned (`pinned` null). `unpin` puts the
 * containers back.
 */
export async function pinServers(
  pinning: Pinning | undefined,
  ids: readonly string[],
  cores: number,
  warn: (text: string) => void,
  run: Docker = docker,
): Promise<{ pinned: Pinning | null; unpin: () => Promise<void> }> {
  const none = { pinned: null, unpin: async () => undefined }
  if (!pinning) return none
  try {
    return { pinned: pinning, unpin: await pinContainers(ids, pinning.servers, cpuRange(0, cores - 1), run) }
  } catch (err) {
    warn(
      `cannot pin the servers' CPUs (${err instanceof Error ? err.message : String(err)}): the run is unpinned`,
    )
    return none
  }
}
