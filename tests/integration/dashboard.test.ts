/**
 * The dashboard in a browser: Debian's chromium (/usr/bin/chromium) driven by playwright-core,
 * on the page the dashboard container serves, with the five services beside it on a fresh lab
 * network. What a user would check: five healthy services; counters that move after traffic;
 * a latency toxic added from the page reaching the faults API and delaying traffic through
 * the proxy (measured), then removed from the page; a request naming another host (DNS
 * rebinding) refused while the page still works; a stopped service shown as down within 5 s. NETLAB_DASHBOARD_SCREENSHOT=/tmp/x.png saves a screenshot of the page.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Lab, startLab } from '../support/lab.ts'

const CHROMIUM = '/usr/bin/chromium'
const FIVE = ['tcp', 'udp', 'http', 'rpc', 'faults'] as const
const TOXIC_MS = 400

/** roundTrip sends one line through `port` of `service` and returns the reply and the time it took. */
async function roundTrip(
  lab: Lab,
  service: 'faults' | 'tcp',
  port: number,
): Promise<{ reply: string; ms: number }> {
  const client = await lab.connect(service, port)
  try {
    const t0 = performance.now()
    const reply = await client.request('delay me')
    return { reply, ms: performance.now() - t0 }
  } finally {
    client.close()
  }
}

