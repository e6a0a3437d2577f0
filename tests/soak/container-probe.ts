/**
 * Looks inside a running service container with `docker exec <id> node -e ...`: what the
 * kernel says about the service process, and how many sockets its network namespace holds.
 * The service process is the Node running `dist/services/<name>/main.js`: with `init: true`
 * (docker-compose.yml) pid 1 is docker-init and Node its child. The probe runs as a second
 * process, so it reads the service's figures, never its own (its memory would otherwise
 * pollute the cgroup's).
 */
import { docker } from './compose-project.ts'

/** Finds the service process's pid (`SERVICE_PID`), for the scripts below. */
const FIND_SERVICE = `
const fs = require('node:fs')
const isService = (p) => {
  const argv = fs.readFileSync('/proc/' + p + '/cmdline', 'utf8').split('\\0')
  return argv[0] === 'node' && argv.some((a) => a.startsWith('dist/services/'))
}
const SERVICE_PID = fs.readdirSync('/proc').find((p) => /^\\d+$/.test(p) && Number(p) !== process.pid && isService(p)) || '1'
`

/** Reads the service's /proc status, tries to write to /, and reads the cgroup limits (v1 or v2). */
const SECURITY_SCRIPT = `${FIND_SERVICE}
const status = fs.readFileSync('/proc/' + SERVICE_PID + '/status', 'utf8')
const field = (name) => (status.match(new RegExp('^' + name + ':\\\\s*(.*)$', 'm')) || [])[1]
let rootWrite = 'written'
try { fs.writeFileSync('/netlab-probe', 'x') } catch (err) { rootWrite = err.code }
const first = (paths) => { for (const p of paths) { try { return fs.readFileSync(p, 'utf8').trim() } catch {} } return null }
console.log(JSON.stringify({
  uid: field('Uid'), gid: field('Gid'), capEff: field('CapEff'), capBnd: field('CapBnd'),
  noNewPrivs: field('NoNewPrivs'), rootWrite,
  memoryLimit: first(['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']),
  pidsMax: first(['/sys/fs/cgroup/pids.max', '/sys/fs/cgroup/pids/pids.max']),
}))
`

/** Counts TCP sockets by state (01 ESTABLISHED, 0A LISTEN) in /proc/net/tcp{,6}, reads the service's RSS. */
const SAMPLE_SCRIPT = `${FIND_SERVICE}
const rss = Number((fs.readFileSync('/proc/' + SERVICE_PID + '/status', 'utf8').match(/^VmRSS:\\s*(\\d+) kB$/m) || [])[1]) * 1024
let established = 0, other = 0
for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
  let text = ''
  try { text = fs.readFileSync(f, 'utf8') } catch { continue }
  for (const line of text.split('\\n').slice(1)) {
    const st = line.trim().split(/\\s+/)[3]
    if (st === '01') established++
    else if (st !== undefined && st !== '0A') other++
  }
}
console.log(JSON.stringify({ rss, established, other }))
`

/** SecurityView is what the kernel reports for the service process inside its container. */
export interface SecurityView {
  /** the service process's /proc status Uid: real, effective, saved, fs */
  readonly uid: string
  readonly gid: string
  /** effective capabilities, hex */
  readonly capEff: string
  readonly capBnd: string
  /** "1" when no_new_privs is set */
  readonly noNewPrivs: string
  /** the error code of writing /netlab-probe ("EROFS" on a read-only root) or "written" */
  readonly rootWrite: string
  /** the cgroup's memory limit in bytes, as text */
  readonly memoryLimit: string | null
  /** the cgroup's pids limit, as text */
  readonly pidsMax: string | null
}

/** securityView reads a container's service process credentials, capabilities and cgroup limits. */
export async function securityView(containerId: string): Promise<SecurityView> {
  const { stdout } = await docker(['exec', containerId, 'node', '-e', SECURITY_SCRIPT], 20_000)
  return JSON.parse(stdout) as SecurityView
}

/** Sample is one reading of a container: the service's resident memory and its TCP sockets. */
export interface Sample {
  /** resident set size of the service process, bytes */
  readonly rss: number
  /** ESTABLISHED TCP sockets in the container's network namespace */
  readonly established: number
  /** TCP sockets in any other state but LISTEN (TIME_WAIT, CLOSE_WAIT, ...) */
  readonly other: number
}

/** sample reads one Sample from a running container. */
export async function sample(containerId: string): Promise<Sample> {
  const { stdout } = await docker(['exec', containerId, 'node', '-e', SAMPLE_SCRIPT], 20_000)
  return JSON.parse(stdout) as Sample
}
