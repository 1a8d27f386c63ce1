// Audio and video recording sessions (AV). A session is: the spoken start statement (av.session_started),
// one or more recorded segments (media.audio|video + av.segment), interruptions with their reason
// (av.interrupted), resumptions whose first segment states the reason aloud (av.resumed), and the end
// (av.ended). While a segment records, every second's chunk is written to IndexedDB, so a crash or a dead
// battery loses seconds: the next start joins the chunks into a segment and queues it as recovered.
import * as db from "../db.js";
import { sha256Hex } from "../hash.js";
import * as outbox from "../outbox.js";
import { explainBefore } from "../permissions.js";
import { device, stamp } from "../stamps.js";

const TYPES = {
  audio: ["audio/webm;codecs=opus", "audio/webm", "audio/mp4", "audio/ogg;codecs=opus"],
  video: ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm", "video/mp4"],
};
export const INTERRUPT_REASONS = ["device_fault", "weather", "battery", "storage", "obstruction", "other"];
const live = new Set();
const now = () => new Date().toISOString();

export function supportedType(kind) {
  if (!("MediaRecorder" in window)) return null;
  return TYPES[kind].find((t) => MediaRecorder.isTypeSupported(t)) || "";
}

const sessionKey = (id) => `av:${id}`;
export const getSession = (id) => db.kvGet(sessionKey(id));
const saveSession = (s) => db.kvSet(sessionKey(s.session_id), s);

/** Open sessions of a case step (e.g. one a crash interrupted), newest first. */
export async function openSessions(caseId, stepId) {
  const rows = await db.all("kv", IDBKeyRange.bound("av:", "av:\uffff"));
  return rows.map((r) => r.v).filter((s) => s.case_id === caseId && s.step_id === stepId && s.state !== "ended").reverse();
}

function entry(session, kind, payload, label) {
  return outbox.newItem({
    type: "entry",
    case_id: session.case_id,
    label,
    body: { kind, payload, claimed: stamp(), device: device() },
  });
}

async function queueEntry(session, kind, payload, label) {
  const item = entry(session, kind, payload, label);
  await db.put("outbox", item);
  outbox.changed(item);
  outbox.kick();
  return item;
}

/** One MediaRecorder run; its chunks go to IndexedDB as they arrive. */
class Segment {
  constructor(session, index, stream, spokenReason, onerror) {
    const mimeType = supportedType(session.media);
    this.mr = new MediaRecorder(stream, mimeType ? { mimeType } : {});
    this.row = {
      id: crypto.randomUUID(),
      session_id: session.session_id,
      case_id: session.case_id,
      record_kind: session.record_kind,
      media: session.media,
      label: session.label,
      index,
      spoken_reason: spokenReason,
      mime: this.mr.mimeType || mimeType || `${session.media}/webm`,
      state: "recording",
      claimed: stamp(),
      device: device(),
      started_at: now(),
      chunks: 0,
    };
    this.writes = Promise.resolve();
    this.mr.addEventListener("dataavailable", (e) => {
      if (!e.data?.size) return;
      const i = this.row.chunks++;
      const row = { ...this.row };
      this.writes = this.writes
        .then(() => db.tx(["chunks", "recordings"], "readwrite", (s) => {
          s.chunks.put({ rec: row.id, i, data: e.data, at: Date.now() });
          s.recordings.put(row);
        }))
        .catch((err) => onerror?.(err));
    });
  }

  async start() {
    await db.put("recordings", this.row);
    live.add(this.row.id);
    this.mr.start(1000);
  }

  async stop() {
    const stopped = new Promise((r) => this.mr.addEventListener("stop", r, { once: true }));
    this.mr.stop();
    await stopped;
    await this.writes;
    this.row.state = "stopped";
    this.row.ended_at = now();
    await db.put("recordings", this.row);
    live.delete(this.row.id);
    return finalize(this.row.id);
  }
}

export class AvSession {
  /**
   * Start a session after the start statement was read aloud: `statement` is the av.session_started
   * payload without session_id/step (place, officers, reason, target, told_present).
   */
  static async begin({ media, case_id, step_id, record_kind, statement, preview = null, label }) {
    const s = new AvSession({
      session_id: crypto.randomUUID(),
      case_id,
      step_id,
      record_kind,
      media,
      label,
      state: "recording",
      segments: 0,
      started_at: now(),
    });
    await saveSession(s.data);
    await queueEntry(s.data, "av.session_started", {
      session_id: s.data.session_id,
      started_at: s.data.started_at,
      step: record_kind,
      device_number: device(),
      ...statement,
    }, `${label} · start`);
    await s.record(false, preview);
    return s;
  }

  /** A session that exists on the device but has no live recorder (e.g. interrupted by a crash). */
  static async reopen(sessionId) {
    const data = await getSession(sessionId);
    return data ? new AvSession(data) : null;
  }

  constructor(data) {
    this.data = data;
    this.segment = null;
    this.stream = null;
  }

  get state() {
    return this.data.state;
  }

