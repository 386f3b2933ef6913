// A buyer/seller scenario through a client generated from openapi.yaml (openapi-typescript
// types + openapi-fetch). `npm run check` type-checks every call against the spec; `npm run
// scenario` runs them against a live souk at $SOUK_BASE. Any drift between the spec and the
// API breaks one or the other.
import createClient from "openapi-fetch";
import { deflateSync, crc32 } from "node:zlib";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { paths } from "./generated/souk";


const base = process.env.SOUK_BASE ?? "http://127.0.0.1:8080";
// The API's .eml outbox (no SMTP configured): the scenario confirms addresses from it, as a
// person would from their inbox.
const outbox = process.env.SOUK_OUTBOX;
const api = createClient<paths>({ baseUrl: base });
const run = Date.now().toString(36);

function must<T>(what: string, r: { data?: T; error?: unknown; response: Response }): T {
  if (r.data === undefined) {
    throw new Error(`${what}: HTTP ${r.response.status} ${JSON.stringify(r.error)}`);
  }
  console.log(`ok  ${what} (${r.response.status})`);
  return r.data;
}

/** A small PNG made here, so the scenario needs no fixture file. */
function png(w: number, h: number): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const body = new Uint8Array([...new TextEncoder().encode(type), ...data]);
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(body, 4);
    view.setUint32(8 + data.length, crc32(body));
    return out;
  };
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, w);
  hv.setUint32(4, h);
  header.set([8, 2, 0, 0, 0], 8);
  const raw = new Uint8Array(h * (1 + w * 3));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) raw.set([(x * 4) % 256, (y * 4) % 256, 128], y * (1 + w * 3) + 1 + x * 3);
  }
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array()),
  ];
  const total = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    total.set(p, at);
    at += p.length;
  }
  return total;
}

async function account(name: string): Promise<string> {
  const email = `${name}-${run}@example.dz`;
  const password = "a long passphrase";
  must(`register ${name}`, await api.POST("/v1/auth/register", {
    body: { email, password, display_name: name, phone: "0551 23 45 67", language: "fr" },
  }));
  await confirmAddress(email);
  const tokens = must(`login ${name}`, await api.POST("/v1/auth/login", { body: { email, password } }));
  return tokens.access_token;
}

