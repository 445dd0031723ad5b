// The diagnostics endpoint's TLS material: given files (a cert-manager Secret, say), or a self-signed certificate made
// at start with the `openssl` CLI (Node makes keys but not certificates). Callers authenticate with their Kubernetes
// token; the certificate only encrypts, so clients pin it or skip verification, as with kubelet's self-signed one.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {isIP} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {missing} from '../../lib/errors.js'

export function loadOrMakeCertificate(o: {certFile?: string; keyFile?: string; hosts: string[]; node: string}): {key: string; cert: string} {
  if (o.certFile && o.keyFile) return {cert: readFileSync(o.certFile, 'utf8'), key: readFileSync(o.keyFile, 'utf8')}
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-speaker-tls-'))
  try {
    const san = [...new Set(o.hosts)].map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '825',
      '-subj', `/CN=lbctl-speaker ${o.node}`, ...(san ? ['-addext', `subjectAltName=${san}`] : []), '-keyout', 'key.pem', '-out', 'cert.pem'],
    {cwd: dir, stdio: ['ignore', 'ignore', 'pipe']})
    return {cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8')}
  } catch (e) {
    throw missing('DIAGNOSTICS_TLS', `cannot make the diagnostics endpoint's certificate: ${(e as Error).message.split('\n')[0]}`,
      'Install openssl, or pass --diagnostics-cert-file and --diagnostics-key-file, or --diagnostics=false.')
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
