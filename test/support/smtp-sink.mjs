// A real SMTP server on loopback (the `smtp-server` package) that keeps every mail it gets, for
// tests of the email issuer: the envelope, the headers, and the body decoded.
import { SMTPServer } from 'smtp-server';

/** Just enough RFC 5322: unfolded headers by lower-case name, and the body (7bit or quoted-printable). */
export function parseMail(raw) {
  const split = raw.indexOf('\r\n\r\n');
  const headers = {};
  for (const line of raw
    .slice(0, split)
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(split + 4);
  if (/quoted-printable/i.test(headers['content-transfer-encoding'] ?? '')) {
    body = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
  }
  return { headers, subject: headers.subject, body: body.replace(/\r\n/g, '\n') };
}

/**
 * Start the sink; resolves with `{ url, mails, close() }`. Each mail is `{ from, to, raw,
 * headers, subject, body }` (`to` lower-cased). With `reject`, every mail is refused (550).
 */
export async function startSmtpSink({ reject = false } = {}) {
  const mails = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, session, done) {
      const chunks = [];
      stream.on('data', (chunk) => chunks.push(chunk));
      stream.on('end', () => {
        if (reject) return done(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({
          from: session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()),
          raw,
          ...parseMail(raw),
        });
        done();
      });
    },
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `smtp://127.0.0.1:${server.server.address().port}`,
    mails,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
