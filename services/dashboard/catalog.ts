/**
 * The lab's services as the dashboard lists them: their container ports (docker-compose.yml)
 * and one example command each (`client` stands for `docker compose run --rm client`).
 */
import type { Port } from './model.ts'

export interface CatalogEntry {
  readonly ports: readonly Port[]
  readonly example: string
}

export const catalog: Readonly<Record<string, CatalogEntry>> = {
  tcp: {
    ports: [
      { port: 9999, protocol: 'tcp', what: 'upper' },
      { port: 20000, protocol: 'tcp', what: 'echo' },
      { port: 9998, protocol: 'tcp', what: 'cmd' },
      { port: 8001, protocol: 'tcp', what: 'welcome' },
      { port: 9997, protocol: 'tcp', what: 'hello' },
      { port: 50000, protocol: 'tcp', what: 'ack' },
    ],
    example: 'docker compose run --rm client tcp upper "hello world"',
  },
  udp: {
    ports: [
      { port: 20000, protocol: 'udp', what: 'ctime' },
      { port: 9999, protocol: 'udp', what: 'hello' },
      { port: 37, protocol: 'udp', what: 'RFC 868 time' },
      { port: 123, protocol: 'udp', what: 'SNTP' },
      { port: 9000, protocol: 'udp', what: 'probe' },
      { port: 50001, protocol: 'udp', what: 'ack' },
    ],
    example: 'docker compose run --rm client udp hello Michael',
  },
  http: {
    ports: [{ port: 8080, protocol: 'tcp', what: 'REST, httpbin' }],
    example: 'curl -s http://127.0.0.1:8080/get?name=Dave',
  },
  rpc: {
    ports: [
      { port: 15000, protocol: 'tcp', what: 'XML-RPC, JSON-RPC over HTTP' },
      { port: 15001, protocol: 'tcp', what: 'JSON-RPC over TCP' },
      { port: 17000, protocol: 'tcp', what: 'mp-connection RPC' },
      { port: 25000, protocol: 'tcp', what: 'mp-connection echo' },
    ],
    example: 'docker compose run --rm client rpc call add 2 3',
  },
  faults: {
    ports: [
      { port: 8474, protocol: 'tcp', what: 'control API' },
      { port: 19999, protocol: 'tcp', what: 'proxy to tcp:9999' },
      { port: 18080, protocol: 'tcp', what: 'proxy to http:8080' },
      { port: 40000, protocol: 'udp', what: 'proxy to udp:20000' },
    ],
    example: 'docker compose run --rm client faults list',
  },
}
