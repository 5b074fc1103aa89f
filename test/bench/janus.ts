/**
 * Janus (Debian package) as the peer SFU: a VideoRoom remote publisher fed by the same FFmpeg loop,
 * and N `rtp_forward`ers (SRTP AES_CM_128_HMAC_SHA1_80, Janus's only SRTP suite for forwarders) to
 * the same sink. Janus runs from a config generated in a temp dir, HTTP API on 127.0.0.1 only.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pinnedCommand } from './cpu';
import { measureWindow } from './measure';
import type { Measurement, Suite } from './measure';
import type { RepTiming } from './fanout';
import { startPublisher } from './publisher';
import type { Sink } from './sink';

const JANUS = process.env.JANUS_PATH ?? '/usr/bin/janus';
const JANUS_LIB = '/usr/lib/x86_64-linux-gnu/janus';
/** rtp_forward requests in flight at once while forwarders are set up. */
const SETUP_CONCURRENCY = 20;

/** A running Janus with one HTTP API session attached to the VideoRoom plugin. */
export interface Janus {
  readonly pid: number;
  readonly version: string;
  /** Sends a VideoRoom request and returns the plugin's reply data (throws on a VideoRoom error). */
  videoroom(body: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Why Janus cannot run here, or undefined when it can. */
export function janusUnavailable(): string | undefined {
  if (!existsSync(JANUS)) return `${JANUS} not found (Debian package 'janus' is not installed)`;
  if (!existsSync(path.join(JANUS_LIB, 'plugins', 'libjanus_videoroom.so')))
    return 'Janus VideoRoom plugin not found';
  return undefined;
}

/** Starts Janus pinned to `cpu`, with only the HTTP transport (127.0.0.1) and the VideoRoom plugin. */
export async function startJanus(cpu?: number): Promise<Janus> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'seduta-bench-janus-'));
  const port = await freeTcpPort();
  const others = (kind: string, keep: string) =>
    readdirSync(path.join(JANUS_LIB, kind))
      .filter((f) => f.endsWith('.so') && f !== keep)
      .join(',');
  await writeFile(
    path.join(dir, 'janus.jcfg'),
    `general: {
  configs_folder = "${dir}"
  plugins_folder = "${JANUS_LIB}/plugins"
  transports_folder = "${JANUS_LIB}/transports"
  events_folder = "${JANUS_LIB}/events"
  loggers_folder = "${JANUS_LIB}/loggers"
  debug_level = 3
  session_timeout = 0
  server_name = "seduta-bench"
}
media: {
  rtp_port_range = "47000-47999"
}
nat: {
  ice_enforce_list = "lo"
  ignore_mdns = true
}
plugins: {
  disable = "${others('plugins', 'libjanus_videoroom.so')}"
}
transports: {
  disable = "${others('transports', 'libjanus_http.so')}"
}
events: {
  broadcast = false
  disable = "${others('events', '')}"
}
loggers: {
  disable = "${others('loggers', '')}"
}
`,
  );
  await writeFile(
    path.join(dir, 'janus.transport.http.jcfg'),
    `general: {
  json = "compact"
  base_path = "/janus"
  http = true
  port = ${port}
  ip = "127.0.0.1"
  https = false
}
admin: {
  admin_http = false
  admin_https = false
}
`,
  );
  await writeFile(path.join(dir, 'janus.plugin.videoroom.jcfg'), 'general: {\n}\n');
  const [command, args] = pinnedCommand(cpu, JANUS, [
    '-C',
    path.join(dir, 'janus.jcfg'),
    '-F',
    dir,
    '-o',
    '-N',
  ]);
  const child: ChildProcess = spawn(command, args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const base = `http://127.0.0.1:${port}/janus`;
    const post = async (url: string, body: Record<string, unknown>) => {
      const res = await fetch(url, {
        method: 'POST',
        body: JSON.stringify({ transaction: randomBytes(6).toString('hex'), ...body }),
      });
      return (await res.json()) as Record<string, unknown> & { data?: { id: number }; error?: unknown };
    };
    let info: Record<string, unknown> | undefined;
    for (let attempt = 0; attempt < 100 && !info; attempt++) {
      if (child.exitCode !== null) throw new Error(`janus exited with ${child.exitCode}`);
      try {
        const res = await fetch(`${base}/info`);
        info = (await res.json()) as Record<string, unknown>;
      } catch {
        await sleep(100);
      }
    }
    if (!info) throw new Error('janus HTTP API did not come up within 10 s');
    const session = (await post(base, { janus: 'create' })).data!.id;
    const handle = (await post(`${base}/${session}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' }))
      .data!.id;
    return {
      // The `janus` process is the one taskset exec'd into, so the child's pid is Janus's.
      pid: child.pid!,
      version: String(info.version_string ?? 'unknown'),
      async videoroom(body) {
        const reply = (await post(`${base}/${session}/${handle}`, { janus: 'message', body })) as {
          plugindata?: { data?: Record<string, unknown> };
          error?: unknown;
        };
        const data = reply.plugindata?.data;
        if (!data || data.error || reply.error)
          throw new Error(`janus ${String(body.request)}: ${JSON.stringify(reply)}`);
        return data;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** One repetition with Janus: room, remote publisher, `viewers` SRTP forwarders, measured, then destroyed. */
export async function janusRep(opts: {
  janus: Janus;
  sink: Sink;
  clip: string;
  viewers: number;
  suite: Extract<Suite, 'AES_CM_128_HMAC_SHA1_80' | 'none'>;
  timing: RepTiming;
  loadCpu?: number;
}): Promise<Measurement> {
  const { janus, sink, viewers } = opts;
  const room = 1000 + Math.floor(Math.random() * 1e6);
  await janus.videoroom({ request: 'create', room, publishers: 1, audiocodec: 'opus', videocodec: 'vp8' });
  try {
    const remote = await janus.videoroom({
      request: 'add_remote_publisher',
      room,
      display: 'publisher',
      iface: '127.0.0.1',
      streams: [
        { type: 'video', mindex: 0, mid: '0', codec: 'vp8' },
        { type: 'audio', mindex: 1, mid: '1', codec: 'opus', stereo: true },
      ],
    });
    const publisherId = remote.id as number;
    const forward = (i: number) =>
      janus.videoroom({
        request: 'rtp_forward',
        room,
        publisher_id: publisherId,
        host: '127.0.0.1',
        streams: [
          { mid: '0', port: sink.ports[i % sink.ports.length], ssrc: 100_000 + 2 * i },
          { mid: '1', port: sink.ports[i % sink.ports.length], ssrc: 100_001 + 2 * i },
        ],
        ...(opts.suite === 'none' ? {} : { srtp_suite: 80, srtp_crypto: randomBytes(30).toString('base64') }),
      });
    for (let i = 0; i < viewers; i += SETUP_CONCURRENCY) {
      const batch = [];
      for (let j = i; j < Math.min(i + SETUP_CONCURRENCY, viewers); j++) batch.push(forward(j));
      await Promise.all(batch);
    }
    const target = { port: remote.port as number, rtcpPort: remote.rtcp_port as number };
    const publisher = startPublisher({
      clip: opts.clip,
      video: target,
      audio: target,
      reference: { port: sink.ports[0]! },
      ...(opts.loadCpu === undefined ? {} : { cpu: opts.loadCpu }),
    });
    try {
      return await measureWindow({
        system: 'janus',
        suite: opts.suite,
        viewers,
        serverPids: [janus.pid],
        sink,
        inputPorts: [target.port, target.rtcpPort],
        ...opts.timing,
      });
    } finally {
      await publisher.close();
    }
  } finally {
    await janus.videoroom({ request: 'destroy', room });
  }
}

/** Version string of the installed Janus, without starting it. */
export function janusVersion(): string | undefined {
  const out = spawnSync(JANUS, ['--version'], { encoding: 'utf8' });
  return out.stdout?.match(/\(([\d.]+)\)/)?.[1];
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
