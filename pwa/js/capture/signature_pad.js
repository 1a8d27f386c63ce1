// A signature pad on Pointer Events: keeps every stroke's points with pressure and timing, and renders PNG.
export class SignaturePad {
  constructor(canvas) {
    this.canvas = canvas;
    this.strokes = [];
    this.startedAt = null;
    this.t0 = 0;
    this.current = null;
    const ratio = devicePixelRatio || 1;
    const rect = canvas.getBoundingClientRect();
    canvas.width = Math.round(rect.width * ratio);
    canvas.height = Math.round(rect.height * ratio);
    this.ctx = canvas.getContext("2d");
    this.ctx.scale(ratio, ratio);
    this.ctx.lineCap = this.ctx.lineJoin = "round";
    this.ctx.strokeStyle = "#111";
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    for (const type of ["pointerup", "pointercancel", "pointerleave"]) canvas.addEventListener(type, (e) => this.up(e));
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    // Mice report 0.5 while pressed and 0 otherwise; keep what the device gives.
    return [
      Math.round((e.clientX - r.left) * 10) / 10,
      Math.round((e.clientY - r.top) * 10) / 10,
      Math.round((e.pressure ?? 0) * 1000) / 1000,
      Math.round(performance.now() - this.t0),
    ];
  }

  down(e) {
    e.preventDefault();
    this.canvas.setPointerCapture?.(e.pointerId);
    if (!this.startedAt) {
      this.startedAt = new Date().toISOString();
      this.t0 = performance.now();
    }
    this.current = { pointer_type: e.pointerType, points: [this.point(e)] };
    this.strokes.push(this.current);
  }

  move(e) {
    if (!this.current) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of events.length ? events : [e]) {
      const prev = this.current.points.at(-1);
      const p = this.point(ev);
      this.current.points.push(p);
      this.ctx.lineWidth = 1.5 + 3 * (p[2] || 0.5);
      this.ctx.beginPath();
      this.ctx.moveTo(prev[0], prev[1]);
      this.ctx.lineTo(p[0], p[1]);
      this.ctx.stroke();
    }
  }

  up(e) {
    if (!this.current) return;
    if (e.type === "pointerup") this.current.points.push(this.point(e));
    this.current = null;
  }

  isEmpty() {
    return !this.strokes.some((s) => s.points.length > 1);
  }

  clear() {
    this.strokes = [];
    this.startedAt = null;
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** What the signer drew: strokes of [x, y, pressure, ms since the first touch], and the pad size. */
  data() {
    const r = this.canvas.getBoundingClientRect();
    return { started_at: this.startedAt, width: Math.round(r.width), height: Math.round(r.height), strokes: this.strokes };
  }

  png() {
    return new Promise((resolve) => this.canvas.toBlob(resolve, "image/png"));
  }
}
