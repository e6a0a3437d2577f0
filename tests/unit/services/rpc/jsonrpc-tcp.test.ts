/** JSON-RPC over TCP after a half-close: `echo '{...}' | nc -N host 15001` gets its answer. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../../../lib/log.ts'
import { loadRpcConfig } from '../../../../services/rpc/config.ts'
import { startRpcService } from '../../../../services/rpc/server.ts'
import { sendAndHalfClose } from '../../../support/half-close.ts'

describe('JSON-RPC over TCP after a half-close', () => {
  // Found with tests/unit/fuzz/cmd-connection.fuzz.test.ts's counterexample: a durable `set`
  // (answered after the store's group commit) sent with a FIN was applied but never acknowledged.
  it('answers the lines sent before the FIN, durable writes included, then closes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netlab-rpc-'))
    const config = loadRpcConfig({
      RPC_MODE: 'development',
      RPC_DATA_DIR: dir,
      RPC_HOST: '127.0.0.1',
      RPC_HTTP_PORT: '0',
      RPC_JSONRPC_PORT: '0',
      RPC_MPCONN_ECHO_PORT: '0',
      RPC_MPCONN_RPC_PORT: '0',
    })
    const svc = await startRpcService(config, createLogger('rpc', 'silent'))
    try {
      const lines = [
        '{"jsonrpc":"2.0","method":"set","params":["k",3],"id":1}',
        '{"jsonrpc":"2.0","method":"get","params":["k"],"id":2}',
      ]
      expect(await sendAndHalfClose(svc.ports.jsonrpc, `${lines.join('\n')}\n`)).toBe(
        '{"jsonrpc":"2.0","result":null,"id":1}\n{"jsonrpc":"2.0","result":3,"id":2}\n',
      )
    } finally {
      await svc.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