/// Finds the verification email to `email` in the outbox and sends its token back
/// (contacting a seller needs a confirmed address).
async function confirmAddress(email: string) {
  if (!outbox) throw new Error("SOUK_OUTBOX is not set");
  for (let i = 0; i < 80; i++) {
    let files: string[] = [];
    try {
      files = readdirSync(outbox).filter((f) => f.endsWith(".eml"));
    } catch {
      // Not written yet.
    }
    for (const f of files) {
      // Quoted-printable: soft line breaks and `=3D` for `=`.
      const text = readFileSync(join(outbox, f), "utf8").replace(/=\r?\n/g, "").replace(/=3D/g, "=");
      if (!text.includes(email)) continue;
      const m = text.match(/verify-email\?token=([A-Za-z0-9_-]{40,})/);
      if (m) {
        const r = await api.POST("/v1/auth/verify-email", { body: { token: m[1] } });
        if (r.response.status !== 204) throw new Error(`confirm ${email}: HTTP ${r.response.status}`);
        console.log(`ok  confirm ${email} (204)`);
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no verification email for ${email} in ${outbox}`);
}

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

/// The 6-digit code of the newest SMS to `phone` in the API's SMS outbox.
async function smsCode(phone: string): Promise<string> {
  const dir = process.env.SOUK_SMS_OUTBOX;
  if (!dir) throw new Error("SOUK_SMS_OUTBOX is not set");
  for (let i = 0; i < 80; i++) {
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith(".txt")).sort();
    } catch {
      // Not written yet.
    }
    for (const f of files.reverse()) {
      const text = readFileSync(join(dir, f), "utf8");
      const m = text.startsWith(`To: ${phone}`) ? text.match(/\b(\d{6})\b/) : null;
      if (m) return m[1];
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no SMS to ${phone}`);
}

async function main() {
  const seller = await account("seller");
  const buyer = await account("buyer");

  // The seller confirms a phone with the code sent by SMS.
  const phone = `+2135${Math.floor(10000000 + Math.random() * 89999999)}`;
  const sent = must("ask a phone code", await api.POST("/v1/me/phone", { headers: auth(seller), body: { phone } }));
  const code = await smsCode(sent.phone);
  const me = must("confirm the phone", await api.POST("/v1/me/phone/confirm", { headers: auth(seller), body: { code } }));
  if (!me.phone_verified) throw new Error("phone not confirmed");

  const ad = must("post an ad", await api.POST("/v1/listings", {
    headers: auth(seller),
    body: {
      title: `Peugeot 208 ${run} diesel très propre`,
      description: "Première main, carnet d'entretien. سيارة نظيفة جدا",
      category: "cars",
      attributes: { brand: "peugeot", model: "208", year: 2019, mileage_km: 85000, fuel: "diesel", gearbox: "manual" },
      // As sellers say it: 245 millions (of centimes) = 2,450,000 DZD.
      price: { amount: 245, unit: "million" },
      negotiable: true,
      wilaya: 16,
      commune: 1601,
      show_phone: true,
    },
  }));

  if (ad.price !== 2450000 || ad.price_display?.fr !== "245 millions") {
    throw new Error(`price in millions: got ${ad.price} / ${JSON.stringify(ad.price_display)}`);
  }

  const photo = must("upload a photo", await api.POST("/v1/listings/{id}/photos", {
    headers: auth(seller),
    params: { path: { id: ad.id } },
    body: { photo: "" },
    bodySerializer: () => {
      const form = new FormData();
      form.append("photo", new Blob([png(64, 48)], { type: "image/png" }), "car.png");
      return form;
    },
  }));
  if (!photo.thumb_url) throw new Error("no thumbnail");

  // The index follows the database within about a second.
  let found = false;
  for (let i = 0; i < 40 && !found; i++) {
    const page = must("search", await api.GET("/v1/search", { params: { query: { q: run, facets: false } } }));
    found = page.items.some((h) => h.id === ad.id && h.thumbnail_url !== null);
    if (!found) await new Promise((r) => setTimeout(r, 250));
  }
  if (!found) throw new Error("the ad never showed in search");

  const read = must("read the ad", await api.GET("/v1/listings/{id}", { params: { path: { id: ad.id } } }));
  if (JSON.stringify(read).includes("@example.dz")) throw new Error("seller email leaked");

  if (!read.seller.phone_available) throw new Error("the confirmed phone should be available");
  const revealed = must("reveal the phone", await api.POST("/v1/listings/{id}/phone", {
    headers: auth(buyer),
    params: { path: { id: ad.id } },
  }));
  if (revealed.phone !== sent.phone) throw new Error(`revealed ${revealed.phone}, want ${sent.phone}`);

  const thread = must("contact the seller", await api.POST("/v1/listings/{id}/contact", {
    headers: auth(buyer),
    params: { path: { id: ad.id } },
    body: { message: "Salam, toujours disponible ?", name: "Karim" },
  }));
  // The buyer's app keeps a live stream open (a ticket, as a browser's EventSource would use).
  const ticket = must("stream ticket", await api.POST("/v1/me/events/ticket", { headers: auth(buyer) }));
  const closeStream = new AbortController();
  const stream = await fetch(`${base}/v1/me/events?ticket=${encodeURIComponent(ticket.ticket)}`, {
    signal: closeStream.signal,
  });
  if (stream.status !== 200 || !stream.body) throw new Error(`stream: HTTP ${stream.status}`);
  const events = readEvents(stream.body);

  must("seller answers", await api.POST("/v1/conversations/{id}/messages", {
    headers: auth(seller),
    params: { path: { id: thread.id } },
    body: { message: "Oui, passez samedi." },
  }));
  const sentPhoto = must("seller sends a photo", await api.POST("/v1/conversations/{id}/photos", {
    headers: auth(seller),
    params: { path: { id: thread.id } },
    body: { photo: "" },
    bodySerializer: () => {
      const form = new FormData();
      form.append("photo", new Blob([png(40, 30)], { type: "image/png" }), "door.png");
      return form;
    },
  }));
  if (!sentPhoto.photo) throw new Error("the photo message has no photo");

  // Live: the reply, then the photo, on the buyer's stream.
  const reply = await nextMessage(events, (m) => m.body === "Oui, passez samedi.");
  const withPhoto = await nextMessage(events, (m) => m.photo !== null && m.photo !== undefined);
  console.log(`ok  the buyer's stream got the reply (${reply.id}) and the photo (${withPhoto.id})`);
  const image = await fetch(`${base}${withPhoto.photo!.large_url}`, { headers: auth(buyer) });
  if (image.status !== 200 || image.headers.get("content-type") !== "image/jpeg") {
    throw new Error(`loading the photo: HTTP ${image.status}`);
  }
  const stranger = await fetch(`${base}${withPhoto.photo!.large_url}`);
  if (stranger.status !== 401) throw new Error(`the photo must need a token, got ${stranger.status}`);
  closeStream.abort();
  const unread = must("unread before reading", await api.GET("/v1/me/unread", { headers: auth(buyer) }));
  if (unread.messages !== 2) throw new Error(`unread: ${unread.messages}, want 2`);
  must("read the thread", await api.POST("/v1/conversations/{id}/read", {
    headers: auth(buyer),
    params: { path: { id: thread.id } },
    body: {},
  }));
  const after = must("unread after reading", await api.GET("/v1/me/unread", { headers: auth(buyer) }));
  if (after.messages !== 0) throw new Error(`unread after reading: ${after.messages}`);

  must("report the ad", await api.POST("/v1/listings/{id}/report", {
    headers: auth(buyer),
    params: { path: { id: ad.id } },
    body: { reason: "duplicate", comment: "même annonce publiée deux fois" },
  }));
  const again = await api.POST("/v1/listings/{id}/report", {
    headers: auth(buyer),
    params: { path: { id: ad.id } },
    body: { reason: "duplicate" },
  });
  if (again.response.status !== 409 || again.response.headers.get("content-type") !== "application/problem+json") {
    throw new Error(`a second report should be a 409 problem, got ${again.response.status}`);
  }
  console.log("scenario passed");
}

type MessageView = paths["/v1/conversations/{id}/messages"]["post"]["responses"][201]["content"]["application/json"];

/** Server-sent events of a stream, one `{event, data}` at a time. */
async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const field = (name: string) => block.split("\n").find((l) => l.startsWith(name + ": "))?.slice(name.length + 2);
      const event = field("event");
      const data = field("data");
      if (event && data) yield { event, data };
    }
  }
}

/** The next `message.created` on the stream whose message passes `wanted` (within 10 s). */
async function nextMessage(
  events: AsyncGenerator<{ event: string; data: string }>,
  wanted: (m: MessageView) => boolean,
): Promise<MessageView> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = await Promise.race([
      events.next(),
      new Promise<null>((r) => {
        timer = setTimeout(() => r(null), deadline - Date.now());
      }),
    ]);
    clearTimeout(timer);
    if (next === null || next.done) break;
    if (next.value.event !== "message.created") continue;
    const message = JSON.parse(next.value.data).message as MessageView;
    if (wanted(message)) return message;
  }
  throw new Error("the awaited message never came on the stream");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
