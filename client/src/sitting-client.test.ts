/**
 * SittingClient against a scripted signalling server (socket.io on 127.0.0.1) and
 * mediasoup-client's FakeHandler: the protocol flow and the reactions to notifications, without
 * a browser. The real server and real browsers are covered by test/e2e/live-sitting.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Device, FakeHandler, testFakeParameters } from 'mediasoup-client';
import { Server, type Socket } from 'socket.io';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  EVENTS,
  PING_INTERVAL_MS,
  type JoinResult,
  type Notification,
  type ProducerInfo,
  type Reply,
  type Request,
  type SittingInfo,
} from '@seduta/server/protocol';
import { SignallingError } from './signalling';
import { SittingClient } from './sitting-client';

const sitting = (status: SittingInfo['status']): SittingInfo => ({
  id: 'sitting-1',
  title: 'Apertura buste',
  kind: 'public',
  status,
  scheduledAt: null,
  startedAt: null,
  endedAt: null,
});

const NONE = { audio: false, video: false };
const ALL = { audio: true, video: true };

const cameraProducer: ProducerInfo = {
  producerId: 'producer-camera',
  participantId: 'host-1',
  kind: 'video',
  source: 'camera',
  paused: false,
};

/** A signalling server that answers every request from a script and records them. */
class ScriptedServer {
  readonly requests: Request[] = [];
  readonly sockets: Socket[] = [];
  status: SittingInfo['status'] = 'live';
  producers: ProducerInfo[] = [cameraProducer];
  failures = new Map<Request['type'], { code: string; message: string }>();
  /** Whether a `join { resume }` gets the same participant back (the server still holds it). */
  holds = true;
  chat: { id: string; text: string }[] = [];
  /** TURN relays and policy each join reply carries (fresh credentials at each join). */
  ice: Pick<JoinResult, 'iceServers' | 'iceTransportPolicy'> = { iceServers: [], iceTransportPolicy: 'all' };
  /** Answers `media.prepare` and `join { receive }` as a server with the fast join does. */
  fastJoin = false;
  /** Gives the router's capabilities with the state a connection is told first (ADR 0040). */
  capsInState = false;
  #joins = 0;
  #http = http.createServer();
  // Pings as often as the real server does (PING_INTERVAL_MS), or the client calls it silent.
  #io = new Server(this.#http, { pingInterval: PING_INTERVAL_MS });
  #consumers = 0;

  async start(): Promise<string> {
    this.#io.on('connection', (socket) => {
      this.sockets.push(socket);
      socket.emit(EVENTS.notification, {
        type: 'sitting.state',
        sitting: sitting(this.status),
        ...(this.capsInState
          ? { routerRtpCapabilities: testFakeParameters.generateRouterRtpCapabilities() }
          : {}),
      });
      socket.on(EVENTS.request, (msg: Request, ack: (reply: Reply<unknown>) => void) => {
        this.requests.push(msg);
        const failure = this.failures.get(msg.type);
        ack(failure ? { ok: false, error: failure as never } : { ok: true, data: this.#answer(msg) });
      });
    });
    await new Promise<void>((resolve) => this.#http.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#http.address() as AddressInfo).port}`;
  }

  notify(note: Notification): void {
    this.#io.emit(EVENTS.notification, note);
  }

  types(): string[] {
    return this.requests.map((r) => (r.type === 'transport.create' ? `${r.type}:${r.direction}` : r.type));
  }

  async close(): Promise<void> {
    await this.#io.close();
  }

  #answer(msg: Request): unknown {
    switch (msg.type) {
      case 'join': {
        const resumed = this.holds && msg.resume === 'operator-1';
        const join = ++this.#joins;
        return {
          iceServers: this.ice.iceServers.map((server) => ({ ...server, username: `${join}:operator-1` })),
          iceTransportPolicy: this.ice.iceTransportPolicy,
          participantId: 'operator-1',
          role: 'operator',
          sitting: sitting(this.status),
          routerRtpCapabilities: testFakeParameters.generateRouterRtpCapabilities(),
          participants: [
            { id: 'host-1', name: 'Ente', role: 'host', hand: 'none', grants: ALL, mutedByHost: false },
            {
              id: 'operator-1',
              name: 'Mario Rossi',
              role: 'operator',
              hand: 'none',
              grants: NONE,
              mutedByHost: false,
            },
          ],
          producers: this.producers,
          chat: this.chat.map((line) => ({
            id: line.id,
            participantId: 'host-1',
            name: 'Ente',
            role: 'host',
            text: line.text,
            at: '2026-12-05T10:00:00.000Z',
          })),
          hands: [],
          hand: 'none',
          grants: NONE,
          recording: { state: 'off', degraded: false },
          resumed,
          mediaKept: resumed && msg.keepMedia === true,
          ...(this.fastJoin && msg.receive && !(resumed && msg.keepMedia === true)
            ? {
                receive: {
                  transport: this.#transport(),
                  connected: msg.receive.dtlsParameters !== undefined,
                  consumers: this.producers.map((p) => this.#consumer(p)),
                },
              }
            : {}),
        };
      }
      case 'media.prepare':
        return this.fastJoin
          ? { routerRtpCapabilities: testFakeParameters.generateRouterRtpCapabilities() }
          : {};
      case 'transport.create':
        return this.#transport();
      case 'consume':
        return this.#consumer(this.producers.find((p) => p.producerId === msg.producerId)!);
      default:
        return {};
    }
  }

  #transport() {
    const t = testFakeParameters.generateTransportRemoteParameters();
    return {
      transportId: t.id,
      iceParameters: t.iceParameters,
      iceCandidates: t.iceCandidates,
      dtlsParameters: t.dtlsParameters,
    };
  }

