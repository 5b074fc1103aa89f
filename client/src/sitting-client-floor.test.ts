/**
 * SittingClient's raise hand → consent → speak flow, host moderation and chat, against a scripted
 * signalling server (socket.io on 127.0.0.1) and mediasoup-client's FakeHandler with fake tracks.
 * The real server and real browsers are covered by test/e2e/floor-chat.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeMediaStreamTrack } from 'fake-mediastreamtrack';
import { Device, FakeHandler, testFakeParameters } from 'mediasoup-client';
import { Server, type Socket } from 'socket.io';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CHAT_RATE_COUNT,
  EVENTS,
  type ChatMessage,
  type Grants,
  type HandEntry,
  type Notification,
  type ParticipantInfo,
  type Reply,
  type Request,
  type Role,
  type SittingInfo,
} from '@seduta/server/protocol';
import { ChatRateLimitedError } from './chat-log';
import type { SpeakerTracks } from './media/capture';
import { SignallingError } from './signalling';
import { SittingClient } from './sitting-client';

const SITTING: SittingInfo = {
  id: 'sitting-1',
  title: 'Apertura buste',
  kind: 'public',
  status: 'live',
  scheduledAt: null,
  startedAt: null,
  endedAt: null,
};
const NONE: Grants = { audio: false, video: false };
/** The TURN relay every join reply offers. */
const TURN = [
  { urls: ['turn:turn.ente.it:3478?transport=udp'], username: '1765000000:me', credential: 'c2VncmV0bw==' },
];
const person = (
  id: string,
  name: string,
  role: Role,
  extra: Partial<ParticipantInfo> = {},
): ParticipantInfo => ({
  id,
  name,
  role,
  hand: 'none',
  grants: role === 'operator' ? NONE : { audio: true, video: true },
  mutedByHost: false,
  ...extra,
});
const line = (id: string, text: string, name = 'Ditta A'): ChatMessage => ({
  id,
  participantId: 'operator-2',
  name,
  role: 'operator',
  text,
  at: new Date().toISOString(),
});

/** A signalling server playing the floor's part of the real one, recording every request. */
class FloorServer {
  readonly requests: Request[] = [];
  role: Role = 'operator';
  history: ChatMessage[] = [];
  hands: HandEntry[] = [];
  #socket: Socket | undefined;
  #http = http.createServer();
  #io = new Server(this.#http);
  #sent = 0;

  async start(): Promise<string> {
    this.#io.on('connection', (socket) => {
      this.#socket = socket;
      socket.emit(EVENTS.notification, { type: 'sitting.state', sitting: SITTING });
      socket.on(EVENTS.request, (msg: Request, ack: (reply: Reply<unknown>) => void) => {
        this.requests.push(msg);
        ack(this.#answer(msg));
      });
    });
    await new Promise<void>((resolve) => this.#http.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#http.address() as AddressInfo).port}`;
  }

  notify(note: Notification): void {
    this.#socket?.emit(EVENTS.notification, note);
  }

  types(): string[] {
    return this.requests.map((r) =>
      r.type === 'produce'
        ? `produce:${r.kind}`
        : r.type === 'transport.create'
          ? `transport.create:${r.direction}`
          : r.type,
    );
  }

  async close(): Promise<void> {
    await this.#io.close();
  }

