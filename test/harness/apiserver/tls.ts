/**
 * Throwaway TLS material for the harness: a CA and a server certificate it signs, made with the `openssl` CLI (Node
 * can make keys but not certificates, and a dependency for test-only certificates is not worth it).
 */
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {isIP} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface TestCertificates {
  /** PEM of the CA that signed `cert` (what a client trusts: certificate-authority-data, ca.crt). */
  ca: string
  cert: string
  key: string
}

export interface CertificateOptions {
  /** Subject alternative names: IP addresses and DNS names the server is reached by (default 127.0.0.1, ::1, localhost). */
  hosts?: string[]
  /** CA common name; two calls with the same name still give CAs that do not trust each other (fresh keys). */
  caName?: string
}

/** Whether the `openssl` CLI is on PATH. */
export function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

const openssl = (dir: string, args: string[]): void => {
  try {
    execFileSync('openssl', args, {cwd: dir, stdio: ['ignore', 'ignore', 'pipe']})
  } catch (e) {
    const err = e as {code?: string; stderr?: Buffer}
    if (err.code === 'ENOENT') throw new Error('openssl is not installed: apt-get install openssl (scripts/setup does it as root)')
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString().trim() || (e as Error).message}`)
  }
}

/**
 * A fresh CA (P-256, valid for a day) and a server certificate for `hosts`. Kubernetes clients (Go's crypto/tls)
 * ignore the common name, so every name the server is dialled by must be a SAN.
 */
export function makeCertificates(o: CertificateOptions = {}): TestCertificates {
  const hosts = o.hosts ?? ['127.0.0.1', '::1', 'localhost']
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-tls-'))
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
    openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', `/CN=${o.caName ?? 'lbctl-harness-ca'}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
    openssl(dir, ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=lbctl-harness'])
    const san = hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',')
    writeFileSync(join(dir, 'ext.cnf'), [
      `subjectAltName=${san}`, 'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', '',
    ].join('\n'))
    const bytes = randomBytes(8)
    bytes[0] &= 0x7f // a positive serial (RFC 5280 §4.1.2.2)
    const serial = `0x${bytes.toString('hex')}`
    openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', serial, '-days', '1', '-extfile', 'ext.cnf', '-out', 'server.crt'])
    const read = (f: string) => readFileSync(join(dir, f), 'utf8')
    return {ca: read('ca.crt'), cert: read('server.crt'), key: read('server.key')}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
