/*
 * An open queue page, live (backoffice/desk/views.py queue_live): every 1.5 s the page asks whether its rows — same
 * filters, sort and page — are still the current ones. Nothing changed: a 304. Rows changed: the results are drawn
 * again in place, keeping the row the agent selected (j/k), the ticked boxes and the countdowns; the filter form is
 * outside the results, so a half-typed filter is never touched. A failed poll waits longer each time (up to 15 s) and
 * the page recovers by itself.
 *
 * Every answer also counts my unread cases (a customer wrote after I last opened the case): the tab's title shows
 * "(2) …", and a new unread message plays a short beep (once the agent has clicked or typed on the page, as browsers
 * require) and shows a desktop notice when the agent turned them on with the header's button. Polling goes on while
 * the tab is hidden: that is when the title and the notice matter.
 */
(function () {
  "use strict";

  var POLL_MS = 1500;
  var MAX_WAIT_MS = 15000;
  var TITLE_COUNT = /^\(\d+\) /;
  var timer = null;
  var failures = 0;
  var etag = null;
  var etagStamp = null; // the rows' tag the ETag was given for
  var audio = null;

  function results() {
    return document.querySelector("#queue-results[data-live-url]");
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }

  // --- the rows ------------------------------------------------------------------------------------------------

  function busy(box) {
    // A filter, sort or page change of the agent's own is on its way: its answer wins.
    return box.classList.contains("htmx-request") || !!document.querySelector(".filters.htmx-request");
  }

  function replaceRows(box, html) {
    var selected = box.querySelector("tr.is-selected");
    var selectedHref = selected && selected.getAttribute("data-href");
    var ticked = Array.prototype.map.call(box.querySelectorAll("input[name=cases]:checked"), function (input) {
      return input.value;
    });
    var focused = box.contains(document.activeElement) ? document.activeElement : null;
    var focusedHref = focused && focused.closest("tr") && focused.closest("tr").getAttribute("data-href");
    var countdowns = {};
    Array.prototype.forEach.call(box.querySelectorAll("[data-countdown]"), function (el) {
      countdowns[el.getAttribute("data-countdown")] = el;
    });

    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var fresh = holder.firstElementChild;
    if (!fresh || fresh.id !== "queue-results") return;
    // The countdowns keep their text and colour until app.js ticks them again (no blank flash).
    Array.prototype.forEach.call(fresh.querySelectorAll("[data-countdown]"), function (el) {
      var old = countdowns[el.getAttribute("data-countdown")];
      if (old) {
        el.textContent = old.textContent;
        el.className = old.className;
      }
    });
    Array.prototype.forEach.call(fresh.querySelectorAll("input[name=cases]"), function (input) {
      if (ticked.indexOf(input.value) >= 0 && !input.disabled) input.checked = true;
    });
    if (selectedHref) {
      var row = fresh.querySelector('tr[data-href="' + CSS.escape(selectedHref) + '"]');
      if (row) row.classList.add("is-selected");
    }
    box.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    if (window.backoffice) window.backoffice.updateCountdowns(fresh);
    // The bulk assignment's count follows the boxes still ticked (a ticked case may have left the page).
    var tickBox = fresh.querySelector("input[form='bulk-assign-form'][name='cases']");
    if (tickBox) tickBox.dispatchEvent(new Event("change", { bubbles: true }));
    if (focusedHref) {
      var target = fresh.querySelector('tr[data-href="' + CSS.escape(focusedHref) + '"] input, tr[data-href="' +
        CSS.escape(focusedHref) + '"] a');
      if (target) target.focus({ preventScroll: true });
    }
  }

  // --- my unread cases -----------------------------------------------------------------------------------------

  function latestKey(box) {
    return "queue-live-latest:" + (box.getAttribute("data-desk") || "");
  }

  function showCount(count) {
    var base = document.title.replace(TITLE_COUNT, "");
    var wanted = count ? "(" + count + ") " + base : base;
    if (document.title !== wanted) document.title = wanted;
  }

  function beep() {
    if (!audio) return;
    try {
      var now = audio.currentTime;
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.type = "sine";
      tone.frequency.setValueAtTime(880, now);
      tone.frequency.setValueAtTime(1175, now + 0.12);
      gain.gain.setValueAtTime(0.0001, now);
      gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.3);
      tone.connect(gain).connect(audio.destination);
      tone.start(now);
      tone.stop(now + 0.32);
    } catch (e) {
      /* no sound: the title count still shows it */
    }
  }

  function announce(unread) {
    beep();
    if (!window.Notification || Notification.permission !== "granted") return;
    if (!document.hidden && document.hasFocus()) return; // the agent is looking at the queue already
    try {
      var notice = new Notification(window.backoffice.jsString("new-message", "New customer message"), {
        body: unread.latest_case,
        tag: "queue-live",
      });
      notice.onclick = function () {
        window.focus();
        notice.close();
      };
    } catch (e) {
      /* some browsers allow notifications only from a service worker: the title count still shows it */
    }
  }

  function applyUnread(box, unread) {
    showCount(unread.count);
    var key = latestKey(box);
    var known = parseInt(window.sessionStorage.getItem(key) || "", 10);
    // The first answer in this tab only sets where we are; later ones announce a newer unread message.
    if (!isNaN(known) && unread.latest > known) announce(unread);
    if (isNaN(known) || unread.latest > known) window.sessionStorage.setItem(key, String(unread.latest));
  }

  // --- polling -------------------------------------------------------------------------------------------------

  function poll() {
    var box = results();
    if (!box) {
      schedule(POLL_MS); // a case was opened in place; the queue may come back (history)
      return;
    }
    if (busy(box)) {
      schedule(300);
      return;
    }
    var stamp = box.getAttribute("data-stamp") || "";
    var search = window.location.search;
    // The page's own query (filters, sort, page) as it is; the rows' tag goes in a header, so it never becomes part
    // of the sort and pager links the poll draws.
    var url = box.getAttribute("data-live-url") + search;
    var headers = { "X-Queue-Stamp": stamp };
    if (etag && etagStamp === stamp) headers["If-None-Match"] = etag;
    fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 304) return null;
        if (response.redirected || !response.ok) throw new Error("queue poll " + response.status);
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        // Only an answer for the rows still on screen: a filter changed meanwhile asks again.
        var current = results();
        if (data && current === box && window.location.search === search && !busy(box)) {
          if (data.html) replaceRows(box, data.html);
          etagStamp = data.stamp;
          applyUnread(results() || box, data.unread);
        } else if (data) {
          etag = null;
        }
        schedule(POLL_MS);
      })
      .catch(function () {
        failures += 1;
        etag = null;
        schedule(Math.min(POLL_MS * Math.pow(2, failures), MAX_WAIT_MS));
      });
  }

  // --- the agent's consent: sound after a gesture, notices after the button ---------------------------------------

  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    if (!audio) {
      try {
        audio = new Context();
      } catch (e) {
        return;
      }
    }
    if (audio.state === "suspended") audio.resume();
  }

  function alertsButton() {
    var button = document.getElementById("desktop-alerts");
    if (!button) return;
    button.hidden = !(window.Notification && Notification.permission === "default");
  }

  document.addEventListener("pointerdown", unlockAudio, true);
  document.addEventListener("keydown", unlockAudio, true);
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#desktop-alerts");
    if (!button || !window.Notification) return;
    unlockAudio();
    Notification.requestPermission().then(alertsButton);
  });
  document.addEventListener("htmx:afterSettle", alertsButton);

  function start() {
    alertsButton();
    schedule(0);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
