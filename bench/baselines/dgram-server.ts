/**
 * The UDP baseline: a minimal single-threaded Node `dgram` server (no worker threads, no
 * rate limit, no counters) answering the same bytes as netlab's UDP service:
 *
 *   20000  ctime: any datagram → time.ctime() as ASCII (the service's own formatter)
 *   9000   probe: a probe → its reply with T2/T3 (the service's own codec); anything else dropped
 */
import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { ctime } from '../../protocols/ctime.ts'
import { nowMs } from '../../protocols/ntp-time.ts'
import { decodeProbeRequest, encodeProbeReply } from '../../protocols/probe/packet.ts'

/** The UDP service's ports the baseline answers on. */
export const DGRAM_PORTS = { ctime: 20000, probe: 9000 } as const

/** DgramPorts are the ports to bind (0: any) or that were bound. */
export type DgramPorts = { readonly [K in keyof typeof DGRAM_PORTS]: number }

/** startDgramBaseline binds both ports (0: any free port; `ports` says which); close() closes them. */
export async function startDgramBaseline(
  host = '0.0.0.0',
  want: DgramPorts = DGRAM_PORTS,
): Promise<{ readonly ports: DgramPorts; close(): Promise<void> }> {
  const time = createSocket('udp4')
  time.on('message', (_msg, rinfo) =>
    time.send(Buffer.from(ctime(new Date()), 'ascii'), rinfo.port, rinfo.address),
  )
  const probe = createSocket('udp4')
  probe.on('message', (msg, rinfo) => {
    const received = nowMs()
    const req = decodeProbeRequest(msg)
    if (typeof req === 'string' || req.type !== 'probe') return
    probe.send(encodeProbeReply(msg, received, nowMs()), rinfo.port, rinfo.address)
  })
  const sockets: Socket[] = [time, probe]
  for (const s of sockets) s.on('error', () => undefined)
  time.bind(want.ctime, host)
  probe.bind(want.probe, host)
  await Promise.all([once(time, 'listening'), once(probe, 'listening')])
  return {
    ports: { ctime: time.address().port, probe: probe.address().port },
    async close() {
      await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    },
  }
}
