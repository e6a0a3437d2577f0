/** The dashboard's configuration: every DASHBOARD_* variable, its default and bounds. */
import { z } from 'zod'
import {
  type ConfigOf,
  type Env,
  hostVar,
  intVar,
  loadConfig,
  logLevelVar,
  portVar,
  shutdownGraceVar,
  stringVar,
  type VarSpec,
} from '../../lib/config.ts'
import { normaliseHostName } from './host-check.ts'

/**
 * DASHBOARD_ALLOWED_HOSTS: more names the page may be reached by (DNS-rebinding protection,
 * host-check.ts), comma-separated host names or IP addresses without ports; none by default.
 */
const allowedHostsVar: VarSpec<readonly string[]> = {
  name: 'DASHBOARD_ALLOWED_HOSTS',
  doc: 'more Host names the page answers to, beyond localhost, 127.0.0.1, [::1] and DASHBOARD_HOST; others get 421',
  expected: 'comma-separated host names or IP addresses, without ports',
  defaultText: '(none)',
  schema: z
    .string()
    .max(4096)
    .optional()
    .transform((raw, ctx) => {
      const names = (raw ?? '').split(',').filter((n) => n.trim() !== '')
      const normalised = names.map(normaliseHostName)
      if (normalised.some((n) => n === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'not a host name' })
        return z.NEVER
      }
      return normalised as string[]
    }),
}

export const dashboardConfigSpec = {
  host: hostVar('DASHBOARD_HOST', 'address the page and its API bind to', '0.0.0.0'),
  port: portVar('DASHBOARD_PORT', 'the page, GET /api/lab, the SSE stream and the faults controls', 8088),
  allowedHosts: allowedHostsVar,
  services: stringVar(
    'DASHBOARD_SERVICES',
    'the services it watches, by name on the lab network (comma-separated)',
    {
      default: 'tcp,udp,http,rpc,faults',
    },
  ),
  metricsPort: portVar('DASHBOARD_METRICS_PORT', "the services' /metrics, /events and /health port", 9464),
  faultsUrl: stringVar('DASHBOARD_FAULTS_URL', 'the faults API the controls act through', {
    default: 'http://faults:8474',
  }),
  pollMs: intVar('DASHBOARD_POLL_MS', 'how often every service is polled and the page updated', {
    default: 1000,
    min: 200,
    max: 60_000,
    unit: 'ms',
  }),
  timeoutMs: intVar('DASHBOARD_TIMEOUT_MS', 'how long one poll request or health check may take', {
    default: 800,
    min: 100,
    max: 30_000,
    unit: 'ms',
  }),
  maxStreams: intVar('DASHBOARD_MAX_STREAMS', 'most pages updating at once (SSE streams); more: 503', {
    default: 32,
    min: 1,
    max: 1000,
  }),
  logLevel: logLevelVar,
  shutdownGraceMs: shutdownGraceVar("most a shutdown may take; open pages' streams are cut at once", 2000),
} as const

export type DashboardConfig = ConfigOf<typeof dashboardConfigSpec>

export function loadDashboardConfig(env: Env): DashboardConfig {
  return loadConfig(dashboardConfigSpec, env)
}