  #consumer(producer: ProducerInfo) {
    const c = testFakeParameters.generateConsumerRemoteParameters({
      id: `consumer-${++this.#consumers}`,
      codecMimeType: producer.kind === 'video' ? 'video/VP8' : 'audio/opus',
    });
    return {
      consumerId: c.id,
      producerId: producer.producerId,
      participantId: producer.participantId,
      kind: producer.kind,
      source: producer.source,
      rtpParameters: c.rtpParameters,
      type: producer.kind === 'video' ? 'simulcast' : 'simple',
      producerPaused: producer.paused,
    };
  }
}

const fakeDevice = async (): Promise<Device> =>
  new Device({
    handlerFactory: FakeHandler.createFactory({
      generateNativeRtpCapabilities: testFakeParameters.generateNativeRtpCapabilities,
      generateNativeSctpCapabilities: testFakeParameters.generateNativeSctpCapabilities,
      generateLocalDtlsParameters: testFakeParameters.generateLocalDtlsParameters,
    }),
  });

describe('SittingClient', () => {
  let server: ScriptedServer;
  let url: string;
  let client: SittingClient;

  beforeEach(async () => {
    server = new ScriptedServer();
    url = await server.start();
  });

  afterEach(async () => {
    client?.close();
    await server.close();
  });

  const connect = async (status: SittingInfo['status'] = 'live') => {
    server.status = status;
    client = new SittingClient({
      sittingId: 'sitting-1',
      name: 'Mario Rossi',
      url,
      createDevice: fakeDevice,
    });
    client.connect();
    await vi.waitFor(() => expect(client.sitting?.status).toBe(status));
  };

  it("learns the sitting's state on connect and follows every change without joining", async () => {
    await connect('scheduled');
    const seen: string[] = [];
    client.on('sitting', (s) => seen.push(s.status));

    server.notify({ type: 'sitting.state', sitting: sitting('live') });

    await vi.waitFor(() => expect(client.sitting?.status).toBe('live'));
    expect(seen).toEqual(['live']);
    expect(client.phase).toBe('idle');
  });

  it("joins the long way when the server prepares nothing: loads the device, opens a receive transport, consumes the host's producers and resumes them", async () => {
    await connect();

    await client.join();

    await vi.waitFor(() => expect(server.types()).toContain('consumer.resume'));
    expect(server.types()).toEqual([
      'media.prepare',
      'join',
      'media.capabilities',
      'transport.create:recv',
      'consume',
      'transport.connect',
      'consumer.resume',
    ]);
    expect(client.phase).toBe('joined');
    expect(client.role).toBe('operator');
    expect(client.participants.map((p) => p.name)).toEqual(['Ente', 'Mario Rossi']);
    expect(client.remote.map((m) => [m.source, m.kind])).toEqual([['camera', 'video']]);
  });

  it("loads the device before the click, then joins with one request: the reply's transport and consumers are wired, none resumed", async () => {
    server.fastJoin = true;
    const second: ProducerInfo = {
      ...cameraProducer,
      producerId: 'producer-mic',
      kind: 'audio',
      source: 'microphone',
    };
    server.producers.push(second);
    await connect();
    await vi.waitFor(() => expect(server.types()).toEqual(['media.prepare']));

    await client.join();

    await vi.waitFor(() => expect(client.remote).toHaveLength(2));
    // No DTLS identity without WebRTC (FakeHandler): the transport is connected by request.
    expect(server.types()).toEqual(['media.prepare', 'join', 'transport.connect']);
    const join = server.requests.find((r) => r.type === 'join');
    expect(join).toMatchObject({ receive: { rtpCapabilities: expect.any(Object) } });
    expect(client.remote.map((m) => [m.source, m.kind, m.consumerId])).toEqual([
      ['camera', 'video', 'consumer-1'],
      ['microphone', 'audio', 'consumer-2'],
    ]);
    expect(client.phase).toBe('joined');
  });

  it('takes the capabilities given with the first state: no media.prepare, and the join is the one request', async () => {
    server.fastJoin = true;
    server.capsInState = true;
    await connect();
    // The device is loaded from the state's capabilities (the join below offers its receive side).
    await vi.waitFor(() => expect(client.phase).toBe('idle'));

    await client.join();

    await vi.waitFor(() => expect(client.remote).toHaveLength(1));
    expect(server.types()).toEqual(['join', 'transport.connect']);
    const join = server.requests.find((r) => r.type === 'join');
    expect(join).toMatchObject({ receive: { rtpCapabilities: expect.any(Object) } });
    expect(client.phase).toBe('joined');
  });

  it('resumed where it is not held (its node died), gets the receive side from the join reply at once', async () => {
    server.fastJoin = true;
    await connect();
    await vi.waitFor(() => expect(server.types()).toEqual(['media.prepare']));
    await client.join();
    await vi.waitFor(() => expect(client.remote).toHaveLength(1));
    const before = client.remote[0]!.consumerId;

    server.holds = false;
    server.sockets.at(-1)!.conn.close();

    await vi.waitFor(() => expect(server.types().filter((t) => t === 'join')).toHaveLength(2), {
      timeout: 5_000,
    });
    // It asked to keep its media, and offered the receive side in case the server could not.
    expect(server.requests.filter((r) => r.type === 'join').at(-1)).toMatchObject({
      resume: 'operator-1',
      keepMedia: true,
      receive: { rtpCapabilities: expect.any(Object) },
    });
    await vi.waitFor(() => expect(client.remote.map((m) => m.consumerId)).not.toEqual([before]));
    expect(client.remote).toHaveLength(1);
    expect(client.reconnecting).toBe(false);
    // No transport.create: the new receive transport came with the join's reply.
    expect(server.types().filter((t) => t.startsWith('transport.create'))).toEqual([]);
  });

  it("makes its transports with the join reply's TURN relays and ICE transport policy", async () => {
    server.ice = {
      iceServers: [{ urls: ['turns:turn.ente.it:443?transport=tcp'], credential: 'c2VncmV0bw==' }],
      iceTransportPolicy: 'relay',
    };
    const devices: Device[] = [];
    const spied = async (): Promise<Device> => {
      const device = await fakeDevice();
      vi.spyOn(device, 'createRecvTransport');
      devices.push(device);
      return device;
    };
    client = new SittingClient({ sittingId: 'sitting-1', name: 'Mario Rossi', url, createDevice: spied });
    client.connect();
    await vi.waitFor(() => expect(client.sitting?.status).toBe('live'));

    await client.join();

    expect(vi.mocked(devices[0]!.createRecvTransport).mock.calls[0]?.[0]).toMatchObject({
      iceServers: [
        {
          urls: ['turns:turn.ente.it:443?transport=tcp'],
          username: '1:operator-1',
          credential: 'c2VncmV0bw==',
        },
      ],
      iceTransportPolicy: 'relay',
    });
  });

  it("gives the kept transports a resume's fresh TURN credentials", async () => {
    server.ice = {
      iceServers: [{ urls: ['turn:turn.ente.it:3478'], credential: 'x' }],
      iceTransportPolicy: 'all',
    };
    const updates: unknown[] = [];
    const spied = async (): Promise<Device> => {
      const device = await fakeDevice();
      const create = device.createRecvTransport.bind(device);
      vi.spyOn(device, 'createRecvTransport').mockImplementation((options) => {
        const transport = create(options);
        const update = transport.updateIceServers.bind(transport);
        vi.spyOn(transport, 'updateIceServers').mockImplementation(async (arg) => {
          updates.push(arg);
          return update(arg);
        });
        return transport;
      });
      return device;
    };
    client = new SittingClient({ sittingId: 'sitting-1', name: 'Mario Rossi', url, createDevice: spied });
    client.connect();
    await vi.waitFor(() => expect(client.sitting?.status).toBe('live'));
    await client.join();
    await vi.waitFor(() => expect(client.remote).toHaveLength(1));

    server.sockets.at(-1)!.conn.close();

    await vi.waitFor(() => expect(updates).toHaveLength(1), { timeout: 5_000 });
    expect(updates[0]).toEqual({
      iceServers: [{ urls: ['turn:turn.ente.it:3478'], username: '2:operator-1', credential: 'x' }],
    });
    expect(server.types().filter((t) => t.startsWith('transport.create'))).toHaveLength(1);
  });

  it('consumes a producer announced later, and drops it when it closes', async () => {
    await connect();
    await client.join();
    await vi.waitFor(() => expect(client.remote).toHaveLength(1));

    const screen: ProducerInfo = { ...cameraProducer, producerId: 'producer-screen', source: 'screen' };
    server.producers.push(screen);
    server.notify({ type: 'producer.new', producer: screen });
    await vi.waitFor(() => expect(client.remote.map((m) => m.source).sort()).toEqual(['camera', 'screen']));

    server.notify({ type: 'producer.closed', producerId: 'producer-camera' });
    await vi.waitFor(() => expect(client.remote.map((m) => m.source)).toEqual(['screen']));
  });

  it('closes all media and goes back to the details page state when the sitting ends', async () => {
    await connect();
    await client.join();
    await vi.waitFor(() => expect(client.remote).toHaveLength(1));

    server.notify({ type: 'sitting.ended', sitting: sitting('ended') });

    await vi.waitFor(() => expect(client.sitting?.status).toBe('ended'));
    expect(client.phase).toBe('idle');
    expect(client.remote).toEqual([]);
    expect(client.participants).toEqual([]);
  });

  it('comes back by itself after a dropped connection: same participant, transports kept, the chat sent meanwhile once', async () => {
    await connect();
    await client.join();
    await vi.waitFor(() => expect(client.remote).toHaveLength(1));
    const consumer = client.remote[0]!.consumerId;
    const states: boolean[] = [];
    client.on('connection', () => states.push(client.reconnecting));

    server.chat.push({ id: 'line-1', text: 'Si procede con la busta n. 3' });
    server.sockets.at(-1)!.conn.close(); // a network drop: no DISCONNECT packet

    await vi.waitFor(() => expect(server.types().filter((t) => t === 'join')).toHaveLength(2), {
      timeout: 5_000,
    });
    const resume = server.requests.filter((r) => r.type === 'join').at(-1);
    expect(resume).toMatchObject({ resume: 'operator-1', keepMedia: true });
    await vi.waitFor(() => expect(client.reconnecting).toBe(false));
    expect(states).toContain(true);
    expect(client.phase).toBe('joined');
    expect(server.types().filter((t) => t.startsWith('transport.create'))).toHaveLength(1);
    expect(client.remote.map((m) => m.consumerId)).toEqual([consumer]);
    expect(client.chat.map((m) => m.text)).toEqual(['Si procede con la busta n. 3']);
  });

  it.each(['replaced', 'account_disabled', 'invite_revoked', 'kicked'] as const)(
    'stops for good when the server closes the connection (%s): media closed, the reason kept, no resume',
    async (reason) => {
      await connect();
      await client.join();
      await vi.waitFor(() => expect(client.remote).toHaveLength(1));

      const socket = server.sockets.at(-1)!;
      socket.emit(EVENTS.notification, { type: 'removed', reason });
      socket.disconnect();

      await vi.waitFor(() => expect(client.phase).toBe('removed'));
      expect(client.removedReason).toBe(reason);
      expect(client.remote).toEqual([]);
      await vi.waitFor(() => expect(client.connection).toBe('closed'));
      // socket.io would have reconnected within 0.5–2 s, and the client resumed.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(server.sockets).toHaveLength(1);
      expect(server.types().filter((t) => t === 'join')).toHaveLength(1);
    },
  );

  it('keeps trying to resume while the server says the database is out of reach, then gets back in with no click', async () => {
    await connect();
    await client.join();
    await vi.waitFor(() => expect(client.remote).toHaveLength(1));
    server.failures.set('join', { code: 'unavailable', message: 'the database is out of reach' });
    server.sockets.at(-1)!.conn.close();
    // More refusals than the 8 tries other failures get (about 15 s of an outage).
    await vi.waitFor(
      () => expect(server.types().filter((t) => t === 'join').length).toBeGreaterThanOrEqual(10),
      {
        timeout: 20_000,
        interval: 100,
      },
    );
    expect(client.phase).toBe('joined');
    expect(client.reconnecting).toBe(true);
    server.failures.delete('join');
    await vi.waitFor(() => expect(client.reconnecting).toBe(false), { timeout: 5_000, interval: 50 });
    expect(client.phase).toBe('joined');
    expect(client.remote).toHaveLength(1);
  }, 30_000);

  it('rebuilds its media when the server no longer holds it (resume refused: an ordinary join)', async () => {
    await connect();
    await client.join();
    await vi.waitFor(() => expect(client.remote).toHaveLength(1));
    server.holds = false;
    server.sockets.at(-1)!.conn.close();
    await vi.waitFor(
      () => expect(server.types().filter((t) => t === 'transport.create:recv')).toHaveLength(2),
      {
        timeout: 5_000,
      },
    );
    await vi.waitFor(() => expect(client.remote).toHaveLength(1));
    expect(client.phase).toBe('joined');
    expect(client.reconnecting).toBe(false);
  });

  it('joins again with new transports when the server resets the media', async () => {
    await connect();
    await client.join();
    await vi.waitFor(() => expect(client.remote).toHaveLength(1));
    const before = client.remote[0]!.consumerId;

    server.notify({ type: 'media.reset' });

    await vi.waitFor(() => expect(server.types().filter((t) => t === 'join')).toHaveLength(2));
    // The same participant, with new transports (the old ones died with the worker).
    expect(server.requests.filter((r) => r.type === 'join').at(-1)).toMatchObject({
      resume: 'operator-1',
      keepMedia: false,
    });
    await vi.waitFor(() => expect(client.remote.map((m) => m.consumerId)).not.toEqual([before]));
    expect(client.phase).toBe('joined');
    expect(client.remote).toHaveLength(1);
  });

  it("rejects a refused request with a SignallingError carrying the server's code", async () => {
    await connect('scheduled');
    server.failures.set('join', { code: 'invalid_state', message: 'the sitting is scheduled' });

    const error = await client.join().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SignallingError);
    expect(error).toMatchObject({ code: 'invalid_state', message: 'the sitting is scheduled' });
    expect(client.phase).toBe('idle');
  });

  it('measures join → first frame once per join and reports it to the server', async () => {
    await connect();
    await client.join();

    client.reportFirstFrame();
    client.reportFirstFrame();

    await vi.waitFor(() => expect(server.types()).toContain('stats.report'));
    expect(server.types().filter((t) => t === 'stats.report')).toHaveLength(1);
    expect(client.metrics.joinToFirstFrameMs).toBeGreaterThanOrEqual(0);
  });

  it('asks for the recording notice from the moment the recording is starting', async () => {
    await connect();
    expect(client.recordingNoticeRequired).toBe(false);

    server.notify({ type: 'recording.state', recording: { state: 'starting', degraded: false } });

    await vi.waitFor(() => expect(client.recording.state).toBe('starting'));
    expect(client.recordingNoticeRequired).toBe(true);
    client.acknowledgeRecordingNotice();
    expect(client.recordingNoticeRequired).toBe(false);
  });

  it('passes on a change of the gaps even when the state stays the same, and nothing twice', async () => {
    await connect();
    await client.join();
    const seen: number[] = [];
    client.on('recording', (r) => seen.push(r.gaps?.length ?? 0));
    const gap = {
      participantName: 'Costruzioni Bianchi S.p.A.',
      source: 'camera' as const,
      since: new Date().toISOString(),
    };

    server.notify({ type: 'recording.state', recording: { state: 'recording', degraded: false, gaps: [] } });
    server.notify({
      type: 'recording.state',
      recording: { state: 'recording', degraded: true, gaps: [gap] },
    });
    server.notify({
      type: 'recording.state',
      recording: { state: 'recording', degraded: true, gaps: [gap] },
    });
    server.notify({ type: 'recording.state', recording: { state: 'recording', degraded: true, gaps: [] } });

    await vi.waitFor(() => expect(seen).toEqual([0, 1, 0]));
    expect(client.recording).toEqual({ state: 'recording', degraded: true, gaps: [] });
  });
});
