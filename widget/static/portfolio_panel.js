// The portfolio's panel in the widget: asks whether this is the visitor's own device
// before anything is stored, creates the portfolio under a recovery code (shown once)
// or a passphrase, unlocks it, lists what is kept by day with its pole, adds notes,
// exports (file, text code, print) and imports. Every text is set with textContent.

import { Portfolio, itemText } from "./portfolio.js";
import { qrSvg } from "./proof.js";
import { qrRows } from "./qr.js";
import * as vault from "./vault.js";

const $ = (id) => document.getElementById(id);
const QR_MAX = 1200; // characters of text code still easy to scan from a screen or a sheet

/**
 * `t` and `lang`: the page's translator and language. `share(text)` sends an item into
 * the conversation (false when not talking); `canShare()` tells whether it may now.
 * Returns what the chat page needs: `keep(item, button)`, `refresh()`, `count()`.
 */
export function setupPortfolio({ t, lang, share, canShare, when }) {
  const portfolio = new Portfolio();
  const day = new Intl.DateTimeFormat(lang, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  const clock = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });
  const openers = [$("pf-open-top"), $("pf-open-ended")];
  let opener = null;
  let waiting = null; // {item, button}: kept as soon as the portfolio is open
  let countdown = null;

  const words = (item) => itemText(item, item.card ? when(item.card) : ""); // as sent and printed
  const say = (text) => ($("pf-status").textContent = text);
  const announce = (text) => ($("pf-announce").textContent = text);
  const error = (text) => ($("pf-error").textContent = text);
  const reason = (e) => {
    const key = `widget.portfolio.error.${e?.code}`;
    return t(key) === key ? t("widget.portfolio.error.storage") : t(key, { seconds: portfolio.wait() });
  };

  function draw() {
    const locked = !portfolio.unlocked;
    $("pf-start").hidden = !locked || Boolean(portfolio.stored);
    $("pf-unlock").hidden = !locked || !portfolio.stored;
    $("pf-open").hidden = locked || !$("pf-code").hidden;
    // Another portfolio is imported into an open one, or opened when none is kept here.
    $("pf-import").hidden = !$("pf-code").hidden || (locked && Boolean(portfolio.stored));
    $("pf-import-heading").textContent = t(locked ? "widget.portfolio.import.heading" : "widget.portfolio.import.more");
    $("pf-pending").hidden = $("pf-pending-unlock").hidden = !waiting;
    if (portfolio.stored && locked) {
      const kind = vault.secretKind(vault.readHeader(portfolio.stored));
      $("pf-unlock-label").textContent = t(`widget.portfolio.unlock.${kind}`);
    }
    for (const button of openers) button.setAttribute("aria-expanded", String(!$("portfolio").hidden));
    if (!locked) drawItems();
    drawEnded();
    for (const button of document.querySelectorAll("button[data-keep]")) mark(button);
  }

  /** A "keep" button says whether its item is in the open portfolio. */
  function mark(button) {
    const kept = portfolio.has(button.dataset.keep);
    button.disabled = kept;
    button.textContent = t(kept ? "widget.portfolio.kept.short" : "widget.portfolio.keep");
    const key = kept ? "widget.portfolio.kept.label" : "widget.portfolio.keep.label";
    button.setAttribute("aria-label", t(key, { name: button.dataset.name || "" }));
  }

  function drawItems() {
    const list = $("pf-items");
    list.replaceChildren();
    const items = [...portfolio.items].reverse(); // newest first
    $("pf-count").textContent = t("widget.portfolio.count", { count: items.length });
    let group = null;
    let label = "";
    for (const item of items) {
      const date = day.format(new Date(item.at));
      if (date !== label) {
        label = date;
        const li = document.createElement("li");
        li.className = "pf-day";
        const heading = document.createElement("h3");
        heading.textContent = date;
        group = document.createElement("ul");
        li.append(heading, group);
        list.append(li);
      }
      group.append(itemLine(item));
    }
    const shared = portfolio.device === "shared";
    $("pf-export-hint").textContent = t(shared ? "widget.portfolio.export.shared" : "widget.portfolio.storage");
    $("pf-show-code").disabled = !portfolio.envelope || vault.textCode(portfolio.envelope) === null;
  }

  function itemLine(item) {
    const li = document.createElement("li");
    li.className = "pf-item";
    const meta = document.createElement("p");
    meta.className = "pf-meta";
    const parts = [t(`widget.portfolio.kind.${item.kind}`), clock.format(new Date(item.at))];
    if (item.pole) parts.push(item.pole);
    if (item.author) parts.push(item.author);
    meta.textContent = parts.join(" · ");
    const body = document.createElement("p");
    body.className = "pf-text";
    body.textContent = words(item);
    const actions = document.createElement("div");
    actions.className = "row";
    const name = item.card?.title || [...itemText(item)].slice(0, 40).join("");
    if (canShare()) {
      const send = document.createElement("button");
      send.type = "button";
      send.className = "secondary small";
      send.textContent = t("widget.portfolio.share");
      send.setAttribute("aria-label", t("widget.portfolio.share.label", { name }));
      send.addEventListener("click", () => {
        if (share(words(item))) say(t("widget.portfolio.shared", { name }));
      });
      actions.append(send);
    }
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link small";
    remove.textContent = t("widget.portfolio.remove");
    remove.setAttribute("aria-label", t("widget.portfolio.remove.label", { name }));
    remove.addEventListener("click", () =>
      guarded(async () => {
        await portfolio.remove(item.id);
        say(t("widget.portfolio.removed", { name }));
        draw();
        $("pf-heading").focus();
      }),
    );
    actions.append(remove);
    li.append(meta, body, actions);
    return li;
  }

  /** At the end of a conversation: take the portfolio away (the browser may clear it). */
  function drawEnded() {
    const n = portfolio.items.length;
    const locked = !portfolio.unlocked;
    $("ended-portfolio").hidden = locked ? !portfolio.stored : n === 0;
    let key = portfolio.device === "shared" ? "widget.portfolio.ended.shared" : "widget.portfolio.ended";
    if (locked) key = "widget.portfolio.ended.locked";
    $("ended-portfolio-text").textContent = t(key, { count: n });
  }

  /** Run `act`; a refusal becomes a clear message and changes nothing else. */
  async function guarded(act) {
    error("");
    try {
      await act();
      return true;
    } catch (e) {
      error(reason(e));
      if (e?.code === "secret" || e?.code === "wait") slowDown();
      return false;
    }
  }

  /** After wrong secrets, the unlock and import buttons wait, saying how long. */
  function slowDown() {
    const buttons = [$("pf-unlock"), $("pf-import")].map((form) => form.querySelector("[type=submit]"));
    clearInterval(countdown);
    const tick = () => {
      const left = portfolio.wait();
      for (const button of buttons) button.disabled = left > 0;
      if (left === 0) clearInterval(countdown);
    };
    tick();
    countdown = setInterval(tick, 1000);
  }

  async function afterOpen() {
    if (waiting) {
      const { item, button } = waiting;
      waiting = null;
      await keep(item, button);
    }
    draw();
  }

  function device() {
    return document.querySelector("input[name=pf-device]:checked")?.value || null;
  }

  // --- opening and closing the panel ----------------------------------------------------
  function open(event, focus = $("pf-heading")) {
    opener = event?.currentTarget || opener;
    $("portfolio").hidden = false;
    draw();
    focus.focus();
  }

  function close() {
    $("portfolio").hidden = true;
    draw();
    (opener || $("pf-open-top")).focus();
  }

  $("pf-open-top").addEventListener("click", (e) => ($("portfolio").hidden ? open(e) : close()));
  $("pf-open-ended").addEventListener("click", (e) => open(e, portfolio.unlocked ? $("pf-export-heading") : $("pf-heading")));
  $("pf-close").addEventListener("click", close);
  $("portfolio").addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      close();
    }
  });

  // --- creating -------------------------------------------------------------------------
  for (const radio of document.querySelectorAll("input[name=pf-device]")) {
    radio.addEventListener("change", () => ($("pf-shared-note").hidden = device() !== "shared"));
  }
  for (const radio of document.querySelectorAll("input[name=pf-kind]")) {
    radio.addEventListener("change", () => ($("pf-pass-fields").hidden = !$("pf-kind-passphrase").checked));
  }
  $("pf-create").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      const where = device();
      if (!where) throw new vault.VaultError("device");
      if ($("pf-kind-passphrase").checked) {
        const pass = $("pf-pass").value;
        if ([...pass].length < vault.PASSPHRASE_MIN) throw new vault.VaultError("passphrase_short");
        if (pass !== $("pf-pass2").value) throw new vault.VaultError("passphrase_differs");
        await portfolio.create("passphrase", pass, where);
        $("pf-pass").value = $("pf-pass2").value = "";
        say(t("widget.portfolio.created"));
        await afterOpen();
        $("pf-heading").focus();
        return;
      }
      const code = vault.newCode();
      await portfolio.create("code", code, where);
      // Shown once: the page keeps only the key it made from it.
      $("pf-code-text").textContent = code;
      $("pf-code").hidden = false;
      await afterOpen();
      $("pf-code-text").focus();
    });
  });
  $("pf-code-done").addEventListener("click", () => {
    $("pf-code-text").textContent = "";
    $("pf-code").hidden = true;
    say(t("widget.portfolio.created"));
    draw();
    $("pf-heading").focus();
  });

  // --- unlocking, locking, forgetting ---------------------------------------------------
  $("pf-unlock").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      await portfolio.unlock($("pf-unlock-secret").value);
      $("pf-unlock-secret").value = "";
      say(t("widget.portfolio.unlocked", { count: portfolio.items.length }));
      await afterOpen();
      $("pf-heading").focus();
    });
  });
  $("pf-lock").addEventListener("click", () => {
    portfolio.lock();
    if (!portfolio.stored) portfolio.envelope = null; // a shared device keeps nothing
    say(t("widget.portfolio.locked"));
    draw();
    $("pf-heading").focus();
  });
  $("pf-forget").addEventListener("click", () => {
    $("pf-forget-confirm").hidden = false;
    $("pf-forget-no").focus();
  });
  $("pf-forget-no").addEventListener("click", () => {
    $("pf-forget-confirm").hidden = true;
    $("pf-forget").focus();
  });
  $("pf-forget-yes").addEventListener("click", () =>
    guarded(async () => {
      await portfolio.forget();
      $("pf-forget-confirm").hidden = true;
      say(t("widget.portfolio.forgotten"));
      draw();
      $("pf-heading").focus();
    }),
  );

  // --- notes ----------------------------------------------------------------------------
  $("pf-note").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("pf-note-text").value.trim();
    if (!text) return;
    guarded(async () => {
      await portfolio.keep({ id: `note-${crypto.randomUUID()}`, kind: "note", at: Date.now(), pole: "", author: "", text });
      $("pf-note-text").value = "";
      say(t("widget.portfolio.noted"));
      draw();
    });
  });

  // --- export and import ----------------------------------------------------------------
  $("pf-download").addEventListener("click", () => {
    if (!portfolio.envelope) return;
    const blob = new Blob([vault.fileText(portfolio.envelope)], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `portfolio-${new Date().toISOString().slice(0, 10)}.parole`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    say(t("widget.portfolio.downloaded"));
  });
  $("pf-show-code").addEventListener("click", () => {
    const box = $("pf-text-code-box");
    box.hidden = !box.hidden;
    $("pf-show-code").setAttribute("aria-expanded", String(!box.hidden));
    const code = box.hidden ? "" : vault.textCode(portfolio.envelope) || "";
    $("pf-text-code").value = code;
    // Drawn here, from the code itself: it never goes to the server to be made.
    const rows = code && code.length <= QR_MAX ? qrRows(code) : null;
    $("pf-qr").replaceChildren(...(rows ? [qrSvg(rows, t("widget.portfolio.qr"))] : []));
    $("pf-qr-note").textContent = code ? t(rows ? "widget.portfolio.qr.hint" : "widget.portfolio.qr.long") : "";
    if (!box.hidden) $("pf-text-code").focus();
  });
  $("pf-text-code").addEventListener("focus", () => $("pf-text-code").select());
  $("pf-print").addEventListener("click", () => {
    const sheet = $("pf-sheet");
    const title = document.createElement("h2");
    title.textContent = t("widget.portfolio.sheet.title");
    const note = document.createElement("p");
    note.textContent = t("widget.portfolio.sheet.note", { date: day.format(new Date()) });
    const list = document.createElement("ol");
    for (const item of portfolio.items) {
      const li = document.createElement("li");
      const meta = document.createElement("p");
      meta.className = "pf-meta";
      meta.textContent = [day.format(new Date(item.at)), clock.format(new Date(item.at)), item.pole, item.author]
        .filter(Boolean)
        .join(" · ");
      const body = document.createElement("p");
      body.className = "pf-text";
      body.textContent = words(item);
      li.append(meta, body);
      list.append(li);
    }
    sheet.replaceChildren(title, note, list);
    document.body.dataset.print = "portfolio"; // portfolio.css prints the sheet alone
    window.print();
    delete document.body.dataset.print;
    sheet.replaceChildren(); // the decrypted items stay in the panel only
  });
  $("pf-import").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      const file = $("pf-file").files[0];
      if (file && file.size > vault.MAX_FILE) throw new vault.VaultError("not_portfolio");
      const text = file ? await file.text() : $("pf-import-code").value;
      if (!text.trim()) throw new vault.VaultError("nothing");
      const where = portfolio.unlocked ? portfolio.device : device();
      if (!where) throw new vault.VaultError("device");
      const before = portfolio.items.length;
      const merging = portfolio.unlocked;
      await portfolio.importText(text, $("pf-import-secret").value, where);
      $("pf-import").reset();
      say(
        merging
          ? t("widget.portfolio.imported.more", { count: portfolio.items.length - before })
          : t("widget.portfolio.unlocked", { count: portfolio.items.length }),
      );
      await afterOpen();
      $("pf-heading").focus();
    });
  });

  // --- keeping from the conversation ----------------------------------------------------
  /** Keep `item`; `button` (its "keep" button) then says it is kept. Opens the panel if locked. */
  async function keep(item, button) {
    if (!portfolio.unlocked) {
      waiting = { item, button };
      open({ currentTarget: button });
      return;
    }
    const ok = await guarded(() => portfolio.keep(item));
    if (!ok) return open({ currentTarget: button });
    announce(t("widget.portfolio.kept"));
    draw(); // marks its button, and any other of the same item
  }

  portfolio.load().then(draw);
  $("pf-open-top").hidden = false; // shown once it works (a slow line runs the scripts late)
  return {
    keep,
    /** A new "keep" button (with data-keep and data-name): drawn as kept or not. */
    mark,
    refresh: draw,
  };
}