  #answer(msg: Request): Reply<unknown> {
    const ok = (data: unknown = {}): Reply<unknown> => ({ ok: true, data });
    switch (msg.type) {
      case 'join':
        return ok({
          participantId: 'me',
          role: this.role,
          sitting: SITTING,
          routerRtpCapabilities: testFakeParameters.generateRouterRtpCapabilities(),
          participants: [person('host-1', 'Ente', 'host'), person('me', 'Mario Rossi', this.role)],
          producers: [],
          chat: this.history,
          hands: this.hands,
          hand: 'none',
          grants: NONE,
          recording: { state: 'off', degraded: false },
          resumed: false,
          mediaKept: false,
          iceServers: TURN,
          iceTransportPolicy: 'relay',
        });
      case 'transport.create': {
        const t = testFakeParameters.generateTransportRemoteParameters();
        return ok({
          transportId: t.id,
          iceParameters: t.iceParameters,
          iceCandidates: t.iceCandidates,
          dtlsParameters: t.dtlsParameters,
        });
      }
      case 'produce':
        return ok({ producerId: `producer-${msg.kind}` });
      case 'hand.raise':
        this.notify({ type: 'hand.state', hand: 'raised', grants: NONE });
        return ok();
      case 'floor.leave':
        this.notify({ type: 'hand.state', hand: 'none', grants: NONE });
        return ok();
      case 'hand.approveNext':
        return ok({ participantId: this.hands[0]?.participantId ?? null });
      case 'chat.send': {
        if (++this.#sent > CHAT_RATE_COUNT)
          return { ok: false, error: { code: 'rate_limited', message: 'too many messages: wait 9 s' } };
        const message = { ...line(`m-${this.#sent}`, msg.text, 'Mario Rossi'), participantId: 'me' };
        this.notify({ type: 'chat.message', message });
        return ok({ message });
      }
      default:
        return ok();
    }
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

/** Fake devices: records what was asked, hands out fake tracks (or fails like a refused prompt). */
function fakeCapture(options: { refuse?: boolean; before?: () => Promise<void> } = {}) {
  const asked: Grants[] = [];
  const tracks: MediaStreamTrack[] = [];
  const capture = async (grants: Grants): Promise<SpeakerTracks> => {
    asked.push(grants);
    await options.before?.();
    if (options.refuse) throw new Error('NotAllowedError: Permission denied');
    const make = (kind: 'audio' | 'video') => {
      const track = new FakeMediaStreamTrack({ kind }) as unknown as MediaStreamTrack;
      tracks.push(track);
      return track;
    };
    return {
      ...(grants.audio ? { microphone: make('audio') } : {}),
      ...(grants.video ? { camera: make('video') } : {}),
    };
  };
  return { asked, tracks, capture };
}

describe('SittingClient: raise hand → consent → speak, moderation and chat', () => {
  let server: FloorServer;
  let url: string;
  let client: SittingClient;

  beforeEach(async () => {
    server = new FloorServer();
    url = await server.start();
  });

  afterEach(async () => {
    client?.close();
    await server.close();
  });

  const joined = async (
    options: {
      role?: Role;
      capture?: ReturnType<typeof fakeCapture>['capture'];
      createDevice?: () => Promise<Device>;
    } = {},
  ) => {
    server.role = options.role ?? 'operator';
    client = new SittingClient({
      sittingId: SITTING.id,
      name: 'Mario Rossi',
      url,
      createDevice: options.createDevice ?? fakeDevice,
      ...(options.capture ? { captureSpeaker: options.capture } : {}),
    });
    client.connect();
    await vi.waitFor(() => expect(client.sitting?.status).toBe('live'));
    await client.join();
  };

  /** Raises the hand and has the host give the floor with `grants`. */
  const offered = async (grants: Grants) => {
    await client.raiseHand();
    expect(client.floor).toBe('raised');
    server.notify({ type: 'hand.state', hand: 'speaking', grants, reason: 'approved' });
    await vi.waitFor(() => expect(client.floor).toBe('offered'));
  };

  it('opens no device when the floor is given: only acceptFloor asks for the granted kinds and publishes them', async () => {
    const devices = fakeCapture();
    await joined({ capture: devices.capture });

    await offered({ audio: true, video: false });
    expect(devices.asked).toEqual([]);
    expect(server.types()).not.toContain('transport.create:send');

    await client.acceptFloor();

    expect(devices.asked).toEqual([{ audio: true, video: false }]);
    expect(client.floor).toBe('speaking');
    expect([...client.local.keys()]).toEqual(['microphone']);
    expect(server.types().filter((t) => t.startsWith('produce'))).toEqual(['produce:audio']);
  });

  it("makes the send transport, once given the floor, with the join reply's TURN relays and ICE policy", async () => {
    let device: Device | undefined;
    const createDevice = async (): Promise<Device> => {
      device = await fakeDevice();
      vi.spyOn(device, 'createSendTransport');
      return device;
    };
    await joined({ capture: fakeCapture().capture, createDevice });
    await offered({ audio: true, video: false });

    await client.acceptFloor();

    expect(vi.mocked(device!.createSendTransport).mock.calls[0]?.[0]).toMatchObject({
      iceServers: TURN,
      iceTransportPolicy: 'relay',
    });
  });

  it('publishes camera and microphone when both are granted (never a screen)', async () => {
    const devices = fakeCapture();
    await joined({ capture: devices.capture });
    await offered({ audio: true, video: true });

    await client.acceptFloor();

    expect(
      server
        .types()
        .filter((t) => t.startsWith('produce'))
        .sort(),
    ).toEqual(['produce:audio', 'produce:video']);
    const sources = server.requests.flatMap((r) => (r.type === 'produce' ? [r.source] : [])).sort();
    expect(sources).toEqual(['camera', 'microphone']);
    // A speaker's 640 px camera goes as 320 and 640 px layers (the server picks by their scales).
    const camera = server.requests.find((r) => r.type === 'produce' && r.source === 'camera');
    const scales = camera?.type === 'produce' ? camera.rtpParameters.encodings : undefined;
    expect(scales?.map((e) => (e as { scaleResolutionDownBy?: number }).scaleResolutionDownBy)).toEqual([
      2, 1,
    ]);
  });

  it('gives the floor back without opening anything when the operator says "not now"', async () => {
    const devices = fakeCapture();
    await joined({ capture: devices.capture });
    await offered({ audio: true, video: true });

    await client.declineFloor();

    expect(server.types()).toContain('floor.leave');
    await vi.waitFor(() => expect(client.floor).toBe('none'));
    expect(devices.asked).toEqual([]);
  });

  it('gives the floor back when the browser refuses the devices, and keeps watching', async () => {
    const devices = fakeCapture({ refuse: true });
    await joined({ capture: devices.capture });
    await offered({ audio: true, video: true });

    await expect(client.acceptFloor()).rejects.toThrow(/NotAllowedError/);

    expect(server.types()).toContain('floor.leave');
    await vi.waitFor(() => expect(client.floor).toBe('none'));
    expect(client.phase).toBe('joined');
    expect(server.types()).not.toContain('produce:audio');
  });

  it('stops its tracks and says why when the host ends the intervention', async () => {
    const devices = fakeCapture();
    await joined({ capture: devices.capture });
    await offered({ audio: true, video: true });
    await client.acceptFloor();

    server.notify({ type: 'hand.state', hand: 'none', grants: NONE, reason: 'revoked' });

    await vi.waitFor(() => expect(client.floor).toBe('none'));
    expect(client.hand.reason).toBe('revoked');
    expect(client.local.size).toBe(0);
    expect(devices.tracks.map((t) => t.readyState)).toEqual(['ended', 'ended']);
  });

  it('publishes nothing when the floor is taken away while the browser is asking', async () => {
    const devices = fakeCapture({
      before: async () => {
        server.notify({ type: 'hand.state', hand: 'none', grants: NONE, reason: 'revoked' });
        await vi.waitFor(() => expect(client.hand.state).toBe('none'));
      },
    });
    await joined({ capture: devices.capture });
    await offered({ audio: true, video: false });

    await client.acceptFloor();

    expect(server.types().filter((t) => t.startsWith('produce'))).toEqual([]);
    expect(devices.tracks.map((t) => t.readyState)).toEqual(['ended']);
    expect(client.local.size).toBe(0);
  });

  it('mutes itself when the host mutes it, and refuses to unmute until the host lifts it', async () => {
    const devices = fakeCapture();
    await joined({ capture: devices.capture });
    await offered({ audio: true, video: false });
    await client.acceptFloor();

    const me = person('me', 'Mario Rossi', 'operator', {
      hand: 'speaking',
      grants: { audio: true, video: false },
    });
    server.notify({
      type: 'participants.changed',
      changes: [{ type: 'participant.updated', participant: { ...me, mutedByHost: true } }],
    });

    await vi.waitFor(() => expect(client.local.get('microphone')?.muted).toBe(true));
    expect(client.mutedByHost).toBe(true);
    await expect(client.setMicrophoneMuted(false)).rejects.toMatchObject({ code: 'forbidden' });

    server.notify({
      type: 'participants.changed',
      changes: [{ type: 'participant.updated', participant: me }],
    });
    await vi.waitFor(() => expect(client.mutedByHost).toBe(false));
    await client.setMicrophoneMuted(false);
    expect(client.local.get('microphone')?.muted).toBe(false);
    expect(server.types()).toEqual(expect.arrayContaining(['producer.pause', 'producer.resume']));
  });

  it('keeps the staff queue from join and from every update, and sends the host moderation requests', async () => {
    server.hands = [{ participantId: 'op-a', name: 'Ditta A', raisedAt: new Date().toISOString() }];
    await joined({ role: 'host' });
    expect(client.queue.map((h) => h.participantId)).toEqual(['op-a']);

    const queue = [
      ...server.hands,
      { participantId: 'op-b', name: 'Ditta B', raisedAt: new Date().toISOString() },
    ];
    server.notify({ type: 'hands.queue', queue });
    await vi.waitFor(() => expect(client.queue.map((h) => h.participantId)).toEqual(['op-a', 'op-b']));

    await client.approve('op-b', { audio: true, video: true });
    await expect(client.approveNext({ audio: true, video: false })).resolves.toBe('op-a');
    await client.deny('op-a');
    await client.revoke('op-b');
    await client.mute('op-b', true);
    await client.deleteChat('m-1');
    expect(server.requests.slice(-6)).toEqual([
      { type: 'hand.approve', participantId: 'op-b', audio: true, video: true },
      { type: 'hand.approveNext', audio: true, video: false },
      { type: 'hand.deny', participantId: 'op-a' },
      { type: 'floor.revoke', participantId: 'op-b' },
      { type: 'participant.mute', participantId: 'op-b', muted: true },
      { type: 'chat.delete', messageId: 'm-1' },
    ]);
    // A host's own media is never touched by hand changes.
    expect(client.floor).toBe('none');
  });

  it('keeps the chat: history on join, each new line once, deleted lines removed', async () => {
    server.history = [line('h-1', 'buongiorno'), line('h-2', '<img src=x onerror=alert(1)>')];
    await joined();
    expect(client.chat.map((m) => m.id)).toEqual(['h-1', 'h-2']);

    const sent = await client.sendChat('una domanda');
    server.notify({ type: 'chat.message', message: line('x-1', 'altra riga') });
    await vi.waitFor(() => expect(client.chat).toHaveLength(4));
    expect(client.chat.map((m) => m.id)).toEqual(['h-1', 'h-2', sent.id, 'x-1']);

    server.notify({ type: 'chat.deleted', messageId: 'h-2' });
    await vi.waitFor(() => expect(client.chat.map((m) => m.id)).toEqual(['h-1', sent.id, 'x-1']));
  });

  it('tells how long to wait when the rate limit refuses a line', async () => {
    await joined();
    for (let i = 1; i <= CHAT_RATE_COUNT; i++) await client.sendChat(`riga ${i}`);

    const refused = await client.sendChat('sesta').catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(ChatRateLimitedError);
    expect(refused).toBeInstanceOf(SignallingError);
    expect((refused as ChatRateLimitedError).code).toBe('rate_limited');
    expect((refused as ChatRateLimitedError).retryAfterS).toBeGreaterThanOrEqual(9);
    expect((refused as ChatRateLimitedError).retryAfterS).toBeLessThanOrEqual(10);
  });
});
