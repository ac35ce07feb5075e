// The reply box's banned-phrase check (QA-5): as the agent types, the server names the rules the text breaks.
// A blocked phrase disables Send; a warned one needs the confirmation box ticked. The server checks again on send.
(function () {
  "use strict";
  if (window.replyPhraseCheck) return; // the case panel is redrawn by htmx: listen once
  window.replyPhraseCheck = true;

  let timer = null;
  let checkedText = null; // the text the shown result belongs to
  let result = { matches: [], blocked: false };
  let pending = null;

  function box() { return document.getElementById("reply-body"); }
  function panel() { return document.getElementById("phrase-warning"); }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function render() {
    const warning = panel();
    const textarea = box();
    if (!warning || !textarea) return;
    const list = warning.querySelector("[data-phrase-list]");
    const confirm = warning.querySelector("[data-phrase-confirm]");
    const send = document.querySelector("#reply-form [data-testid=send-reply]");
    list.replaceChildren();
    for (const match of result.matches) {
      const item = document.createElement("li");
      item.className = match.severity === "block" ? "phrase-block" : "phrase-warn";
      const label = match.severity === "block" ? warning.dataset.blockLabel : warning.dataset.warnLabel;
      const rule = document.createElement("span");
      rule.className = "phrase-rule";
      rule.textContent = `${label} “${match.fragment}” (${match.phrase})`;
      item.append(rule, document.createTextNode(`: ${match.reason}`));
      list.append(item);
    }
    const warnedOnly = result.matches.length > 0 && !result.blocked;
    warning.hidden = result.matches.length === 0;
    warning.classList.toggle("is-blocked", result.blocked);
    confirm.hidden = !warnedOnly;
    if (!warnedOnly) confirm.querySelector("input").checked = false;
    if (send) {
      send.disabled = result.blocked;
      send.title = result.blocked ? warning.dataset.blockedTitle : "";
    }
  }

  function check() {
    const textarea = box();
    const warning = panel();
    if (!textarea || !warning) return Promise.resolve();
    const text = textarea.value;
    if (text === checkedText) return Promise.resolve();
    if (!text.trim()) {
      checkedText = text;
      result = { matches: [], blocked: false };
      render();
      return Promise.resolve();
    }
    const body = new URLSearchParams({ text: text });
    pending = fetch(warning.dataset.checkUrl, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (data && box() && box().value === text) {
          checkedText = text;
          result = data;
          render();
        }
      })
      .catch(() => {}) // the server checks again when the reply is sent
      .finally(() => { pending = null; });
    return pending;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  }

  document.addEventListener("input", (event) => {
    if (event.target.id === "reply-body") schedule();
  });
  // Quick phrases are inserted without an input event.
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-insert]")) setTimeout(schedule, 0);
  });
  document.addEventListener("htmx:afterSwap", () => {
    checkedText = null;
    result = { matches: [], blocked: false };
    if (box() && box().value) schedule();
  });

  // Before htmx sends the reply: refuse a blocked phrase, and a warned one without the confirmation.
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (form.id !== "reply-form" || !panel()) return;
      if (box().value !== checkedText) {
        event.preventDefault();
        event.stopImmediatePropagation();
        clearTimeout(timer);
        check().then(() => {
          if (box().value === checkedText && !result.blocked && !needsConfirmation()) form.requestSubmit();
          else render();
        });
        return;
      }
      if (result.blocked || needsConfirmation()) {
        event.preventDefault();
        event.stopImmediatePropagation();
        const confirm = panel().querySelector("[data-phrase-confirm] input");
        if (!result.blocked && confirm) confirm.focus();
      }
    },
    true,
  );

  function needsConfirmation() {
    const confirm = panel() && panel().querySelector("[data-phrase-confirm] input");
    return result.matches.length > 0 && !result.blocked && confirm && !confirm.checked;
  }
})();
