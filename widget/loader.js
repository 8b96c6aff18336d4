// Parole's launcher; the chat runs in an iframe on Parole's origin. 4 KB budget.
(() => {
  const me = document.currentScript;
  if (!me?.src) return;
  const origin = new URL(me.src).origin;
  const d = me.dataset;
  const label = d.label || "Parler à un conseiller";
  const KEY = "parole:active";
  const css = `:host{all:initial}
.l{position:fixed;right:16px;bottom:16px;z-index:2147483646;display:flex;align-items:center;gap:8px;min-height:48px;padding:10px 18px;border:2px solid #fff;border-radius:24px;background:#1d4f91;color:#fff;font:600 16px/1.2 system-ui,sans-serif;cursor:pointer;box-shadow:0 2px 8px #0004}
.l:hover{background:#163d70}.l:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
.l::before{content:"";width:20px;height:16px;border-radius:7px 7px 7px 0;background:currentColor}
.b{min-width:22px;padding:2px 6px;border-radius:11px;background:#fff;color:#1d4f91;font-size:14px;text-align:center}
[hidden]{display:none}
.p{position:fixed;right:16px;bottom:80px;z-index:2147483647;width:380px;height:min(620px,calc(100vh - 96px));border:1px solid #8a94a6;border-radius:12px;overflow:hidden;box-shadow:0 4px 24px #0005}
.p iframe{display:block;width:100%;height:100%;border:0}
@media (max-width:599px){.p{inset:0;width:100%;height:100%;border:0;border-radius:0}}`;
  const el = (tag, cls) => Object.assign(document.createElement(tag), cls && { className: cls });
  const host = el("div");
  const root = host.attachShadow({ mode: "open" });
  if ("adoptedStyleSheets" in root) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else root.append(Object.assign(el("style"), { textContent: css }));
  const button = el("button", "l");
  button.setAttribute("aria-expanded", "false");
  const badge = el("span", "b");
  const panel = el("div", "p");
  badge.hidden = panel.hidden = true;
  button.append(label, badge);
  root.append(button, panel);
  let frame, active;
  const store = (f, ...a) => {
    try {
      return sessionStorage[f](KEY, ...a);
    } catch (_) {}
  };
  const want = () => (/^#parole=([a-z0-9-]{1,64})$/.exec(location.hash) || [])[1];
  const post = (type) => frame && frame.contentWindow.postMessage({ type, pole: want() }, origin);
  const load = () => {
    if (frame) return;
    const q = { site: d.site || "", host: location.origin, lang: d.lang || navigator.language || "fr" };
    frame = el("iframe");
    frame.title = d.title || "Parole : discussion anonyme avec un conseiller";
    frame.src = `${origin}/chat?${new URLSearchParams(q)}`;
    frame.onload = () => post(panel.hidden ? "parole:hidden" : "parole:shown");
    panel.append(frame);
  };
  const show = (on) => {
    load();
    panel.hidden = !on;
    button.setAttribute("aria-expanded", on);
    post(on ? "parole:shown" : "parole:hidden");
    if (active) store("setItem", on ? "open" : "closed");
  };
  const close = () => panel.hidden || (show(false), button.focus());
  button.onclick = () => (panel.hidden ? (show(true), frame.focus()) : close());
  addEventListener("keydown", (e) => e.key === "Escape" && close());
  addEventListener("message", (e) => {
    if (e.origin !== origin || !frame || e.source !== frame.contentWindow) return;
    const m = e.data || {};
    if (m.type === "parole:close") close();
    if (m.type === "parole:unread") {
      const n = Math.max(0, Math.min(99, m.count | 0));
      badge.textContent = n || "";
      badge.hidden = !n;
      if (n && m.label) button.setAttribute("aria-label", `${label} (${String(m.label).slice(0, 80)})`);
      else button.removeAttribute("aria-label");
    }
    if (m.type === "parole:active") {
      active = !!m.active;
      store(active ? "setItem" : "removeItem", panel.hidden ? "closed" : "open");
    }
  });
  (document.body || document.documentElement).append(host);
  const go = () => want() && (panel.hidden ? button.onclick() : post("parole:shown"));
  addEventListener("hashchange", go);
  const was = store("getItem");
  if (was) (active = true), was === "closed" ? show(false) : button.onclick();
  go();
})();
