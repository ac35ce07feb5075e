// Keyboard shortcuts and quick-phrase insertion for the desks' queue and case pages.
(function () {
  "use strict";

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

  function insertPhrase(text) {
    const box = document.getElementById("reply-body");
    if (!box) return;
    const start = box.selectionStart ?? box.value.length;
    const end = box.selectionEnd ?? box.value.length;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
  }

  document.addEventListener("click", function (event) {
    const phrase = event.target.closest("[data-insert]");
    if (phrase) {
      event.preventDefault();
      insertPhrase(phrase.dataset.insert);
      // The server checks every inserted phrase against the case again (R3: never sent with holes).
      const used = document.getElementById("reply-phrases");
      if (used && phrase.dataset.phrase) {
        used.value = used.value ? used.value + "," + phrase.dataset.phrase : phrase.dataset.phrase;
      }
    }
  });

  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.id === "reply-body") {
      event.preventDefault();
      const form = document.getElementById("reply-form");
      if (form) form.requestSubmit();
      return;
    }
    if (event.key === "Escape" && typing(target)) {
      target.blur();
      return;
    }
    if (typing(target) || event.ctrlKey || event.metaKey || event.altKey) return;
    switch (event.key) {
      case "n": {
        const form = document.getElementById("take-next-form");
        if (form) {
          event.preventDefault();
          form.requestSubmit();
        }
        break;
      }
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
        const search = document.querySelector(".filters input[type=search]");
        if (search) {
          event.preventDefault();
          search.focus();
        }
        break;
      }
      case "r": {
        const box = document.getElementById("reply-body");
        if (box) {
          event.preventDefault();
          box.focus();
        }
        break;
      }
      case "p": {
        const search = document.getElementById("phrase-search");
        if (search) {
          event.preventDefault();
          search.focus();
        }
        break;
      }
      case "g": {
        const link = document.querySelector("[data-my-queue]");
        if (link) window.location.href = link.getAttribute("href");
        break;
      }
    }
  });

  // After the case panel is replaced, a sent reply leaves an empty box ready for the next one.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "case-panel") {
      const box = document.getElementById("reply-body");
      if (box && document.activeElement === document.body) box.focus();
    }
  });
})();
