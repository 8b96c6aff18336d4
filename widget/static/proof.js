// Proofs of visit (R10): the visitor's request, and the printable sheet, shared by the
// widget and the /verify page. A name never leaves the device: only a commitment
// (SHA-256 of "<salt>:<name>", as server/core/attestation.py checks) is sent.
// Every text is set with textContent; the QR code is drawn from segno's matrix.

const SVG = "http://www.w3.org/2000/svg";

/** 16 random bytes, as 32 hex digits. */
export function newSalt() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The commitment the server signs for a name: hex SHA-256 of "<salt>:<name>". */
export async function commitment(salt, name) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${salt}:${name}`));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The QR code as one SVG path of unit squares, from rows of "0"/"1". */
export function qrSvg(rows, label) {
  const size = rows.length + 8; // a quiet zone of 4 modules around
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.classList.add("qr");
  const back = document.createElementNS(SVG, "rect");
  back.setAttribute("width", String(size));
  back.setAttribute("height", String(size));
  back.setAttribute("fill", "#fff");
  const path = document.createElementNS(SVG, "path");
  let d = "";
  rows.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) if (row[x] === "1") d += `M${x + 4} ${y + 4}h1v1h-1z`;
  });
  path.setAttribute("d", d);
  path.setAttribute("fill", "#000");
  svg.append(back, path);
  return svg;
}

function row(list, term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  list.append(dt, dd);
}

/** What a proof states, as a definition list (plus the name and its check code). */
export function proofFields(t, proof, extra = {}) {
  const list = document.createElement("dl");
  list.className = "proof-fields";
  row(list, t("proof.cite"), proof.cite);
  row(list, t("proof.site"), proof.site);
  row(list, t("proof.pole"), proof.pole);
  row(list, t("proof.date"), proof.date);
  row(list, t("proof.start"), proof.start);
  row(list, t("proof.length"), t(`proof.length.${proof.length}`));
  if (extra.name) {
    row(list, t("proof.name"), extra.name);
    row(list, t("proof.salt"), extra.salt);
  }
  row(list, t("proof.key"), proof.key);
  return list;
}

/** The printable sheet: statement, fields, QR code, signed text, note to the reader. */
export function proofSheet(t, issued, extra = {}) {
  const sheet = document.createElement("article");
  sheet.className = "proof-sheet";
  const title = document.createElement("h3");
  title.textContent = t("proof.title");
  const statement = document.createElement("p");
  statement.textContent = t("proof.statement");
  sheet.append(title, statement, proofFields(t, issued.proof, extra));
  sheet.append(qrSvg(issued.qr, t("proof.qr")));
  const code = document.createElement("p");
  code.className = "proof-code";
  const codeLabel = document.createElement("span");
  codeLabel.textContent = `${t("proof.code")} : `;
  const codeText = document.createElement("code");
  codeText.textContent = issued.attestation;
  code.append(codeLabel, codeText);
  const note = document.createElement("section");
  note.className = "proof-note";
  const heading = document.createElement("h4");
  heading.textContent = t("proof.note.heading");
  note.append(heading);
  for (const key of ["proof.note.name", "proof.note.charter"]) {
    const p = document.createElement("p");
    p.textContent = t(key);
    note.append(p);
  }
  const verify = document.createElement("p");
  verify.textContent = t("proof.note.verify", { url: issued.verify });
  note.append(verify);
  sheet.append(code, note);
  return sheet;
}

/**
 * The widget's panel: `els` holds its elements (panel, openers, form, name, error,
 * sheet, print, close); `token()` the visitor's resume token.
 */
export function setupProof(t, els, token) {
  let opener = null;
  const open = (event) => {
    opener = event.currentTarget;
    els.panel.hidden = false;
    els.heading.focus();
  };
  const close = () => {
    els.panel.hidden = true;
    if (opener) opener.focus();
  };
  for (const button of els.openers) button.addEventListener("click", open);
  els.close.addEventListener("click", close);
  els.panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      close();
    }
  });
  els.print.addEventListener("click", () => window.print()); // proof.css prints the sheet alone
  els.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    els.error.textContent = "";
    const name = els.name.value.trim();
    const salt = name ? newSalt() : null;
    const body = { token: token() || "" };
    if (name) body.name = await commitment(salt, name);
    let reply = null;
    try {
      const response = await fetch("/api/attestation", {
        method: "POST",
        credentials: "omit",
        cache: "no-store",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      reply = await response.json();
      if (!response.ok) throw new Error(reply.error || "");
    } catch (error) {
      const key = `widget.proof.error.${error.message}`;
      els.error.textContent = t(key) === key ? t("widget.proof.error") : t(key);
      return;
    }
    els.form.hidden = true;
    els.sheet.replaceChildren(proofSheet(t, reply, { name, salt }));
    els.sheet.hidden = false;
    els.print.hidden = false;
    els.sheet.focus();
  });
}
