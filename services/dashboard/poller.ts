/**
 * The poller: every DASHBOARD_POLL_MS, for each service at once, GET its :9464/health,
 * /metrics and /events and run its health check (probes.ts), then update the model and tell
 * listeners (the SSE streams). A poll never overlaps the previous one.
 */
import type { Logger } from '../../lib/log.ts'
import { catalog } from './catalog.ts'
import type { DashboardConfig } from './config.ts'
import { Lab, type Poll, ServiceTrack } from './model.ts'
import { probeFor } from './probes.ts'
import { parsePromText } from './prom-text.ts'

/** The most bytes one scrape may bring (the services' families are bounded: lib/metrics/families.ts). */
const MAX_SCRAPE_BYTES = 4 * 1024 * 1024

async function getText(url: string, timeoutMs: number): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`)
  const length = Number(res.headers.get('content-length') ?? 0)
  if (length > MAX_SCRAPE_BYTES) throw new Error(`${url}: ${length} bytes`)
  const text = await res.text()
  if (text.length > MAX_SCRAPE_BYTES) throw new Error(`${url}: too large`)
  return text
}

const settled = <T>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined)

export interface Poller {
  readonly lab: Lab
  onUpdate(listener: () => void): () => void
  close(): void
}

export function startPoller(config: DashboardConfig, log: Logger): Poller {
  const names = config.services
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const tracks = names.map((n) => new ServiceTrack(n, catalog[n]?.ports ?? [], catalog[n]?.example ?? ''))
  const lab = new Lab(tracks)
  const listeners = new Set<() => void>()
  const t = config.timeoutMs

  const pollOne = async (track: ServiceTrack): Promise<void> => {
    const base = `http://${track.service}:${config.metricsPort}`
    const probe = probeFor(track.service, t)
    const [health, metrics, events, probed] = await Promise.all([
      settled(getText(`${base}/health`, t).then((x) => JSON.parse(x) as NonNullable<Poll['health']>)),
      settled(getText(`${base}/metrics`, t)),
      settled(
        getText(`${base}/events`, t).then(
          (x) => (JSON.parse(x) as { events: NonNullable<Poll['events']> }).events,
        ),
      ),
      probe ? settled(probe()) : undefined,
    ])
    const before = track.state
    lab.record(
      track.update({
        at: Date.now(),
        ...(health ? { health } : {}),
        ...(metrics !== undefined ? { samples: parsePromText(metrics) } : {}),
        ...(events ? { events } : {}),
        ...(probed ? { probe: probed } : {}),
      }),
    )
    if (before !== track.state)
      log.info({ target: track.service, state: track.state }, 'service state changed')
  }

  let timer: NodeJS.Timeout | undefined
  let closed = false
  const loop = async () => {
    const started = Date.now()
    await Promise.all(
      tracks.map((tr) =>
        pollOne(tr).catch((err: unknown) => log.error({ err, target: tr.service }, 'poll failed')),
      ),
    )
    for (const l of listeners) l()
    if (!closed) timer = setTimeout(loop, Math.max(0, config.pollMs - (Date.now() - started)))
  }
  void loop()
  return {
    lab,
    onUpdate(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close() {
      closed = true
      clearTimeout(timer)
    },
  }
}
