/**
 * How the Publisher sends a camera: the simulcast layers of the host's and of a speaker's camera,
 * as the produce request carries them to the server (which picks each viewer's layer from their
 * scales). mediasoup-client's FakeHandler stands in for the browser.
 */
import { FakeMediaStreamTrack } from 'fake-mediastreamtrack';
import { Device, FakeHandler, testFakeParameters } from 'mediasoup-client';
import { describe, expect, it } from 'vitest';
import type { Request } from '@seduta/server/protocol';
import type { Signalling } from '../signalling';
import { CAMERA_ENCODINGS, cameraEncodings, Publisher, type PublisherRole } from './send';

/** The capture widths the server assumes (server/src/sittings/participant.ts CAMERA_CAPTURE_WIDTH). */
const CAPTURE_WIDTH: Record<PublisherRole, number> = { host: 1280, speaker: 640 };

const widths = (role: PublisherRole): number[] =>
  CAMERA_ENCODINGS[role].map((e) => CAPTURE_WIDTH[role] / (e.scaleResolutionDownBy ?? 1));

async function fakeDevice(): Promise<Device> {
  const device = new Device({
    handlerFactory: FakeHandler.createFactory({
      generateNativeRtpCapabilities: testFakeParameters.generateNativeRtpCapabilities,
      generateNativeSctpCapabilities: testFakeParameters.generateNativeSctpCapabilities,
      generateLocalDtlsParameters: testFakeParameters.generateLocalDtlsParameters,
    }),
  });
  await device.load({ routerRtpCapabilities: testFakeParameters.generateRouterRtpCapabilities() });
  return device;
}

/** A signalling stand-in answering what the Publisher asks, recording the produce requests. */
function fakeSignalling() {
  const produced: Extract<Request, { type: 'produce' }>[] = [];
  const signalling = {
    request: async (msg: Request) => {
      switch (msg.type) {
        case 'transport.create': {
          const t = testFakeParameters.generateTransportRemoteParameters();
          return {
            transportId: t.id,
            iceParameters: t.iceParameters,
            iceCandidates: t.iceCandidates,
            dtlsParameters: t.dtlsParameters,
          };
        }
        case 'produce':
          produced.push(msg);
          return { producerId: `producer-${produced.length}` };
        default:
          return {};
      }
    },
  } as unknown as Signalling;
  return { signalling, produced };
}

async function publishCamera(role: PublisherRole) {
  const { signalling, produced } = fakeSignalling();
  const publisher = await Publisher.create(await fakeDevice(), signalling, role);
  await publisher.publish(
    'camera',
    new FakeMediaStreamTrack({ kind: 'video' }) as unknown as MediaStreamTrack,
  );
  publisher.close();
  const [camera] = produced;
  return (camera?.rtpParameters.encodings ?? []).map(
    (e) => (e as { scaleResolutionDownBy?: number }).scaleResolutionDownBy,
  );
}

describe('the camera’s simulcast layers', () => {
  it('sends the host’s 1280 px camera as 320, 640 and 1280 px layers', () => {
    expect(widths('host')).toEqual([320, 640, 1280]);
  });

  it('sends a speaker’s 640 px camera as 320 and 640 px layers, never a 160 px one', () => {
    expect(widths('speaker')).toEqual([320, 640]);
  });

  it('hands out copies, so mediasoup-client may add its rids without touching the table', () => {
    const copy = cameraEncodings('speaker');
    copy[0]!.rid = 'r0';
    expect(CAMERA_ENCODINGS.speaker[0]).not.toHaveProperty('rid');
    expect(cameraEncodings('speaker')).toEqual(CAMERA_ENCODINGS.speaker);
  });

  it('tells the server each layer’s scale in the produce request, by who publishes', async () => {
    expect(await publishCamera('host')).toEqual([4, 2, 1]);
    expect(await publishCamera('speaker')).toEqual([2, 1]);
  });
});
