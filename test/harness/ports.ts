// A TCP port free on loopback right now, for a server a test starts (a registry, a daemon's listener).
import {createServer} from 'node:net'

export const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const s = createServer()
  s.once('error', reject)
  s.listen(0, '127.0.0.1', () => {
    const {port} = s.address() as {port: number}
    s.close(() => resolve(port))
  })
})
