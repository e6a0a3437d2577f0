/**
 * Where each service is by default. Inside the lab (the client container sets
 * NETLAB_IN_LAB=1) services are reached by compose service name and container port;
 * on the host, through 127.0.0.1 and the host ports compose publishes (same variables).
 */
import type { Env } from '../../lib/config.ts'

export interface ServicePorts {
  readonly host: string
  readonly ports: Readonly<Record<string, number>>
  /**
   * NETLAB_CONNECT_RETRY_MS: how long a TCP connect is retried with backoff while the service
   * starts or is replaced (the Swarm client sets it; docs/swarm.md). Unset: fail at once.
   */
  readonly connectRetryMs?: number
}

function port(env: Env, name: string, def: number): number {
  const v = Number(env[name])
  return Number.isInteger(v) && v > 0 && v < 65536 ? v : def
}

/** defaultTargets returns the default host and ports of each service for this environment. */
export function defaultTargets(
  env: Env,
): Readonly<Record<'tcp' | 'udp' | 'http' | 'rpc' | 'faults', ServicePorts>> {
  const inLab = env.NETLAB_IN_LAB === '1'
  const host = (service: string) =>
    env[`NETLAB_${service.toUpperCase()}_HOST`] || (inLab ? service : '127.0.0.1')
  // `def` is the container port; `hostDef` the host port compose publishes it on by default
  const p = (varName: string, def: number, hostDef = def) => (inLab ? def : port(env, varName, hostDef))
  const retry = Number(env.NETLAB_CONNECT_RETRY_MS)
  // only when set, so the targets print as before without it
  const retrying = Number.isInteger(retry) && retry > 0 && retry <= 600_000 ? { connectRetryMs: retry } : {}
  return {
    tcp: {
      host: host('tcp'),
      ...retrying,
      ports: {
        upper: p('TCP_UPPER_HOST_PORT', 9999),
        echo: p('TCP_ECHO_HOST_PORT', 20000),
        cmd: p('TCP_CMD_HOST_PORT', 9998),
        welcome: p('TCP_WELCOME_HOST_PORT', 8001),
        hello: p('TCP_HELLO_HOST_PORT', 9997),
        ack: p('TCP_ACK_HOST_PORT', 50000),
      },
    },
    udp: {
      host: host('udp'),
      ports: {
        ctime: p('UDP_CTIME_HOST_PORT', 20000),
        hello: p('UDP_HELLO_HOST_PORT', 9999),
        time: p('UDP_TIME_HOST_PORT', 37, 3737),
        sntp: p('UDP_SNTP_HOST_PORT', 123, 12300),
        probe: p('UDP_PROBE_HOST_PORT', 9000),
        ack: p('UDP_ACK_HOST_PORT', 50001),
      },
    },
    http: {
      host: host('http'),
      ports: { http: p('HTTP_HOST_PORT', 8080) },
    },
    rpc: {
      host: host('rpc'),
      ...retrying,
      ports: {
        http: p('RPC_HTTP_HOST_PORT', 15000),
        jsonrpc: p('RPC_JSONRPC_HOST_PORT', 15001),
        mpRpc: p('RPC_MPCONN_RPC_HOST_PORT', 17000),
        mpEcho: p('RPC_MPCONN_ECHO_HOST_PORT', 25000),
      },
    },
    faults: {
      host: host('faults'),
      ports: { api: p('FAULTS_API_HOST_PORT', 8474) },
    },
  }
}
