/**
 * describeMachine records where a run happened: cores, CPU, memory, kernel, Node and
 * Docker versions, the git commit (and whether the tree had changes), and the id of every
 * image the run used, so two result files can be told apart before they are compared.
 */
import { execFile } from 'node:child_process'
import { cpus, hostname, release, totalmem } from 'node:os'
import { promisify } from 'node:util'
import type { Machine } from './result.ts'

const execFileP = promisify(execFile)

async function out(cmd: string, args: readonly string[], cwd: string): Promise<string | undefined> {
  try {
    return (await execFileP(cmd, args, { cwd, timeout: 15_000 })).stdout.trim()
  } catch {
    return undefined
  }
}

/** describeMachine gathers the machine record; `images` are the image names to look up. */
export async function describeMachine(root: string, images: readonly string[]): Promise<Machine> {
  const ids: Record<string, string> = {}
  for (const image of images) {
    const id = await out('docker', ['image', 'inspect', '--format', '{{.Id}}', image], root)
    if (id) ids[image] = id
  }
  const all = cpus()
  return {
    hostname: hostname(),
    cores: Math.max(1, all.length),
    cpuModel: all[0]?.model.trim() ?? 'unknown',
    memoryBytes: totalmem(),
    kernel: release(),
    node: process.version,
    docker: (await out('docker', ['version', '--format', '{{.Server.Version}}'], root)) ?? 'unknown',
    commit: (await out('git', ['rev-parse', 'HEAD'], root)) ?? 'unknown',
    dirty: ((await out('git', ['status', '--porcelain', '--untracked-files=no'], root)) ?? '') !== '',
    images: ids,
  }
}
