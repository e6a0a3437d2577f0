/**
 * The container health check: GET /version on the loopback control API must answer 200
 * with a version, within 2 s. Exit 0 when healthy, 1 otherwise.
 */
const port = Number(process.env.FAULTS_API_PORT || 8474)
try {
  const res = await fetch(`http://127.0.0.1:${port}/version`, { signal: AbortSignal.timeout(2000) })
  const body = (await res.json()) as { version?: unknown }
  process.exitCode = res.status === 200 && typeof body.version === 'string' ? 0 : 1
} catch {
  process.exitCode = 1
}
