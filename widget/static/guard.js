// The identity guard's notice, under a text box of the chat page (the question, the
// reply) and of the console (each conversation's reply); the console imports it as
// ../widget/guard.js.
//
// Before a text goes, `allow(text)` looks for what looks like identity in it
// (protocol/identity.js). If there is any, the text stays in the box and a notice says
// what was found, in plain words, with two buttons: "Remove" cuts what was found and
// gives the box back, without sending; "Send anyway" sends this very text. Editing
// the text or pressing Escape puts the notice away. The notice's text is a live
// region, and the focus goes to "Remove", so keyboard and screen reader users meet it
// where they are.

import { kindsIn, removeAll } from "../protocol/identity.js";

export class IdentityGuard {
  /**
   * @param {object} options
   * @param {HTMLTextAreaElement} options.box the text box watched
   * @param {Element} options.before where the notice goes (it is inserted before it)
   * @param {(key: string, values?: object) => string} options.t the page's catalog
   * @param {string} options.lang the page's language, to list the kinds found
   * @param {string} options.notice catalog key of the notice, given `{what}`
   * @param {() => void} options.sendAnyway sends the box's text again (allow() lets it pass)
   */
  constructor({ box, before, t, lang, notice, sendAnyway }) {
    this.box = box;
    this.t = t;
    this.notice = notice;
    this.list = new Intl.ListFormat(lang, { style: "long", type: "conjunction" });
    this.held = null; // the text the notice is about
    this.confirmed = null; // the text the writer chose to send anyway
    this.element = document.createElement("div");
    this.element.className = "guard";
    this.text = document.createElement("p");
    this.text.className = "guard-text";
    this.text.setAttribute("aria-live", "polite");
    this.actions = document.createElement("div");
    this.actions.className = "row guard-actions";
    this.actions.hidden = true;
    this.remove = button(t("guard.remove"), "secondary small");
    this.anyway = button(t("guard.send"), "link small");
    this.actions.append(this.remove, this.anyway);
    this.element.append(this.text, this.actions);
    before.before(this.element);

    this.remove.addEventListener("click", () => {
      this.box.value = removeAll(this.box.value);
      // As if typed: the page saves its draft and updates `typing`, and the notice goes.
      this.box.dispatchEvent(new Event("input", { bubbles: true }));
      this.box.focus();
    });
    this.anyway.addEventListener("click", () => {
      this.confirmed = this.held;
      this.dismiss();
      this.box.focus();
      sendAnyway();
    });
    this.box.addEventListener("input", () => this.dismiss());
    this.element.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.open) {
        event.preventDefault();
        event.stopPropagation(); // the notice closes, not the panel around it
        this.dismiss();
        this.box.focus();
      }
    });
  }

  get open() {
    return !this.actions.hidden;
  }

  /** Whether `text` may go now; if not, the notice is shown and holds it. */
  allow(text) {
    if (text === this.confirmed) {
      this.confirmed = null;
      return true;
    }
    const kinds = kindsIn(text);
    if (!kinds.length) return true;
    this.held = text;
    const what = this.list.format(kinds.map((kind) => this.t(`guard.kind.${kind}`)));
    this.text.textContent = this.t(this.notice, { what });
    this.actions.hidden = false;
    this.element.classList.add("open");
    this.remove.focus();
    return false;
  }

  /** Put the notice away (the text stays in the box). */
  dismiss() {
    if (!this.open) return;
    this.held = null;
    this.text.textContent = "";
    this.actions.hidden = true;
    this.element.classList.remove("open");
  }
}

function button(label, className) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.textContent = label;
  return element;
}
