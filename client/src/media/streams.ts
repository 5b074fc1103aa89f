const streams = new WeakMap<MediaStreamTrack, MediaStream>();

/** A MediaStream holding just `track`, the same one every time (media elements need a stream). */
export function streamOf(track: MediaStreamTrack): MediaStream {
  let stream = streams.get(track);
  if (!stream) {
    stream = new MediaStream([track]);
    streams.set(track, stream);
  }
  return stream;
}
