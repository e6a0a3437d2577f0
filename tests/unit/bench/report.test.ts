/**
 * The HTML report on a synthetic result: a complete, self-contained page (no script, no
 * external reference), every id drawn, target outcomes counted, and every piece of text
 * from the result escaped (subjects, titles and machine fields carry `<`, `&` and quotes).
 */
import { describe, expect, it } from 'vitest'
import { esc, fmtPct, fmtRatio, fmtUs } from '../../../bench/report/format.ts'
import { renderHtml } from '../../../bench/report/html.ts'
import { measurement, syntheticResult } from '../../support/report-fixture.ts'

const count = (html: string, s: string): number => html.split(s).length - 1

describe('renderHtml', () => {
  const result = syntheticResult()
  const html = renderHtml(result)

  it('is one complete HTML page with balanced svg elements', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true)
    expect(html.trimEnd().endsWith('</html>')).toBe(true)
    expect(count(html, '<html')).toBe(1)
    expect(count(html, '<body>')).toBe(1)
    expect(count(html, '</body>')).toBe(1)
    expect(count(html, '<svg')).toBe(count(html, '</svg>'))
    expect(html).toContain('<title>netlab bench 2026-11-21T17:30:00.000Z</title>')
    expect(html).toContain(
      '<a href="#targets">targets</a> · <a href="#ratios">ratios</a> · <a href="#threads">threads</a> · <a href="#g-network">Network limit (iperf3, sockperf)</a>',
    )
    for (const g of ['tcp', 'udp', 'http', 'rpc']) expect(html).toContain(`<h2 id="g-${g}">`)
  })

  it('loads nothing from anywhere: no script, no external URL', () => {
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/https?:\/\//)
    expect(html).not.toMatch(/<link|<img|@import|url\(/i)
  })

  it('draws a throughput chart for each id and a latency chart for each id with latencies', () => {
    const ids = new Set(result.measurements.map((m) => m.id))
    for (const id of ids) expect(html).toContain(`<section class="figure" id="m-${id}">`)
    expect(count(html, 'aria-label="throughput"')).toBe(ids.size)
    // network.tcp.throughput (iperf3) has no latency; every other id does
    expect(count(html, 'aria-label="latency percentiles, log scale"')).toBe(ids.size - 1)
  })

  it('labels netlab beside its baseline with the ratio', () => {
    expect(html).toContain('60,000 ops/s · 1.11x node net')
    expect(html).toContain('54,000 ops/s</text>')
    expect(html).toContain('6,198 Mbit/s')
  })

  it('shows the network RTT p50 as the reference in the TCP and UDP latency charts', () => {
    expect(html).toContain('network RTT p50 (TCP) 26 µs')
    expect(html).toContain('network RTT p50 (UDP) 37.2 µs')
  })

  it('draws the network ping-pong beside a figure with one exchange in flight', () => {
    const c1 = renderHtml({
      ...result,
      measurements: [
        ...result.measurements,
        measurement({ id: 'tcp.echo.c1', subject: 'netlab', throughput: 9_000 }),
      ],
    })
    const section = c1.slice(c1.indexOf('<section class="figure" id="m-tcp.echo.c1">'))
    const chart = section.slice(0, section.indexOf('</svg>'))
    expect(chart).toContain('>sockperf (network)</text>')
    expect(chart).toContain('>27,254 ops/s</text>')
    // 32 connections are not sockperf's load shape
    const c32 = html.slice(html.indexOf('id="m-tcp.upper.c32"'))
    expect(c32.slice(0, c32.indexOf('</svg>'))).not.toContain('sockperf')
  })

  it('summarises the targets: met, missed, not measured', () => {
    expect(html).toContain(
      '<span class="met">1 met</span> · <span class="missed">1 missed</span> · <span class="na">1 not measured</span> (of 3 targets)',
    )
    expect(html).toContain('<td class="missed">missed</td>')
    expect(html).toContain('<td class="met">met</td>')
    expect(html).toContain('<td class="na">not measured</td>')
    expect(html).toContain('<td class="n">1.50x (15.0 µs vs 10.0 µs)</td><td class="missed">missed</td>')
  })

  it("shows each ratio with both servers' CPU per exchange, and the threads figures", () => {
    const ratios = html.slice(html.indexOf('<table class="ratios">'))
    expect(ratios.slice(0, ratios.indexOf('</table>'))).toContain(
      '<td>node net</td><td class="n">1.11x</td><td class="n">15 µs</td><td class="n">10 µs</td><td class="n">1.50x</td>',
    )
    const threads = html.slice(html.indexOf('<table class="threads">'))
    expect(threads.slice(0, threads.indexOf('</table>'))).toContain(
      '<td>netlab TCP_WORKERS=1</td><td class="n">66,000 ops/s</td><td class="n">1.10x</td><td class="n">12 µs</td>',
    )
  })

  it('escapes every text from the result', () => {
    expect(html).not.toContain('<SimpleXMLRPCServer>')
    expect(html).not.toContain('<model>')
    expect(html).not.toContain('<x>')
    expect(html).toContain('python &lt;SimpleXMLRPCServer&gt; &amp; co')
    expect(html).toContain('XML-RPC add &lt;x&gt; &amp; &quot;y&quot;')
    expect(html).toContain('2 cores, Test CPU &lt;model&gt;')
    expect(html).toContain('&gt;= 10x Python &lt;Flask&gt; &amp; co')
  })

  it('records the machine and the commit', () => {
    expect(html).toContain('<tr><th>commit</th><td>c95f1d2 (with uncommitted changes)</td></tr>')
    expect(html).toContain('<tr><th>pinning</th><td>load generator on CPU 0, servers on CPU 1</td></tr>')
    expect(renderHtml({ ...result, pinning: null })).toContain(
      '<tr><th>pinning</th><td>none: the load generator and the servers share every CPU</td></tr>',
    )
    expect(html).toContain('<td>netlab-tcp:bench</td><td><code>sha256:0123abcd</code></td>')
  })

  it('marks a smoke run and a group that was not measured', () => {
    const smoke = renderHtml({
      ...result,
      smoke: true,
      measurements: result.measurements.filter((m) => m.group !== 'http'),
    })
    expect(smoke).toContain('<p class="smoke">Smoke run:')
    expect(smoke).toContain('<span class="na">1 not judged</span>')
    expect(smoke).toContain('<td class="na">not judged</td>')
    expect(smoke).toContain('<h2 id="g-http">HTTP</h2><p class="na">not measured in this run</p>')
    expect(html).not.toContain('class="smoke"')
  })
})

describe('format', () => {
  it('escapes the five HTML specials', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
  })

  it('formats latencies, ratios and changes', () => {
    expect([0.5, 26, 1234.5, 2_500_000].map(fmtUs)).toEqual(['0.5 µs', '26 µs', '1.23 ms', '2.5 s'])
    expect([fmtRatio(1.234), fmtRatio(null)]).toEqual(['1.23x', 'n/a'])
    expect([fmtPct(0.1234), fmtPct(-0.04), fmtPct(Number.POSITIVE_INFINITY)]).toEqual([
      '+12.3%',
      '-4.0%',
      '+inf%',
    ])
  })
})
