/*
 * Small behaviours every back-office page shares. No framework: htmx does the requests.
 *
 * - "?" opens the keyboard-shortcuts dialog (not while typing); Esc closes dialogs and menus.
 * - [data-open-dialog="id"] buttons open the <dialog> with that id.
 * - [data-countdown="<ISO datetime>"] shows a live countdown in the page's language and units (剩 2分15秒,
 *   已超时 1天3小时) with an sla-* class (sla-ok > 30 min left, sla-warn < 30 min, sla-due < 5 min, sla-over past it).
 * - [data-elapsed-since="<ISO datetime>"] shows the live time since then (已等 3分12秒).
 * - form[data-confirm="text"] (or a submit button with data-confirm) asks confirm() before submitting.
 * - tr[data-href] rows open their link when clicked (Ctrl/⌘-click opens a new tab).
 * - Flash bars close with their × button; success and info bars fade out by themselves.
 * - htmx requests that fail show a flash bar instead of failing silently.
 * - select[data-autosubmit] submits its form when changed; a[data-history-back] goes back (its href if no history).
 * - [data-bar-width="37"] sets a bar's width in percent (the Content-Security-Policy allows no style="" attribute).
 *
 * The Content-Security-Policy allows no inline script: behaviour lives in static files like this one, and
 * templates hand it data in data-* attributes.
 */
