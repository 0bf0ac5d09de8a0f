// The notification sound: a short two-note chime synthesised with the Web Audio API (no audio
// file). Browsers start audio only after a user gesture, so the audio context is created (or
// resumed) on the first click or key press of the session, never on load.

const NOTES = [880, 1318.5]; // A5, E6
const MIN_GAP_MS = 2500; // a burst of notifications chimes once

let context = null;
let lastPlayed = 0;

function unlock() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  if (!context) context = new Context();
  if (context.state === "suspended") context.resume();
}

/** Listen for the user's first gestures, which allow the chime to play later. */
export function armSound() {
  for (const type of ["pointerdown", "keydown"]) {
    window.addEventListener(type, unlock, { capture: true, passive: true });
  }
}

/** Play the chime now (a user gesture, e.g. a "test" button, may call it directly). */
export function playChime({ force = false } = {}) {
  if (force) unlock();
  const now = Date.now();
  if (!context || context.state === "closed" || (!force && now - lastPlayed < MIN_GAP_MS)) {
    return false;
  }
  lastPlayed = now;
  const start = context.currentTime + 0.01;
  NOTES.forEach((frequency, i) => {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    const at = start + i * 0.13;
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.18, at + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.4);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(at);
    oscillator.stop(at + 0.45);
  });
  // Counted on <html data-chimes>: the browser test's evidence that the chime played.
  const root = document.documentElement;
  root.dataset.chimes = String(Number(root.dataset.chimes || 0) + 1);
  return true;
}
