// Keyboard shortcuts, the quick-phrase picker and popover placement for the desks' queue and case pages.
// The keys are listed for agents in templates/desk/shortcuts.html (press ?).
(function () {
  "use strict";

  const MARGIN = 8; // px a popup keeps from the window's edges

  function typing(target) {
    const tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function rows() {
    return Array.from(document.querySelectorAll("table.queue-table tbody tr.clickable"));
  }

  function select(delta) {
    const all = rows();
    if (!all.length) return;
    let index = all.findIndex((row) => row.classList.contains("is-selected"));
    if (index >= 0) all[index].classList.remove("is-selected");
    index = Math.min(Math.max(index + delta, 0), all.length - 1);
    all[index].classList.add("is-selected");
    all[index].scrollIntoView({ block: "nearest" });
  }

  const byId = (id) => document.getElementById(id);

  // --- the quick-phrase picker: p, or "/keyword" typed in the reply box --------------------------------------------

  // While the picker follows a "/keyword" typed in the reply box: where that "/" is. Null when opened with p.
  let slash = null;
  let loading = false; // a search is on its way: Enter waits for its answer
  let enterWhenLoaded = false;

  // "/" starts a keyword at the start of the text, after a space, or after Chinese text or punctuation (not in a URL).
  const SLASH_KEYWORD = /(^|[\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])\/([^\s/]*)$/;

  function pickerOpen() {
    const picker = byId("phrase-picker");
    return Boolean(picker && !picker.hidden);
  }

  function choices() {
    return Array.from(document.querySelectorAll("#phrase-list .phrase[role=option]")).filter(
      (option) => !option.classList.contains("phrase-na") && !option.disabled,
    );
  }

  function highlighted() {
    return document.querySelector("#phrase-list .phrase.is-active");
  }

  function highlight(option) {
    document.querySelectorAll("#phrase-list .phrase.is-active").forEach((old) => {
      old.classList.remove("is-active");
      old.setAttribute("aria-selected", "false");
    });
    const search = byId("phrase-search");
    const box = byId("reply-body");
    if (search) search.removeAttribute("aria-activedescendant");
    if (box) box.removeAttribute("aria-activedescendant");
    if (!option) return;
    option.classList.add("is-active");
    option.setAttribute("aria-selected", "true");
    option.scrollIntoView({ block: "nearest" });
    // The focused field names the highlighted option: the search after p, the reply box while typing "/keyword".
    const owner = slash ? box : search;
    if (owner) owner.setAttribute("aria-activedescendant", option.id);
  }

  function move(delta) {
    const all = choices();
    if (!all.length) return;
    let index = all.indexOf(highlighted());
    if (index < 0) index = delta > 0 ? 0 : all.length - 1;
    else index = Math.min(Math.max(index + delta, 0), all.length - 1);
    highlight(all[index]);
  }

  function search(query) {
    const field = byId("phrase-search");
    if (!field) return;
    if (field.value === query && !loading && choices().length) {
      if (!highlighted()) highlight(choices()[0]);
      return;
    }
    field.value = query;
    highlight(null);
    loading = true;
    if (window.htmx) window.htmx.trigger(field, "search");
  }

  function openPicker(query, fromSlash) {
    const picker = byId("phrase-picker");
    if (!picker) return;
    slash = fromSlash;
    picker.hidden = false;
    document.querySelectorAll("[data-phrase-open]").forEach((b) => b.setAttribute("aria-expanded", "true"));
    const box = byId("reply-body");
    if (box) {
      box.setAttribute("aria-controls", "phrase-list");
      box.setAttribute("aria-expanded", "true");
    }
    search(query);
    if (!fromSlash) byId("phrase-search").focus();
    placePicker();
  }

  function closePicker(focusReply) {
    const picker = byId("phrase-picker");
    if (!picker) return;
    picker.hidden = true;
    slash = null;
    enterWhenLoaded = false;
    highlight(null);
    document.querySelectorAll("[data-phrase-open]").forEach((b) => b.setAttribute("aria-expanded", "false"));
    const box = byId("reply-body");
    if (box) box.setAttribute("aria-expanded", "false");
    if (focusReply && box) box.focus();
  }

  // Beside the reply box: above it when there is room (the reply box sits low), below it otherwise.
  function placePicker() {
    const picker = byId("phrase-picker");
    const box = byId("reply-body");
    if (!picker || picker.hidden || !box) return;
    picker.classList.remove("is-below");
    const rect = picker.getBoundingClientRect();
    if (rect.top < MARGIN) picker.classList.add("is-below");
  }

  function insertText(text) {
    const box = byId("reply-body");
    if (!box) return;
    let start = box.selectionStart ?? box.value.length;
    const end = box.selectionEnd ?? box.value.length;
    if (slash) start = slash.start; // replaces the "/keyword" just typed
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function choose(option) {
    if (!option || option.classList.contains("phrase-na") || option.disabled || !option.dataset.insert) return;
    insertText(option.dataset.insert);
    // The server checks every inserted phrase against the case again (R3: never sent with holes).
    const used = byId("reply-phrases");
    if (used && option.dataset.phrase) {
      used.value = used.value ? used.value + "," + option.dataset.phrase : option.dataset.phrase;
    }
    closePicker(true);
  }

  // The reply box follows "/keyword": the picker opens, filters as the keyword grows, and closes when it ends.
  function followSlash(box) {
    const before = box.value.slice(0, box.selectionStart);
    const match = before.match(SLASH_KEYWORD);
    if (match) {
      const keyword = match[2];
      const start = before.length - keyword.length - 1;
      if (!pickerOpen() || !slash || slash.start !== start) openPicker(keyword, { start: start });
      else search(keyword);
    } else if (slash) {
      closePicker(false);
    }
  }

  document.addEventListener("input", function (event) {
    if (event.target.id === "reply-body" && !event.isComposing) followSlash(event.target);
    if (event.target.id === "phrase-search") {
      loading = true;
      highlight(null);
    }
    // A checked refund or compensation stands for the amount checked: a new amount needs a new check.
    const check = event.target.closest && event.target.closest("[data-payout-check]");
    if (check) check.querySelectorAll("[data-payout-slot]").forEach((slot) => (slot.innerHTML = ""));
  });

  document.addEventListener("compositionend", function (event) {
    if (event.target.id === "reply-body") followSlash(event.target);
  });

  // The caret moved away from "/keyword" (keys or a click): the picker follows it, or closes.
  const CARET_KEYS = ["ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"];
  document.addEventListener("keyup", function (event) {
    if (event.target.id === "reply-body" && slash && CARET_KEYS.includes(event.key)) followSlash(event.target);
  });
  document.addEventListener("mouseup", function (event) {
    if (event.target.id === "reply-body" && slash) followSlash(event.target);
  });

  // After settling: htmx settles the class of options whose id it saw before, which would undo an earlier highlight.
  document.addEventListener("htmx:afterSettle", function (event) {
    const target = event.detail.target;
    if (target && target.id === "phrase-list") {
      loading = false;
      if (pickerOpen()) {
        highlight(choices()[0] || null);
        placePicker();
        if (enterWhenLoaded) {
          enterWhenLoaded = false;
          choose(highlighted());
        }
      }
    }
  });

  document.addEventListener("click", function (event) {
    const opener = event.target.closest("[data-phrase-open]");
    if (opener) {
      event.preventDefault();
      if (pickerOpen()) closePicker(true);
      else openPicker("", false);
      return;
    }
    const phrase = event.target.closest("[data-insert]");
    if (phrase) {
      event.preventDefault();
      choose(phrase);
      return;
    }
    const cancel = event.target.closest("[data-payout-cancel]");
    if (cancel) {
      const form = cancel.closest("[data-payout-check]");
      const slot = cancel.closest("[data-payout-slot]");
      if (slot) slot.innerHTML = "";
      const amount = form && form.querySelector("input[name=amount]");
      if (amount) amount.focus();
      return;
    }
    if (pickerOpen() && !event.target.closest("#phrase-picker") && event.target.id !== "reply-body") closePicker(false);
  });

  // Keys inside the picker: arrows move, Enter inserts, Escape closes (back to the reply box). Enter never sends.
  function pickerKeys(event) {
    const inPicker = event.target.id === "phrase-search";
    const inReply = event.target.id === "reply-body" && slash;
    if (!pickerOpen() || !(inPicker || inReply) || event.isComposing) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(event.key === "ArrowDown" ? 1 : -1);
      return true;
    }
    if (event.key === "Enter" && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      if (loading) enterWhenLoaded = true;
      else choose(highlighted());
      return true;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      closePicker(true);
      return true;
    }
    return false;
  }

  // --- closing in one key ---------------------------------------------------------------------------------------

  // c: close and take the next case. A resolved case closes at once (after the desk's confirmation); an unresolved
  // one opens the close form for the reason, and Enter there closes and takes the next.
  function closeAndTakeNext() {
    const button = document.querySelector("[data-close-next]");
    if (!button) return false;
    const popover = button.closest("details");
    if (!popover) {
      button.click();
      return true;
    }
    popover.open = true;
    popover.dataset.nextOnEnter = "1";
    const reason = popover.querySelector("input[name=note]");
    if (reason) reason.focus();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (pickerKeys(event)) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.id === "reply-body") {
      event.preventDefault();
      // Clicking the button (not requestSubmit) lets htmx send to the button's own address (send and close).
      const form = byId("reply-form");
      const button = form && form.querySelector(event.shiftKey ? "[data-send-close]" : "[data-testid=send-reply]");
      if (button) button.click();
      return;
    }
    if (event.key === "Enter" && target.name === "note") {
      const popover = target.closest("details[data-next-on-enter]");
      const next = popover && popover.querySelector("[data-close-next]");
      if (next) {
        event.preventDefault();
        next.click();
        return;
      }
    }
    if (event.key === "Escape") {
      // A checked payout's question first: Escape answers "no" and goes back to the amount.
      const check = target.closest && target.closest("[data-payout-check]");
      const asked = check && check.querySelector("[data-payout-slot]:not(:empty)");
      if (asked) {
        asked.innerHTML = "";
        const amount = check.querySelector("input[name=amount]");
        if (amount) amount.focus();
        return;
      }
      const popover = target.closest && target.closest("details.popover[open]");
      if (popover) {
        popover.open = false;
        const summary = popover.querySelector("summary");
        if (summary) summary.focus();
        return;
      }
      if (typing(target)) {
        target.blur();
        return;
      }
    }
    if (typing(target) || event.ctrlKey || event.metaKey || event.altKey) return;
    switch (event.key) {
      case "n": {
        const form = byId("take-next-form");
        if (form) {
          event.preventDefault();
          form.requestSubmit();
        }
        break;
      }
      case "c":
        if (closeAndTakeNext()) event.preventDefault();
        break;
      case "j":
        event.preventDefault();
        select(1);
        break;
      case "k":
        event.preventDefault();
        select(-1);
        break;
      case "Enter": {
        const row = document.querySelector("table.queue-table tr.is-selected");
        if (row && row.dataset.href) {
          event.preventDefault();
          row.click();
        }
        break;
      }
      case "/": {
        const field = document.querySelector(".filters input[type=search]");
        if (field) {
          event.preventDefault();
          field.focus();
        }
        break;
      }
      case "r": {
        const box = byId("reply-body");
        if (box) {
          event.preventDefault();
          box.focus();
        }
        break;
      }
      case "p":
        if (byId("phrase-picker")) {
          event.preventDefault();
          openPicker("", false);
        }
        break;
      case "g": {
        const link = document.querySelector("[data-my-queue]");
        if (link) window.location.href = link.getAttribute("href");
        break;
      }
    }
  });

  // --- popovers stay inside the window ----------------------------------------------------------------------------

  // An opened popover below its button flips above it when the window ends first, and shifts sideways to stay in.
  function fitPopover(details) {
    const body = details.querySelector(":scope > .popover-body");
    if (!body || !details.open) return;
    body.style.left = body.style.right = body.style.top = body.style.bottom = body.style.maxHeight = "";
    body.style.overflowY = "";
    if (getComputedStyle(body).position !== "absolute") return; // drawn in the flow (the row of resolutions)
    const width = document.documentElement.clientWidth;
    const height = document.documentElement.clientHeight;
    const button = details.querySelector(":scope > summary").getBoundingClientRect();
    let rect = body.getBoundingClientRect();
    if (rect.bottom > height - MARGIN) {
      const above = button.top - MARGIN;
      const below = height - MARGIN - button.bottom;
      if (above > below) {
        body.style.top = "auto";
        body.style.bottom = "calc(100% + 6px)";
        if (rect.height > above) body.style.maxHeight = above - 6 + "px";
      } else {
        body.style.maxHeight = below - 6 + "px";
      }
      body.style.overflowY = "auto";
    }
    rect = body.getBoundingClientRect();
    const left = rect.left - details.getBoundingClientRect().left;
    if (rect.right > width - MARGIN) {
      body.style.right = "auto";
      body.style.left = left - (rect.right - (width - MARGIN)) + "px";
      rect = body.getBoundingClientRect();
    }
    if (rect.left < MARGIN) {
      body.style.right = "auto";
      body.style.left = left + (MARGIN - rect.left) + "px";
    }
  }

  function floats(details) {
    const body = details.querySelector(":scope > .popover-body");
    return Boolean(body) && getComputedStyle(body).position === "absolute";
  }

  // "toggle" does not bubble: listen while it goes down (capture).
  document.addEventListener(
    "toggle",
    function (event) {
      const details = event.target;
      if (!details.matches || !details.matches("details.popover")) return;
      // One floating popover at a time: opening one closes the others (the inline ones of the resolutions stay).
      if (details.open && floats(details)) {
        document.querySelectorAll("details.popover[open]").forEach((other) => {
          if (other !== details && floats(other)) other.open = false;
        });
      }
      fitPopover(details);
    },
    true,
  );
  window.addEventListener("resize", function () {
    document.querySelectorAll("details.popover[open]").forEach(fitPopover);
    placePicker();
  });

  function refusedForm() {
    const reasons = document.querySelector("#case-panel [data-refused]");
    return reasons && reasons.closest("form");
  }

  document.addEventListener("htmx:afterSettle", function () {
    const form = refusedForm();
    const reasons = form && form.querySelector("[data-refused]");
    if (!reasons || reasons.dataset.shown) return; // once: later settles (the live timeline) leave the agent be
    reasons.dataset.shown = "1";
    reasons.scrollIntoView({ block: "center" });
    // The field refused (Django marks it aria-invalid), else the form's first.
    const field =
      form.querySelector("[aria-invalid=true]") || form.querySelector("input:not([type=hidden]), select, textarea");
    if (field) field.focus({ preventScroll: true });
  });

  // After the case panel is replaced, a sent reply leaves an empty box ready for the next one.
  document.addEventListener("htmx:afterSwap", function (event) {
    const target = event.detail.target;
    if (target && target.id === "case-panel") {
      slash = null;
      // A refused form came back as it was typed, with its reasons: the agent is taken there once the panel settled
      // (below), not to the reply box.
      const box = byId("reply-body");
      if (box && !refusedForm() && document.activeElement === document.body) box.focus();
    }
    // A checked amount's dialog grew its popover: place it again.
    const popover = target && target.closest && target.closest("details.popover[open]");
    if (popover) fitPopover(popover);
  });
})();
