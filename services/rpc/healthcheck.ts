/**
 * The container health check: a real JSON-RPC call (`echo("ok")`) over HTTP on the
 * loopback port, within 2 s. Exit 0 when healthy, 1 otherwise.
 */
import { request } from 'node:http'

const port = Number(process.env.RPC_HTTP_PORT || 15000)
const body = '{"jsonrpc":"2.0","method":"echo","params":["ok"],"id":1}'
const req = request(
  {
    host: '127.0.0.1',
    port,
    path: '/jsonrpc',
    method: 'POST',
    timeout: 2000,
    headers: { 'content-type': 'application/json' },
  },
  (res) => {
    let text = ''
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      text += chunk
    })
    res.on('end', () => {
      process.exitCode = res.statusCode === 200 && text === '{"jsonrpc":"2.0","result":"ok","id":1}' ? 0 : 1
    })
  },
)
req.on('timeout', () => req.destroy(new Error('timed out')))
req.on('error', () => {
  process.exitCode = 1
})
req.end(body)