(function () {
  "use strict";

  var SLA_CLASSES = ["sla-ok", "sla-warn", "sla-due", "sla-over"];
  var WARN_MS = 30 * 60 * 1000;
  var DUE_MS = 5 * 60 * 1000;
  var FLASH_FADE_MS = 6000;

  // The agent's PC clock may be off; count down against the server's clock instead.
  var clockOffsetMs = 0;

  function parseTime(value) {
    if (!value) return NaN;
    var ms = Date.parse(value);
    if (isNaN(ms)) {
      // Django's "c" format may carry microseconds; keep milliseconds only.
      ms = Date.parse(String(value).replace(/(\.\d{3})\d+/, "$1"));
    }
    return ms;
  }

  // The two largest units that matter: 2分15秒 under an hour, 3小时5分 under a day, 2天5小时 beyond (a deadline
  // days away needs no seconds). Unit words come from the page (#js-strings), in its language.
  function formatDuration(ms) {
    var total = Math.floor(Math.abs(ms) / 1000);
    var days = Math.floor(total / 86400);
    var hours = Math.floor((total % 86400) / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var seconds = total % 60;
    var parts = days ? [[days, "d"], [hours, "h"]] : hours ? [[hours, "h"], [minutes, "min"]] : [[minutes, "min"], [seconds, "s"]];
    var text = "";
    for (var i = 0; i < parts.length; i++) {
      if (!parts[i][0] && (text || i < parts.length - 1)) continue;
      var word = jsString("unit-" + parts[i][1], "%(n)s " + parts[i][1]).replace("%(n)s", parts[i][0]);
      // Chinese units need no space between them; Latin ones do.
      text += text && /[A-Za-z]$/.test(text) ? " " + word : word;
    }
    return text;
  }

  function formatRemaining(ms) {
    var template = ms < 0 ? jsString("sla-over", "overdue %(time)s") : jsString("sla-left", "%(time)s left");
    return template.replace("%(time)s", formatDuration(ms));
  }

  function slaClass(ms) {
    if (ms < 0) return "sla-over";
    if (ms < DUE_MS) return "sla-due";
    if (ms < WARN_MS) return "sla-warn";
    return "sla-ok";
  }

  function setBarWidths(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var bars = scope.querySelectorAll("[data-bar-width]");
    for (var i = 0; i < bars.length; i++) {
      var pct = parseFloat(bars[i].getAttribute("data-bar-width"));
      if (isNaN(pct)) continue;
      bars[i].style.width = Math.max(0, Math.min(100, pct)) + "%";
    }
  }

  function updateCountdowns(root) {
    var now = Date.now() + clockOffsetMs;
    var scope = root && root.querySelectorAll ? root : document;
    var nodes = scope.querySelectorAll("[data-countdown]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var due = parseTime(el.getAttribute("data-countdown"));
      if (isNaN(due)) continue;
      var left = due - now;
      var text = formatRemaining(left);
      if (el.textContent !== text) el.textContent = text;
      var wanted = slaClass(left);
      for (var j = 0; j < SLA_CLASSES.length; j++) {
        var cls = SLA_CLASSES[j];
        if (cls === wanted) el.classList.add(cls);
        else el.classList.remove(cls);
      }
    }
    var since = scope.querySelectorAll("[data-elapsed-since]");
    for (var k = 0; k < since.length; k++) {
      var start = parseTime(since[k].getAttribute("data-elapsed-since"));
      if (isNaN(start)) continue;
      var waited = jsString("elapsed", "waiting %(time)s").replace("%(time)s", formatDuration(now - start));
      if (since[k].textContent !== waited) since[k].textContent = waited;
    }
  }

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    if (target.isContentEditable) return true;
    var tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select") return true;
    if (tag !== "input") return false;
    var type = (target.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset", "range", "color", "file", "image"].indexOf(type) === -1;
  }

  function openDialog(dialog) {
    if (!dialog || dialog.open) return;
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
  }

  function closeDialog(dialog) {
    if (!dialog || !dialog.open) return;
    if (typeof dialog.close === "function") dialog.close();
    else dialog.removeAttribute("open");
  }

  function closeMenus(except) {
    var menus = document.querySelectorAll("details[data-menu][open]");
    for (var i = 0; i < menus.length; i++) {
      if (menus[i] !== except) menus[i].removeAttribute("open");
    }
  }

  function jsString(name, fallback) {
    var holder = document.getElementById("js-strings");
    return (holder && holder.getAttribute("data-" + name)) || fallback;
  }

  function dismissFlash(flash) {
    if (!flash || flash.classList.contains("is-leaving")) return;
    flash.classList.add("is-leaving");
    setTimeout(function () {
      if (flash.parentNode) flash.parentNode.removeChild(flash);
    }, 200);
  }

  function scheduleFlashFade(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var flashes = scope.querySelectorAll(".flash-success:not([data-fading]), .flash-info:not([data-fading])");
    for (var i = 0; i < flashes.length; i++) {
      (function (flash) {
        flash.setAttribute("data-fading", "");
        var timer = setTimeout(function () { dismissFlash(flash); }, FLASH_FADE_MS);
        // Someone reading it (mouse over it) keeps it.
        flash.addEventListener("mouseenter", function () { clearTimeout(timer); }, { once: true });
      })(flashes[i]);
    }
  }

  function showFlash(level, text) {
    var stack = document.getElementById("messages");
    if (!stack) {
      window.alert(text);
      return;
    }
    var flash = document.createElement("div");
    flash.className = "flash flash-" + level;
    flash.setAttribute("role", level === "error" ? "alert" : "status");
    var span = document.createElement("span");
    span.className = "flash-text";
    span.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "flash-close";
    close.setAttribute("data-dismiss", "flash");
    close.setAttribute("aria-label", jsString("dismiss", "Dismiss"));
    close.textContent = "\u00d7";
    flash.appendChild(span);
    flash.appendChild(close);
    stack.appendChild(flash);
    scheduleFlashFade(stack);
  }

  // --- events -------------------------------------------------------------------------------

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      closeMenus(null);
      var openDialogs = document.querySelectorAll("dialog[open]");
      for (var i = 0; i < openDialogs.length; i++) closeDialog(openDialogs[i]);
      return;
    }
    if (event.key === "?" && !event.ctrlKey && !event.metaKey && !event.altKey && !isTyping(event.target)) {
      var dialog = document.getElementById("shortcuts-dialog");
      if (dialog) {
        event.preventDefault();
        if (dialog.open) closeDialog(dialog);
        else openDialog(dialog);
      }
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;

    var opener = target.closest("[data-open-dialog]");
    if (opener) {
      event.preventDefault();
      openDialog(document.getElementById(opener.getAttribute("data-open-dialog")));
      return;
    }

    // A click on the backdrop of a modal dialog (the dialog element itself, outside its content) closes it.
    if (target.tagName === "DIALOG" && target.open) {
      var box = target.getBoundingClientRect();
      var inside = event.clientX >= box.left && event.clientX <= box.right &&
        event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) closeDialog(target);
    }

    var dismiss = target.closest("[data-dismiss='flash']");
    if (dismiss) {
      dismissFlash(dismiss.closest(".flash"));
      return;
    }

    closeMenus(target.closest("details[data-menu]"));

    var back = target.closest("a[data-history-back]");
    if (back && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
      return;
    }

    var row = target.closest("tr[data-href]");
    if (row && !target.closest("a, button, input, select, textarea, label, summary, [hx-get], [hx-post]")) {
      var href = row.getAttribute("data-href");
      if (event.ctrlKey || event.metaKey || event.button === 1) window.open(href, "_blank");
      else window.location.assign(href);
    }
  });

  // Capture phase, so a refused confirm also stops htmx's own submit handler on the form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var submitter = event.submitter;
    var question = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.requestSubmit();
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    setBarWidths(document);
    updateCountdowns(document);
    scheduleFlashFade(document);
  });

  // Background polling (e.g. the nav counts) marks itself data-quiet-errors: it tries again soon anyway.
  function isQuiet(event) {
    var elt = event.detail && event.detail.elt;
    return !!(elt && elt.closest && elt.closest("[data-quiet-errors]"));
  }

  document.addEventListener("htmx:responseError", function (event) {
    if (isQuiet(event)) return;
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403) showFlash("error", jsString("forbidden", "Your role does not allow this action."));
    else showFlash("error", jsString("server-error", "Something went wrong on the server.") + " (" + status + ")");
  });

  document.addEventListener("htmx:sendError", function (event) {
    if (isQuiet(event)) return;
    showFlash("error", jsString("network-error", "The server could not be reached."));
  });

  // An htmx request that was redirected to the login page means the session ended: say so, don't swap
  // a login form into the middle of the page.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var loginPath = jsString("login-url", "");
    if (!xhr || !xhr.responseURL || !loginPath) return;
    if (new URL(xhr.responseURL).pathname === loginPath) {
      event.detail.shouldSwap = false;
      if (!isQuiet(event)) showFlash("error", jsString("session-expired", "Your session has expired."));
    }
  });

  function init() {
    var serverNow = parseTime(document.body.getAttribute("data-server-now"));
    // Only correct real skew; a second or two is network latency.
    if (!isNaN(serverNow) && Math.abs(serverNow - Date.now()) > 5000) clockOffsetMs = serverNow - Date.now();
    setBarWidths(document);
    updateCountdowns(document);
    scheduleFlashFade(document);
    setInterval(function () { updateCountdowns(document); }, 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();

  // For other scripts and tests.
  window.backoffice = {
    updateCountdowns: updateCountdowns,
    formatRemaining: formatRemaining,
    showFlash: showFlash,
    jsString: jsString,
  };
})();
