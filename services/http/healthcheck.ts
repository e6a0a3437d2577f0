/**
 * The container health check: a real request (`GET /health` → 200 {"status":"ok"}) on
 * the loopback port, within 2 s. Exit 0 when healthy, 1 otherwise.
 */
import { get } from 'node:http'

const port = Number(process.env.HTTP_PORT || 8080)
const req = get({ host: '127.0.0.1', port, path: '/health', timeout: 2000 }, (res) => {
  let body = ''
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => {
    body += chunk
  })
  res.on('end', () => {
    process.exitCode = res.statusCode === 200 && body === '{"status":"ok"}' ? 0 : 1
  })
})
req.on('timeout', () => req.destroy(new Error('timed out')))
req.on('error', () => {
  process.exitCode = 1
})
