/**
 * Reads what a page is receiving, from the browser's own WebRTC statistics.
 *
 * Contract with the page: it defines `window.__sedutaStats()`, resolving to one RTCStatsReport
 * per RTCPeerConnection it owns (mediasoup-client: `Promise.all(transports.map((t) => t.getStats()))`).
 * The fixture pages define it; the Seduta web client exposes the same hook.
 */
import type { TestPage } from './browsers';

/** What one inbound RTP stream has received so far. */
export interface InboundTrackStats {
  kind: 'audio' | 'video';
  ssrc: number;
  /** The receiving MediaStreamTrack's id, when the browser reports it. */
  trackIdentifier: string | null;
  mid: string | null;
  packetsReceived: number;
  bytesReceived: number;
  /** Video only (0 for audio). */
  framesDecoded: number;
  /** Video only: width of the last decoded frame, when known. */
  frameWidth: number | null;
  /** Video only: height of the last decoded frame, when known. */
  frameHeight: number | null;
  /** Packets the browser counted as lost (after retransmissions). */
  packetsLost: number;
  /** NACK messages the browser sent for this stream. */
  nackCount: number;
  /** Video only: PLI messages (keyframe requests) the browser sent. */
  pliCount: number;
  /** Retransmitted (RTX) packets received, where the browser reports them (Chromium). */
  retransmittedPacketsReceived: number;
  /** Video only: freezes seen and their total duration in seconds (W3C webrtc-stats). */
  freezeCount: number;
  totalFreezesDuration: number;
}

/** The page-side hook, as this module expects it. */
export type SedutaStatsHook = () => Promise<RTCStatsReport[]>;

/** mediasoup's bandwidth-probe stream: reported as a video inbound-rtp that never decodes. */
export const PROBATOR_SSRC = 1234;

/** Inbound audio/video streams of every peer connection on the page, minus mediasoup's probe. */
export async function getInboundStats(page: TestPage): Promise<InboundTrackStats[]> {
  // Runs in the page: no closures over module scope, only plain data in and out.
  return page.evaluate(async (probatorSsrc: number) => {
    const hook = (window as unknown as { __sedutaStats?: SedutaStatsHook }).__sedutaStats;
    if (typeof hook !== 'function') throw new Error('the page does not define window.__sedutaStats()');
    const reports = await hook();
    const out: InboundTrackStats[] = [];
    for (const report of reports) {
      report.forEach((s: Record<string, unknown>) => {
        if (s.type !== 'inbound-rtp' || s.ssrc === probatorSsrc) return;
        if (s.kind !== 'audio' && s.kind !== 'video') return;
        out.push({
          kind: s.kind,
          ssrc: Number(s.ssrc),
          trackIdentifier: typeof s.trackIdentifier === 'string' ? s.trackIdentifier : null,
          mid: typeof s.mid === 'string' ? s.mid : null,
          packetsReceived: Number(s.packetsReceived ?? 0),
          bytesReceived: Number(s.bytesReceived ?? 0),
          framesDecoded: Number(s.framesDecoded ?? 0),
          frameWidth: typeof s.frameWidth === 'number' ? s.frameWidth : null,
          frameHeight: typeof s.frameHeight === 'number' ? s.frameHeight : null,
          packetsLost: Number(s.packetsLost ?? 0),
          nackCount: Number(s.nackCount ?? 0),
          pliCount: Number(s.pliCount ?? 0),
          retransmittedPacketsReceived: Number(s.retransmittedPacketsReceived ?? 0),
          freezeCount: Number(s.freezeCount ?? 0),
          totalFreezesDuration: Number(s.totalFreezesDuration ?? 0),
        });
      });
    }
    return out;
  }, PROBATOR_SSRC);
}

/** Totals over all inbound streams: video frames decoded and audio packets received. */
export function summarizeInbound(tracks: readonly InboundTrackStats[]): {
  videoTracks: number;
  audioTracks: number;
  framesDecoded: number;
  audioPacketsReceived: number;
} {
  const video = tracks.filter((t) => t.kind === 'video');
  const audio = tracks.filter((t) => t.kind === 'audio');
  return {
    videoTracks: video.length,
    audioTracks: audio.length,
    framesDecoded: video.reduce((n, t) => n + t.framesDecoded, 0),
    audioPacketsReceived: audio.reduce((n, t) => n + t.packetsReceived, 0),
  };
}

/** One end of an ICE candidate pair, as the browser reports it. */
export interface CandidateStats {
  /** 'host' | 'srflx' | 'prflx' | 'relay'. */
  candidateType: string | null;
  /** Transport between this end and the other: 'udp' or 'tcp'. */
  protocol: string | null;
  address: string | null;
  port: number | null;
  /** A relay candidate's transport to its TURN server ('udp' | 'tcp' | 'tls'), when reported. */
  relayProtocol: string | null;
}

/** The candidate pair a peer connection's ICE selected. */
export interface SelectedPairStats {
  state: string | null;
  local: CandidateStats;
  remote: CandidateStats;
}

/**
 * The selected ICE candidate pair of every peer connection that has one: the transport stats'
 * `selectedCandidatePairId` (Chromium), else the pair flagged `selected` (Firefox), else a
 * nominated pair in state `succeeded`.
 */
export async function getSelectedCandidatePairs(page: TestPage): Promise<SelectedPairStats[]> {
  return page.evaluate(async () => {
    const hook = (window as unknown as { __sedutaStats?: SedutaStatsHook }).__sedutaStats;
    if (typeof hook !== 'function') throw new Error('the page does not define window.__sedutaStats()');
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const out: SelectedPairStats[] = [];
    for (const report of await hook()) {
      const all: Record<string, unknown>[] = [];
      report.forEach((s: Record<string, unknown>) => all.push(s));
      const byId = new Map(all.map((s) => [s.id, s]));
      const viaTransport = all
        .filter((s) => s.type === 'transport' && typeof s.selectedCandidatePairId === 'string')
        .map((s) => byId.get(s.selectedCandidatePairId));
      const pairs = all.filter((s) => s.type === 'candidate-pair');
      const pair =
        viaTransport[0] ??
        pairs.find((p) => p.selected === true) ??
        pairs.find((p) => p.nominated === true && p.state === 'succeeded');
      if (!pair) continue;
      const candidate = (id: unknown): CandidateStats => {
        const c = byId.get(id) ?? {};
        return {
          candidateType: str(c.candidateType),
          protocol: str(c.protocol),
          address: str(c.address) ?? str(c.ip),
          port: typeof c.port === 'number' ? c.port : null,
          relayProtocol: str(c.relayProtocol),
        };
      };
      out.push({
        state: str(pair.state),
        local: candidate(pair.localCandidateId),
        remote: candidate(pair.remoteCandidateId),
      });
    }
    return out;
  });
}
