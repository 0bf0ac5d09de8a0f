// The console's WebSocket (/ws/console): reconnects with exponential backoff and jitter, keeps an
// ordered outbox of message.send frames that is (re)sent once per connection until acknowledged,
// and hands every server frame to the app.

const PING_MS = 25000;
const MAX_BACKOFF_MS = 30000;

export class ConsoleSocket {
  constructor({ onFrame, onOpen, onStatus }) {
    this.onFrame = onFrame;
    this.onOpen = onOpen;
    this.onStatus = onStatus;
    this.ws = null;
    this.attempt = 0;
    this.generation = 0;
    this.everConnected = false;
    this.outbox = []; // [{frame, sentOn}] in the order typed
    this.stopped = false;
    this.timer = null;
    this.pinger = null;
    this.online = false;
    this.suspended = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
    this.outbox = [];
  }

  connect() {
    if (this.stopped || this.suspended) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/ws/console`);
    this.ws = ws;
    ws.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "hello") this.opened();
      else this.handle(frame);
    });
    ws.addEventListener("close", (event) => this.closed(ws, event));
  }

  opened() {
    const reconnect = this.everConnected;
    this.everConnected = true;
    this.attempt = 0;
    this.generation += 1;
    this.setOnline(true);
    clearInterval(this.pinger);
    this.pinger = setInterval(() => this.send({ type: "ping" }), PING_MS);
    this.onOpen(reconnect);
    this.flush();
  }

  closed(ws, event) {
    if (ws !== this.ws) return;
    clearInterval(this.pinger);
    this.ws = null;
    this.setOnline(false);
    if (this.stopped || this.suspended || event.code === 4401) {
      if (event.code === 4401) this.onFrame({ type: "socket.unauthorised" });
      return;
    }
    // Exponential backoff with full jitter: 0.5 s, 1 s, 2 s … capped at 30 s.
    const ceiling = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
    this.attempt += 1;
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  setOnline(value) {
    this.online = value;
    this.onStatus(value);
  }

  /** Drop the connection now and reconnect (used by tests and after long sleeps). */
  reconnectNow() {
    if (this.ws) this.ws.close(4000);
  }

  /** Go offline until `resumeConnection` (a test and debugging aid: window.kefuConsole). */
  suspend() {
    this.suspended = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(4000);
  }

  resumeConnection() {
    this.suspended = false;
    clearTimeout(this.timer);
    if (!this.ws) this.connect();
  }

  handle(frame) {
    if (frame.type === "ack" && frame.client_msg_id) {
      this.outbox = this.outbox.filter((item) => item.frame.client_msg_id !== frame.client_msg_id);
    } else if (frame.type === "error" && frame.ref) {
      const failed = this.outbox.find((item) => item.frame.ref === frame.ref);
      if (failed) {
        this.outbox = this.outbox.filter((item) => item !== failed);
        frame.client_msg_id = failed.frame.client_msg_id;
        frame.conversation_id = failed.frame.conversation_id;
      }
    }
    this.onFrame(frame);
  }

  /** Send a frame now if connected; returns false when it could not be sent. */
  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || !this.online) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Queue a message.send frame; it goes out now or on the next connection, once each. */
  sendMessage(frame) {
    this.outbox.push({ frame: { ...frame, ref: frame.client_msg_id }, sentOn: 0 });
    this.flush();
  }

  flush() {
    for (const item of this.outbox) {
      if (item.sentOn === this.generation) continue;
      if (!this.send(item.frame)) return;
      item.sentOn = this.generation;
    }
  }

  isQueued(clientMsgId) {
    return this.outbox.some((item) => item.frame.client_msg_id === clientMsgId);
  }
}
