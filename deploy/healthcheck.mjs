#!/usr/bin/env node
/**
 * The container's HEALTHCHECK (Dockerfile): exits 0 when Seduta on this machine answers
 * GET /api/health with 200, else 1 (503 = degraded: the database does not answer, a mediasoup
 * worker is missing, the recordings disk is nearly full). Reads the server's own PORT and HOST;
 * speaks HTTPS when TLS_CERT_FILE is set, without checking the certificate, which names the public
 * host rather than the loopback address asked here. Plain node, no dependencies.
 */
import http from 'node:http';
import https from 'node:https';

const env = (name) => (process.env[name]?.trim() ? process.env[name].trim() : undefined);
const port = Number(env('PORT') ?? 8080);
const listen = env('HOST') ?? '0.0.0.0';
const host = listen === '0.0.0.0' ? '127.0.0.1' : listen === '::' ? '::1' : listen;
const client = env('TLS_CERT_FILE') === undefined ? http : https;

const request = client.get(
  { host, port, path: '/api/health', timeout: 4000, rejectUnauthorized: false },
  (res) => {
    let body = '';
    res.setEncoding('utf8').on('data', (chunk) => (body += chunk));
    res.on('end', () => {
      if (res.statusCode !== 200) process.stderr.write(`health: ${res.statusCode} ${body}\n`);
      process.exit(res.statusCode === 200 ? 0 : 1);
    });
  },
);
request.on('timeout', () => request.destroy(new Error('no answer within 4 s')));
request.on('error', (err) => {
  process.stderr.write(`health: ${err.message}\n`);
  process.exit(1);
});
