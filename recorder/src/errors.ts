/** Stable codes of {@link RecorderError}, the same as the server's error codes. */
export type RecorderErrorCode = 'invalid_state' | 'not_found' | 'bad_request';

/**
 * A request the recorder refuses (pause a stopped recording, start a second one, an unknown id).
 * The server maps `code` to its own AppError of the same code.
 */
export class RecorderError extends Error {
  override readonly name = 'RecorderError';
  readonly code: RecorderErrorCode;

  constructor(code: RecorderErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
