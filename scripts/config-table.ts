/**
 * Prints a service's environment variables as the Markdown table docs/<service>.md shows,
 * from the same VarSpec list the service validates with:
 *   node scripts/config-table.ts tcp
 */
import { describeConfig } from '../lib/config.ts'
import { metricsVars } from '../lib/metrics/server.ts'
import { dashboardConfigSpec } from '../services/dashboard/config.ts'
import { faultsConfigSpec } from '../services/faults/config.ts'
import { httpConfigSpec } from '../services/http/config.ts'
import { rpcConfigSpec } from '../services/rpc/config.ts'
import { tcpConfigSpec } from '../services/tcp/config.ts'
import { udpConfigSpec } from '../services/udp/config.ts'

const specs = {
  tcp: tcpConfigSpec,
  udp: udpConfigSpec,
  http: httpConfigSpec,
  rpc: rpcConfigSpec,
  faults: faultsConfigSpec,
  dashboard: dashboardConfigSpec,
  /** every service's metrics endpoint (lib/metrics/server.ts) */
  metrics: metricsVars,
} as const

/** configTable renders the Markdown table of one service's variables. */
export function configTable(service: keyof typeof specs): string {
  const rows = describeConfig(specs[service]).map(
    (cells) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`,
  )
  return ['| Variable | Default | Accepted values | Meaning |', '| --- | --- | --- | --- |', ...rows].join(
    '\n',
  )
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const service = process.argv[2] ?? 'tcp'
  if (!(service in specs))
    throw new Error(`unknown service ${service}; one of ${Object.keys(specs).join(', ')}`)
  console.log(configTable(service as keyof typeof specs))
}
