/**
 * Watches one container while an attack runs: its cgroup memory, sampled from the host every
 * 100 ms, and what `docker inspect` says at the end (OOM-killed, restarts, still running).
 * The hostile tests assert on the verdict: the service answered, was not restarted or
 * OOM-killed, and its peak stayed under its limit.
 */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Where a container's memory cgroup is on the host, for cgroup v1 and v2 and both drivers. */
const cgroupDirs = (id: string) => [
  `/sys/fs/cgroup/memory/docker/${id}`,
  `/sys/fs/cgroup/memory/system.slice/docker-${id}.scope`,
  `/sys/fs/cgroup/system.slice/docker-${id}.scope`,
  `/sys/fs/cgroup/docker/${id}`,
]
const usageFiles = ['memory.usage_in_bytes', 'memory.current']

async function firstReadable(paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) {
    if (
      await readFile(p, 'utf8').then(
        () => true,
        () => false,
      )
    )
      return p
  }
  return undefined
}

/** ContainerVerdict is what a watched container did during an attack. */
export interface ContainerVerdict {
  /** the highest memory use sampled (cgroup usage: process memory plus page cache), bytes */
  readonly peakBytes: number
  /** the container's memory limit, bytes (0: none) */
  readonly limitBytes: number
  readonly samples: number
  readonly oomKilled: boolean
  readonly restarts: number
  readonly running: boolean
  /** the restart count and state when the watch began, to compare with */
  readonly restartsBefore: number
}

interface InspectState {
  readonly oomKilled: boolean
  readonly restarts: number
  readonly running: boolean
  readonly limitBytes: number
  readonly fullId: string
}

async function inspect(id: string): Promise<InspectState> {
  const format = '{{.State.OOMKilled}} {{.RestartCount}} {{.State.Running}} {{.HostConfig.Memory}} {{.Id}}'
  const { stdout } = await run('docker', ['inspect', '--format', format, id])
  const [oom, restarts, running, limit, fullId] = stdout.trim().split(' ')
  return {
    oomKilled: oom === 'true',
    restarts: Number(restarts),
    running: running === 'true',
    limitBytes: Number(limit),
    fullId: fullId ?? id,
  }
}

/** ContainerWatch samples until `stop()`, which resolves the verdict. */
export interface ContainerWatch {
  /** the highest usage sampled so far, bytes */
  peakBytes(): number
  stop(): Promise<ContainerVerdict>
}

/** watchContainer starts sampling container `id` (short or full id, or name). */
export async function watchContainer(id: string, intervalMs = 100): Promise<ContainerWatch> {
  const before = await inspect(id)
  const usageFile = await firstReadable(
    cgroupDirs(before.fullId).flatMap((dir) => usageFiles.map((f) => `${dir}/${f}`)),
  )
  let peak = 0
  let samples = 0
  const readUsage = async (): Promise<number | undefined> => {
    if (usageFile) return Number(await readFile(usageFile, 'utf8').catch(() => 'NaN'))
    // No cgroup file visible from here (Docker Desktop, rootless): ask the engine, slowly.
    const { stdout } = await run('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', id]).catch(
      () => ({ stdout: '' }),
    )
    const m = /^([\d.]+)([KMG]i?B)/.exec(stdout.trim())
    if (!m) return undefined
    const unit = { KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, KB: 1e3, MB: 1e6, GB: 1e9 }[m[2] as string] ?? 1
    return Number(m[1]) * unit
  }
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      const bytes = await readUsage()
      if (bytes !== undefined && Number.isFinite(bytes)) {
        peak = Math.max(peak, bytes)
        samples++
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
    }
  })()
  return {
    peakBytes: () => peak,
    async stop() {
      stopped = true
      await loop
      const after = await inspect(id)
      return {
        peakBytes: peak,
        limitBytes: after.limitBytes,
        samples,
        oomKilled: after.oomKilled,
        restarts: after.restarts,
        running: after.running,
        restartsBefore: before.restarts,
      }
    },
  }
}
