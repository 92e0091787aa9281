/** A writable stream that keeps what is written to it (the CLI's standard output or error, in process). */
import { Writable } from 'node:stream';

export function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}
