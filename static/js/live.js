/*
 * The open case page, live (backoffice/desk/live.py): every 1.5 s the page asks what is new after the newest
 * timeline entry it shows, and says whether the agent is typing. New entries are added below the timeline without
 * touching the reply box; the presence bar says who else has the case open or is replying. A failed poll waits
 * longer each time (up to 15 s) and the page recovers by itself when the server is back.
 *
 * A new customer message while the tab is in the background counts in the tab's title, and shows a desktop
 * notification when the agent has allowed them for this site.
 */
(function () {
  "use strict";

  var POLL_MS = 1500;
  var MAX_WAIT_MS = 15000;
  var TYPING_MS = 4000;
  var etag = null;
  var failures = 0;
  var lastTyped = 0;
  var unread = 0;
  var baseTitle = document.title;
  var timer = null;

  function timeline() {
    return document.querySelector("#timeline[data-live-url]");
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }

  function customerWrote() {
    if (!document.hidden) return;
    unread += 1;
    document.title = "(" + unread + ") " + baseTitle;
    if (window.Notification && Notification.permission === "granted") {
      try {
        var title = window.backoffice.jsString("new-message", "New customer message");
        new Notification(title, { body: baseTitle, tag: "case-live" });
      } catch (e) {
        /* some browsers allow notifications only from a service worker: the title count still shows it */
      }
    }
  }

  function apply(data, askedAfter) {
    var list = timeline();
    if (!list) return;
    // The panel was drawn again meanwhile (an action): its timeline is newer than this answer; ask again.
    if (list.getAttribute("data-last-event") !== askedAfter) return;
    // Entries already shown are skipped (a poll sends the last few seconds again: see backoffice/desk/live.py).
    var added = false;
    for (var i = 0; i < data.events.length; i++) {
      var entry = data.events[i];
      if (list.querySelector('[data-event-id="' + entry.id + '"]')) continue;
      list.insertAdjacentHTML("beforeend", entry.html);
      added = true;
    }
    if (data.last > parseInt(askedAfter, 10)) list.setAttribute("data-last-event", String(data.last));
    // While "send anyway" is offered, the reply keeps the point the agent saw when it was refused.
    var seen = document.getElementById("reply-seen-event");
    if (added && seen && !document.querySelector("[data-testid=confirm-overlap]")) seen.value = String(data.last);
    if (added && data.customer_wrote) customerWrote();
    var bar = document.getElementById("presence");
    if (bar && bar.innerHTML !== data.presence) bar.innerHTML = data.presence;
  }

  function poll() {
    var list = timeline();
    if (!list) {
      schedule(POLL_MS);
      return;
    }
    var after = list.getAttribute("data-last-event") || "0";
    var url = list.getAttribute("data-live-url") + "?after=" + encodeURIComponent(after);
    if (Date.now() - lastTyped < TYPING_MS) url += "&typing=1";
    var headers = {};
    if (etag) headers["If-None-Match"] = etag;
    fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 304) return null;
        if (!response.ok) throw new Error("live poll " + response.status);
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        if (data) apply(data, after);
        schedule(POLL_MS);
      })
      .catch(function () {
        failures += 1;
        schedule(Math.min(POLL_MS * Math.pow(2, failures), MAX_WAIT_MS));
      });
  }

  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === "reply-body") lastTyped = Date.now();
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && unread) {
      unread = 0;
      document.title = baseTitle;
    }
  });
  // Always: a case opened in place from a queue row (htmx) has no page load of its own; poll() waits for a timeline.
  document.addEventListener("DOMContentLoaded", function () {
    schedule(0);
  });
  // The case panel was drawn again (an action): its presence bar is empty, so the next answer must not be a 304.
  document.body && document.body.addEventListener("htmx:afterSwap", function () {
    etag = null;
  });
})();
