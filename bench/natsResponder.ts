/**
 * A responder process of the raw NATS floor in nats.ts. It stands in for one host: every
 * request on a leaf subject gets that leaf's answer, and a request on the host subject gets
 * the answers of all its leaves in one reply. It prints `ready` once the server knows its
 * subscriptions, and drains and exits when its standard input closes (its parent ended).
 *
 *   node --import tsx bench/natsResponder.ts <nats url> <host subject> <leaf subject>...
 */
import { connect, type Msg, type NatsError } from 'nats';

const [url, hostSubject, ...leafSubjects] = process.argv.slice(2);
if (url === undefined || hostSubject === undefined || leafSubjects.length === 0) {
  process.stderr.write('usage: natsResponder.ts <nats url> <host subject> <leaf subject>...\n');
  process.exit(2);
}

const connection = await connect({ servers: url, name: `bench responder ${process.pid}` });
const encoder = new TextEncoder();
const answer = (subject: string): string => `${subject} ran bench (pid ${process.pid})`;
const respondWith =
  (reply: Uint8Array) =>
  (error: NatsError | null, message: Msg): void => {
    if (error === null) message.respond(reply);
  };
for (const subject of leafSubjects) {
  connection.subscribe(subject, { callback: respondWith(encoder.encode(answer(subject))) });
}
connection.subscribe(hostSubject, {
  callback: respondWith(encoder.encode(JSON.stringify(leafSubjects.map(answer)))),
});
await connection.flush();
process.stdout.write('ready\n');

process.stdin.resume();
process.stdin.once('end', () => {
  connection.drain().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