/** rawGet sends one HTTP/1.1 GET with the Host header given, as curl -H 'Host: ...' would. */
async function rawGet(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  const socket = connect(port, '127.0.0.1')
  socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')))
  socket.end(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
  let text = ''
  for await (const chunk of socket) text += String(chunk)
  const [head = '', body = ''] = text.split('\r\n\r\n', 2)
  return { status: Number(head.split(' ')[1]), body }
}

const counter = (page: Page, service: string, key: string) =>
  page.locator(`[data-service=${service}] [data-counter=${key}]`).getAttribute('data-value').then(Number)

describe.skipIf(!existsSync(CHROMIUM))('dashboard in chromium', { timeout: 60_000 }, () => {
  let lab: Lab
  let context: BrowserContext
  let page: Page
  let profile: string
  let url: string

  beforeAll(async () => {
    profile = await mkdtemp(join(tmpdir(), 'netlab-chromium-'))
    ;[lab, context] = await Promise.all([
      startLab([...FIVE, 'dashboard']),
      chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      }),
    ])
    url = lab.baseUrl('dashboard', 8088)
    page = context.pages()[0] ?? (await context.newPage())
    // the page may load nothing from outside the dashboard (no CDN, no fonts)
    await page.route('**/*', (route) =>
      route.request().url().startsWith(url) ? route.continue() : route.abort('blockedbyclient'),
    )
    await page.goto(url)
  }, 120_000)

  afterAll(async () => {
    await context?.close()
    await lab?.stop()
    if (profile) await rm(profile, { recursive: true, force: true })
  })

  it('shows the five services up and healthy, with uptime, ports and an example each', async () => {
    await page.waitForFunction(
      `document.querySelectorAll('.svc[data-state=up][data-health=healthy]').length === ${FIVE.length}`,
      undefined,
      { timeout: 20_000 },
    )
    const shown = await Promise.all(
      (await page.locator('.svc').all()).map((c) => c.getAttribute('data-service')),
    )
    expect(shown).toEqual([...FIVE])
    await expect
      .poll(() => page.locator('[data-service=tcp] [data-testid=meta]').textContent())
      .toMatch(/uptime \d+s/)
    expect(await page.locator('[data-service=tcp] [data-testid=ports]').textContent()).toContain(
      '9998/tcp cmd',
    )
    expect(await page.locator('[data-service=tcp] [data-testid=example]').textContent()).toContain(
      'client tcp upper',
    )
    expect(await page.locator('[data-testid=stream-state]').textContent()).toBe('live')
  })

  it('moves the counters after traffic, without a reload', async () => {
    const before = {
      tcp: await counter(page, 'tcp', 'requests'),
      http: await counter(page, 'http', 'requests'),
    }
    const cmd = await lab.connect('tcp', 9998)
    for (let i = 0; i < 25; i++) expect(await cmd.request('PING')).toBe('OK PONG')
    cmd.close()
    for (let i = 0; i < 15; i++) await (await fetch(`${lab.baseUrl('http', 8080)}/get?i=${i}`)).text()
    await expect
      .poll(() => counter(page, 'tcp', 'requests'), { timeout: 5000, interval: 250 })
      .toBeGreaterThanOrEqual(before.tcp + 25)
    await expect
      .poll(() => counter(page, 'http', 'requests'), { timeout: 5000, interval: 250 })
      .toBeGreaterThanOrEqual(before.http + 15)
    expect(await counter(page, 'tcp', 'bytesIn')).toBeGreaterThan(0)
    // the chart has points, and /api/lab says the same as the page
    expect(await page.locator('[data-service=tcp] svg polyline.tp').getAttribute('points')).toMatch(/\d,\d/)
    const api = (await (await fetch(`${url}/api/lab`)).json()) as {
      services: { service: string; counters: { requests: number } }[]
    }
    expect(api.services.find((s) => s.service === 'tcp')?.counters.requests).toBeGreaterThanOrEqual(
      before.tcp + 25,
    )
  })

  it('adds a latency toxic from the page: the faults API has it and traffic through the proxy is delayed', async () => {
    const plain = await roundTrip(lab, 'faults', 19999)
    expect(plain.reply).toBe('DELAY ME')
    expect(plain.ms).toBeLessThan(TOXIC_MS / 2)

    await page.locator('[data-testid=toxic-proxy]').selectOption('tcp-upper')
    await page.locator('[data-testid=toxic-type]').selectOption('latency')
    await page.locator('[data-testid=toxic-attributes]').fill(`latency=${TOXIC_MS}`)
    await page.locator('[data-testid=toxic-name]').fill('ui_latency')
    await page.locator('[data-testid=toxic-add]').click()
    await expect
      .poll(() => page.locator('[data-testid=faults-msg]').textContent())
      .toBe('added latency to tcp-upper')
    await page.locator('[data-testid=toxics-tcp-upper] [data-toxic=ui_latency]').waitFor()

    const toxics = (await (
      await fetch(`${lab.baseUrl('faults', 8474)}/proxies/tcp-upper/toxics`)
    ).json()) as {
      name: string
      type: string
      attributes: Record<string, number>
    }[]
    expect(toxics).toEqual([
      expect.objectContaining({
        name: 'ui_latency',
        type: 'latency',
        attributes: expect.objectContaining({ latency: TOXIC_MS }),
      }),
    ])
    const slowed = await roundTrip(lab, 'faults', 19999)
    expect(slowed.reply).toBe('DELAY ME')
    expect(slowed.ms).toBeGreaterThanOrEqual(TOXIC_MS * 0.95)
    await expect
      .poll(() => counter(page, 'faults', 'toxicsApplied'), { timeout: 5000 })
      .toBeGreaterThanOrEqual(1)

    const shot = process.env.NETLAB_DASHBOARD_SCREENSHOT
    if (shot) await page.screenshot({ path: shot, fullPage: true })

    await page.locator('[data-testid=remove-tcp-upper-ui_latency]').click()
    await expect.poll(() => page.locator('[data-testid=faults-msg]').textContent()).toBe('removed ui_latency')
    expect(await (await fetch(`${lab.baseUrl('faults', 8474)}/proxies/tcp-upper/toxics`)).json()).toEqual([])
    expect((await roundTrip(lab, 'faults', 19999)).ms).toBeLessThan(TOXIC_MS / 2)
  })

  it('refuses a request naming another host (DNS rebinding) with 421, and the page still works', async () => {
    // fetch() will not set Host, so this is curl's `-H 'Host: evil.example'` over a raw socket
    const { port } = new URL(url)
    const refused = await rawGet(Number(port), '/api/lab', 'evil.example')
    expect(refused.status).toBe(421)
    expect(JSON.parse(refused.body)).toMatchObject({ status: 421, code: 'BAD_HOST' })
    const reset = await fetch(`${url}/api/faults/reset`, {
      method: 'POST',
      headers: {
        'x-netlab-dashboard': '1',
        'content-type': 'application/json',
        origin: 'http://evil.example:8088',
      },
      body: '{}',
    })
    expect(reset.status).toBe(403)
    expect(await reset.json()).toMatchObject({ code: 'BAD_ORIGIN' })
    expect((await rawGet(Number(port), '/api/lab', `127.0.0.1:${port}`)).status).toBe(200)
    await page.reload()
    await page.waitForSelector('.svc[data-service=tcp][data-state=up]', { timeout: 10_000 })
    expect(await page.locator('[data-testid=stream-state]').textContent()).toBe('live')
  })

  it('shows a stopped service as down within 5 s, with an event', async () => {
    expect(await lab.terminate('udp', 5000)).toBe(0)
    const stopped = performance.now()
    await page.waitForSelector('.svc[data-service=udp][data-state=down]', { timeout: 5000 })
    expect(performance.now() - stopped).toBeLessThan(5000)
    expect(await page.locator('.svc[data-service=udp] [data-testid=health]').textContent()).toBe('unhealthy')
    await expect.poll(() => page.locator('[data-testid=events]').textContent()).toContain('udp error [DOWN]')
    expect(await page.locator('.svc[data-state=up][data-health=healthy]').count()).toBe(4)
  })
})