  async record(spokenReason, preview) {
    if (!this.stream) await explainBefore(this.data.media === "video" ? ["microphone", "camera"] : ["microphone"]);
    this.stream ||= await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: this.data.media === "video" ? { facingMode: "environment" } : false,
    });
    if (preview) {
      preview.srcObject = this.stream;
      preview.muted = true;
      preview.play().catch(() => {});
    }
    this.segment = new Segment(this.data, this.data.segments, this.stream, spokenReason, (e) => this.onerror?.(e));
    this.data.segments += 1;
    this.data.state = "recording";
    await saveSession(this.data);
    await this.segment.start();
  }

  async closeSegment() {
    if (!this.segment) return;
    const seg = this.segment;
    this.segment = null;
    await seg.stop();
  }

  releaseDevices() {
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
  }

  /** Interruption: the segment so far is kept and the reason recorded. */
  async interrupt(reason, explanation) {
    await this.closeSegment();
    this.releaseDevices();
    this.data.state = "interrupted";
    await saveSession(this.data);
    await queueEntry(this.data, "av.interrupted", { session_id: this.data.session_id, at: now(), reason, explanation }, `${this.data.label} · ${reason}`);
  }

  /** Resume: a new segment begins, in which the officer states the interruption's reason aloud. */
  async resume(preview) {
    const index = this.data.segments;
    await queueEntry(this.data, "av.resumed", { session_id: this.data.session_id, at: now(), spoken_reason_segment: index }, `${this.data.label} · resume`);
    await this.record(true, preview);
  }

  /** An interrupted session that cannot continue: a written explanation signed by two officers. */
  async closeInWriting(reason, explanation, signedBy) {
    await this.closeSegment();
    this.releaseDevices();
    this.data.state = "ended";
    await saveSession(this.data);
    await queueEntry(this.data, "av.closed_in_writing", { session_id: this.data.session_id, at: now(), reason, explanation, signed_by: signedBy }, `${this.data.label} · closed in writing`);
  }

  async end() {
    await this.closeSegment();
    this.releaseDevices();
    this.data.state = "ended";
    await saveSession(this.data);
    await queueEntry(this.data, "av.ended", { session_id: this.data.session_id, ended_at: now(), segments: this.data.segments }, `${this.data.label} · end`);
  }
}

/**
 * Join a segment's chunks into one blob and queue it with its av.segment entry, in one transaction that
 * also removes the chunks, so a crash in between can neither lose nor duplicate it.
 */
export async function finalize(segId, { recovered = false } = {}) {
  const row = await db.get("recordings", segId);
  if (!row) return null;
  const range = IDBKeyRange.bound([segId, 0], [segId, Infinity]);
  const chunks = await db.all("chunks", range);
  if (!chunks.length) {
    await db.del("recordings", segId);
    return null;
  }
  const mediaType = row.mime.split(";")[0];
  const data = new Blob(chunks.map((c) => c.data), { type: mediaType });
  const sha256 = await sha256Hex(data);
  const endedAt = row.ended_at || new Date(chunks.at(-1).at).toISOString();
  const filename = `${row.media}-${row.session_id.slice(0, 8)}-${row.index}.${mediaType.split("/")[1]}`;
  const blob = { id: crypto.randomUUID(), sha256, media_type: mediaType, filename, size: data.size, data };
  const session = { case_id: row.case_id };
  const media = outbox.newItem({
    type: "media",
    id: row.id,
    case_id: row.case_id,
    label: `${row.label} #${row.index + 1}${recovered ? " (recovered)" : ""}`,
    blob,
    body: {
      sha256,
      kind: `media.${row.media}`,
      media_type: mediaType,
      claimed: row.claimed,
      device: row.device,
      payload: { step: row.record_kind, av_session: row.session_id },
    },
  });
  const seg = entry(session, "av.segment", {
    session_id: row.session_id,
    index: row.index,
    sha256,
    started_at: row.started_at,
    ended_at: endedAt,
    spoken_reason: Boolean(row.spoken_reason),
  }, `${row.label} #${row.index + 1} · segment`);
  await db.tx(["blobs", "outbox", "chunks", "recordings"], "readwrite", (s) => {
    s.blobs.put(blob);
    s.outbox.put(media);
    s.outbox.put(seg);
    s.chunks.delete(range);
    s.recordings.delete(segId);
  });
  outbox.changed(media);
  outbox.kick();
  return media;
}

/**
 * Segments a crash left behind (not live in this page) become queued items marked as recovered, and
 * their session is recorded as interrupted, so the officer can resume (stating why) or end it.
 */
export async function recoverRecordings() {
  const found = [];
  for (const row of await db.all("recordings")) {
    if (live.has(row.id)) continue;
    const crashed = row.state !== "stopped";
    const item = await finalize(row.id, { recovered: crashed });
    if (item) found.push(item);
    const session = await getSession(row.session_id);
    if (crashed && session && session.state === "recording") {
      session.state = "interrupted";
      await saveSession(session);
      await queueEntry(session, "av.interrupted", {
        session_id: session.session_id,
        at: now(),
        reason: "other",
        explanation: `录制时应用被关闭，已恢复至 ${item ? item.created_at : row.started_at} 的内容 / the app closed while recording; recorded chunks were recovered`,
      }, `${session.label} · recovered`);
    }
  }
  return found;
}
