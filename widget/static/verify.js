// The /verify page: sends the pasted proof to /api/verify (in the body, never a URL)
// and shows the verdict; the name is checked here, against the signed commitment.
import { commitment, proofFields } from "./proof.js";
import { translator } from "./texts.js";

const $ = (id) => document.getElementById(id);
const catalog = JSON.parse($("parole-i18n").textContent);
const t = translator(catalog, document.documentElement.lang || "fr");
let checked = null; // the proof of the last valid check

async function check(token) {
  $("verify-proof").replaceChildren();
  $("verify-name").hidden = true;
  $("verify-name-result").textContent = "";
  checked = null;
  let reply;
  try {
    const response = await fetch("/api/verify", {
      method: "POST",
      credentials: "omit",
      cache: "no-store",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ attestation: token.trim() }),
    });
    if (!response.ok) throw new Error(String(response.status));
    reply = await response.json();
  } catch {
    $("verify-verdict").textContent = t("verify.error");
    return;
  }
  const verdict = $("verify-verdict");
  verdict.dataset.verdict = reply.verdict;
  if (!reply.proof) {
    verdict.textContent = t("verify.invalid");
    return;
  }
  verdict.textContent = t(`verify.${reply.verdict}`, { cite: reply.proof.cite });
  checked = reply.proof;
  $("verify-proof").append(proofFields(t, reply.proof));
  $("verify-name").hidden = false;
  const form = $("verify-name-form");
  form.hidden = !reply.proof.name;
  if (!reply.proof.name) $("verify-name-result").textContent = t("verify.name.none");
}

$("verify-form").addEventListener("submit", (event) => {
  event.preventDefault();
  check($("verify-token").value);
});

$("verify-file").addEventListener("change", async () => {
  const file = $("verify-file").files[0];
  if (!file) return;
  const text = (await file.text()).slice(0, 4000);
  $("verify-token").value = text.trim();
  check(text);
});

$("verify-name-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!checked || !checked.name) return;
  const made = await commitment($("verify-name-salt").value.trim(), $("verify-name-text").value.trim());
  $("verify-name-result").textContent = t(made === checked.name ? "verify.name.match" : "verify.name.mismatch");
});

// The QR code's link: /verify#<proof>. Read, then dropped from the address bar.
const fromLink = decodeURIComponent(location.hash.slice(1));
if (fromLink) {
  history.replaceState(null, "", location.pathname + location.search);
  $("verify-token").value = fromLink;
  check(fromLink);
}
