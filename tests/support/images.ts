/** The images `make images` builds and the tests run: the same ones `make up` starts. */
const tag = process.env.NETLAB_TAG || 'dev'

export const images = {
  tcp: `netlab-tcp:${tag}`,
  udp: `netlab-udp:${tag}`,
  http: `netlab-http:${tag}`,
  rpc: `netlab-rpc:${tag}`,
  faults: `netlab-faults:${tag}`,
  dashboard: `netlab-dashboard:${tag}`,
  client: `netlab-client:${tag}`,
} as const

export type ServiceName = Exclude<keyof typeof images, 'client'>

/**
 * Every container the tests start carries this label; global teardown sweeps by it. Its value
 * is the image tag, so test runs of different tags (NETLAB_TAG) never sweep each other's.
 */
export const testLabel = { 'netlab.test': tag } as const
