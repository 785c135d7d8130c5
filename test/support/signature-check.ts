// A proxy that checks AWS Signature V4 like real DynamoDB does, in front of DynamoDB Local or
// dynalite (neither checks the secret). Lets tests prove which secret a client signed with.
import { createHash, createHmac } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SignatureCheckingProxy {
  url: string;
  /** Requests refused for a bad signature or unknown key. */
  refused: number;
  /** Requests forwarded after a good signature. */
  accepted: number;
  stop(): Promise<void>;
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** The signature the request should carry if signed with `secret` (SigV4, as the SDK signs). */
function expectedSignature(req: http.IncomingMessage, body: Buffer, secret: string, signedHeaders: string[], scope: string[]): string {
  const [date, region, service] = scope.slice(1);
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${String(req.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const [path, query = ''] = (req.url ?? '/').split('?');
  const canonicalRequest = [req.method, path, query, canonicalHeaders, signedHeaders.join(';'), sha256(body)].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', String(req.headers['x-amz-date']), scope.slice(1).join('/'), sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  return hmac(key, stringToSign).toString('hex');
}

/** `secrets` maps access key IDs to the secret each must be signed with. */
export async function startSignatureCheckingProxy(targetUrl: string, secrets: Record<string, string>): Promise<SignatureCheckingProxy> {
  const target = new URL(targetUrl);
  const proxy: SignatureCheckingProxy = { url: '', refused: 0, accepted: 0, stop: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const auth = String(req.headers.authorization ?? '');
      const m = /Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)/.exec(auth);
      const scope = m ? m[1].split('/') : [];
      const secret = m ? secrets[scope[0]] : undefined;
      if (!m || secret === undefined || expectedSignature(req, body, secret, m[2].split(';'), scope) !== m[3]) {
        proxy.refused++;
        const type = m && secret === undefined ? 'UnrecognizedClientException' : 'InvalidSignatureException';
        const message =
          type === 'UnrecognizedClientException'
            ? 'The security token included in the request is invalid.'
            : 'The request signature we calculated does not match the signature you provided.';
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'signature-check' });
        res.end(JSON.stringify({ __type: `com.amazon.coral.service#${type}`, message }));
        return;
      }
      proxy.accepted++;
      const forward = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return proxy;
}
