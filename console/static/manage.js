// Manager pages: progressive enhancement only, every form works without it.
// - focus the error summary, so a screen reader hears what to fix first;
// - ask before a destructive action (forms marked data-confirm);
// - print buttons (data-print).

const summary = document.getElementById("error-summary");
if (summary && document.activeElement !== summary) summary.focus();

for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

// A print button (the yearly report): the page's own print stylesheet does the rest.
for (const button of document.querySelectorAll("button[data-print]")) {
  button.addEventListener("click", () => window.print());
}
