import type { types as msc } from 'mediasoup-client';

/**
 * The DTLS identity of this page's receive transports, made before the click: a certificate the
 * peer connection is given, and the parameters it will announce with it. The join carries them,
 * so the server connects the transport at once and the browser's handshake finds it ready.
 */
export interface DtlsIdentity {
  certificate: RTCCertificate;
  /** Role `client`: the browser starts the handshake, as mediasoup-client's handlers do. */
  dtlsParameters: msc.DtlsParameters;
}

/**
 * Makes a {@link DtlsIdentity}: a certificate, and its fingerprint read from the offer of a
 * throwaway peer connection that uses it (Firefox has no `RTCCertificate.getFingerprints()`).
 * Undefined where there is no WebRTC (tests with mediasoup-client's FakeHandler) or it fails.
 */
export async function makeDtlsIdentity(): Promise<DtlsIdentity | undefined> {
  if (typeof RTCPeerConnection === 'undefined') return undefined;
  let pc: RTCPeerConnection | undefined;
  try {
    const certificate = await RTCPeerConnection.generateCertificate({
      name: 'ECDSA',
      namedCurve: 'P-256',
    } as EcKeyGenParams);
    pc = new RTCPeerConnection({ certificates: [certificate] });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const offer = await pc.createOffer();
    const fingerprints = [...(offer.sdp ?? '').matchAll(/^a=fingerprint:(\S+) (\S+)\r?$/gm)].map(
      ([, algorithm, value]) => ({ algorithm: algorithm!.toLowerCase(), value: value! }),
    );
    const unique = fingerprints.filter(
      (f, i) => fingerprints.findIndex((g) => g.algorithm === f.algorithm && g.value === f.value) === i,
    );
    if (unique.length === 0) return undefined;
    return {
      certificate,
      dtlsParameters: { role: 'client', fingerprints: unique as msc.DtlsFingerprint[] },
    };
  } catch {
    return undefined;
  } finally {
    pc?.close();
  }
}

/** Whether the parameters a transport announces are those of `identity` (same role, same fingerprints). */
export function sameDtls(identity: DtlsIdentity, announced: msc.DtlsParameters): boolean {
  const key = (p: msc.DtlsParameters): string =>
    JSON.stringify([
      p.role ?? 'auto',
      p.fingerprints.map((f) => `${f.algorithm.toLowerCase()} ${f.value.toUpperCase()}`).sort(),
    ]);
  return key(identity.dtlsParameters) === key(announced);
}
