// Opt-in sound and desktop notification for the console: when a visitor joins one of
// the counsellor's queues, or writes in a conversation that is not in view. Off until
// the counsellor turns it on; the browser's permission is asked on that click, never on
// load. A notification never shows what the visitor wrote (screens are shared).

const KEY = "parole.console.notify";

/** Poles whose waiting count went up between two readings (someone joined). */
export function grown(before, after) {
  return Object.keys(after).filter((pole) => (after[pole] ?? 0) > (before[pole] ?? 0));
}

export class Notifier {
  constructor({ storage = globalThis.localStorage, title = "Parole" } = {}) {
    this.storage = storage;
    this.title = title;
    this.audio = null;
    this.on = this.read() === "1";
  }

  read() {
    try {
      return this.storage?.getItem(KEY);
    } catch {
      return null; // storage refused: off
    }
  }

  /** Turned on or off by the counsellor (a click: the permission may be asked now). */
  async set(on) {
    this.on = on;
    try {
      this.storage?.setItem(KEY, on ? "1" : "0");
    } catch {
      // kept for this page only
    }
    if (!on) return "off";
    this.audio ||= typeof AudioContext === "function" ? new AudioContext() : null;
    if (typeof Notification !== "function") return "sound";
    if (Notification.permission === "default") await Notification.requestPermission();
    return Notification.permission === "granted" ? "granted" : "sound";
  }

  /** A short tone, and a desktop notification when the page is not in view. */
  ring(body, tag) {
    if (!this.on) return false;
    this.beep();
    if (document.hidden && typeof Notification === "function" && Notification.permission === "granted") {
      new Notification(this.title, { body, tag });
    }
    return true;
  }

  beep() {
    const audio = this.audio;
    if (!audio) return; // after a reload, until the next click: browsers need a gesture
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
  }
}
